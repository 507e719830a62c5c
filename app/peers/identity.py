"""Peer signals, step 1: the platform key — one spelling for every way users write the same platform.

A name is NFKC-normalized (full-width letters, digits and spaces become half-width), case-folded,
and stripped of spaces, punctuation and symbols, so "鑫盛理财 APP", "鑫盛理财ＡＰＰ" and "鑫盛理财App "
are one platform; a trailing "app" after a Chinese name is dropped too ("鑫盛理财App" is "鑫盛理财").
The intake may also give the app's id (`platform.app_id`, a package or bundle id) or its web
domain (`platform.domain`); each makes a key of its own, so a platform can be asked about by any.
"""

import hashlib
import re
import unicodedata
from functools import lru_cache

MAX_KEY = 100
# What the API accepts (in the contract as well, so that a schema-valid value is never refused):
# ASCII only; an internationalized domain is given in its xn-- form.
APP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,149}$"
DOMAIN_PATTERN = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
_APP_ID = re.compile(APP_ID_PATTERN)
_DOMAIN = re.compile(DOMAIN_PATTERN)
# Letters, marks and digits stay; separators, punctuation, symbols and controls go.
_KEPT = ("L", "M", "N")


def normalize_name(name: str) -> str:
    """The comparable form of a platform's name ("" when nothing of it is left)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] in _KEPT)
    if kept.endswith("app") and len(kept) > 3 and not kept[-4].isascii():
        kept = kept[:-3]
    return kept


def normalize_app_id(value: str) -> str:
    """A package or bundle id (com.example.wallet, id1234567890), lower case; ValueError if not one."""
    app_id = unicodedata.normalize("NFKC", value).strip().casefold()
    if not _APP_ID.match(app_id):
        raise ValueError("an app id is 2–150 letters, digits, dots, hyphens or underscores")
    return app_id


def normalize_domain(value: str) -> str:
    """A web domain as a host name (no scheme, path or port), lower case, without "www."."""
    host = unicodedata.normalize("NFKC", value).strip().casefold().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")  # 鑫盛.中国 → xn--...: one form for both spellings
    except UnicodeError as exc:
        raise ValueError("not a domain name") from exc
    if not _DOMAIN.match(host) or not 4 <= len(host) <= 253:
        raise ValueError("a domain is a host name such as example.com, without scheme or path")
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    return host


def _key(kind: str, value: str) -> str:
    key = f"{kind}:{value}"
    if len(key) <= MAX_KEY:
        return key
    # A very long name still fits the column, and still compares equal to itself.
    return f"{kind}#{hashlib.sha256(value.encode()).hexdigest()}"


def platform_keys(name: str | None = None, app_id: str | None = None,
                  domain: str | None = None) -> list[str]:
    """Every key of one platform: by name, by app id, by domain (as far as they are known)."""
    return list(_platform_keys(name, app_id, domain))


# Every post of a case asks for the same platform's keys again: they are remembered.
@lru_cache(maxsize=4096)
def _platform_keys(name: str | None, app_id: str | None, domain: str | None) -> tuple[str, ...]:
    keys = []
    if name is not None and (folded := normalize_name(name)):
        keys.append(_key("name", folded))
    if app_id:
        keys.append(_key("app", normalize_app_id(app_id)))
    if domain:
        keys.append(_key("domain", normalize_domain(domain)))
    return tuple(keys)
