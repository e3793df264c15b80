"""Channel credentials at rest: encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from the
``cryptography`` package) under a key derived from ``PLAZA_SECRETS_KEY`` (or, when unset,
``SECRET_KEY``). Changing that key makes stored credentials unreadable: staff then enter
them again."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    source = getattr(settings, "PLAZA_SECRETS_KEY", "") or settings.SECRET_KEY
    key = hashlib.sha256(f"plaza.connectors:{source}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def secret_encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The clear value, or "" when it cannot be read (the key changed)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def secret_hint(value: str) -> str:
    """What staff see of a stored secret: its last four characters."""
    return f"••••{value[-4:]}" if len(value) > 8 else "••••" if value else ""
