"""The outside world's messaging networks: Messenger, Instagram, WhatsApp and Telegram bring
their messages into Plaza's conversations, and take the shop's replies back out, in each
network's published format (see docs/connectors.md for setting each one up)."""
