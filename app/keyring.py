"""Encryption at rest: the service's Fernet keys, newest first, and the checks made at start.

What is stored secret (webhook signing secrets, idempotent answers that carry a case token) is
encrypted with the first key and decrypted with any of them (`MultiFernet`), so a key is
rotated by putting a new one first and running `stuckfunds keys rotate` (app/key_rotation.py).
"""

import base64
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from app.settings import Settings

# SHA-256 of the key that was once committed to this repository as `stuckfunds.key`: it is
# public, so nothing encrypted with it is secret. Only its fingerprint is kept here.
COMMITTED_KEY_SHA256 = "9eb85591dcffc856e18c6e69c36b734876a68da52e6faf095aa85cbb8e11fc18"
ROTATE_ADVICE = "see the README, 'Rotating the secret key'"


class UnusableKey(RuntimeError):
    """The configured keys cannot be used safely; the message says what to do."""


def fernet_key(raw: str) -> bytes:
    """A Fernet key as given, or one derived from any other long random string (older setups)."""
    try:
        Fernet(raw.encode())
        return raw.encode()
    except ValueError:
        return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


def is_committed_key(key: bytes) -> bool:
    return hashlib.sha256(key.strip()).hexdigest() == COMMITTED_KEY_SHA256


def configured_keys(settings: Settings) -> list[bytes]:
    """The keys, newest first, from STUCKFUNDS_SECRET_KEYS, STUCKFUNDS_SECRET_KEY or the key file."""
    if settings.secret_keys and settings.secret_key is not None:
        raise UnusableKey("Set STUCKFUNDS_SECRET_KEYS or STUCKFUNDS_SECRET_KEY, not both.")
    if settings.secret_keys:
        return [fernet_key(k.get_secret_value()) for k in settings.secret_keys]
    if settings.secret_key is not None:
        return [fernet_key(settings.secret_key.get_secret_value())]
    return list(_keys_from_file(Path(settings.secret_key_file).resolve()))


def check_keys(settings: Settings, *, allow_committed_as_old: bool = False) -> list[bytes]:
    """The keys, or UnusableKey if the published key is among them (or leads, when rotating)."""
    keys = configured_keys(settings)
    committed = [i for i, key in enumerate(keys) if is_committed_key(key)]
    if committed and (not allow_committed_as_old or committed[0] == 0):
        raise UnusableKey(
            "The secret key is the one that was published in the StuckFunds repository: whatever "
            "it encrypted is readable by anyone. Put a new key first, re-encrypt with "
            f"`stuckfunds keys rotate`, then remove the old one ({ROTATE_ADVICE}).")
    return keys


def keyring(settings: Settings) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in check_keys(settings)])


def encrypt(settings: Settings, text: str) -> str:
    return keyring(settings).encrypt(text.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    return keyring(settings).decrypt(token.encode()).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache
def _keys_from_file(path: Path) -> tuple[bytes, ...]:
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read that one
        else:
            try:
                os.write(fd, generate_key().encode() + b"\n")
            finally:
                os.close(fd)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        raise UnusableKey(f"The key file {path} can be read or written by any user (mode "
                          f"{mode:o}); restrict it with `chmod 600 {path}`.")
    keys = tuple(fernet_key(line.strip()) for line in path.read_text().splitlines() if line.strip())
    if not keys:
        raise UnusableKey(f"The key file {path} is empty; remove it to have a new key made.")
    return keys
