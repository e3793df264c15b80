"""Conversations between a shop and its customers: the staff inbox, the web chat, the shopping
bot and comment-to-DM. Connectors (a layer above) bring the same conversations to Messenger,
Instagram, WhatsApp and Telegram; this app knows each channel only by name and its rules
(the messaging window)."""
