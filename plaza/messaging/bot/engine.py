"""Placeholder while the engine is written."""


def bot_respond(*, conversation, message):
    return []


def bot_offer_post(*, conversation, post):
    return None


def bot_payment_captured(*, payment_id):
    return None
