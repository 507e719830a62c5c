"""Webhooks, secrets: new signing secrets, and their encryption at rest (Fernet)."""

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet

from app.settings import Settings

SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        raw = settings.secret_key.get_secret_value().encode()
        # Accept a Fernet key as is; derive one from any other sufficiently long string.
        try:
            Fernet(raw)
            return raw
        except ValueError:
            import hashlib

            return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())
    return _key_from_file(Path(settings.secret_key_file).resolve())


@lru_cache
def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, key)
        finally:
            os.close(fd)
    return path.read_bytes().strip()


def encrypt(settings: Settings, secret: str) -> str:
    return Fernet(_key(settings)).encrypt(secret.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    return Fernet(_key(settings)).decrypt(token.encode()).decode()
