"""Webhooks, secrets: new signing secrets (stored encrypted with app.keyring)."""

import base64
import secrets

SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
