"""Evidence, intake: tell a file's type from its first bytes, never from its name or header."""

import codecs
import re
from collections.abc import Collection

import puremagic

# Enough for every signature puremagic reads from the head, and for the text check below.
HEAD_BYTES = 64 * 1024

# puremagic spells some types by older or vendor names; each is stored under one spelling.
_ALIASES = {
    "audio/wave": "audio/wav", "audio/x-wav": "audio/wav", "audio/vnd.wave": "audio/wav",
    "audio/x-m4a": "audio/mp4", "audio/m4a": "audio/mp4", "application/ogg": "audio/ogg",
    "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "application/x-pdf": "application/pdf",
    "audio/mp3": "audio/mpeg", "audio/x-mpeg": "audio/mpeg",
}
# Some signatures come with an extension but no media type.
_BY_EXTENSION = {".amr": "audio/amr", ".m4a": "audio/mp4", ".oga": "audio/ogg", ".ogg": "audio/ogg",
                 ".mp3": "audio/mpeg", ".wav": "audio/wav"}
# Text formats that are plain text for our purpose (an exported chat, a saved e-mail).
_TEXTY = ("text/", "application/json", "message/rfc822")
# Markup a browser or a renderer would act on; such "text" is refused as text/html.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|iframe|frame|svg|object|embed|meta|link|style|form|"
    rb"img|\?xml)\b", re.IGNORECASE)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _normalize(mime: str) -> str:
    mime = mime.strip().lower()
    return _ALIASES.get(mime, mime)


def _from_magic(head: bytes, allowed: Collection[str]) -> str | None:
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    named = [(m.confidence, _normalize(m.mime_type) or _BY_EXTENSION.get(m.extension.lower(), ""))
             for m in matches]
    named = [(confidence, mime) for confidence, mime in named if mime]
    if not named:
        return None
    best = max(confidence for confidence, _ in named)
    top = [mime for confidence, mime in named if confidence == best]
    # Signatures can tie (a PDF also reads as FDF); an allowed reading of the same bytes wins.
    return next((mime for mime in top if mime in allowed), top[0])


def _is_text(head: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: the head may end inside a multi-byte character.
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return not _CONTROL.search(head)


def sniff(head: bytes, allowed: Collection[str]) -> str | None:
    """The media type the content shows, or None when it shows nothing nameable."""
    if not head:
        return None
    found = _from_magic(head, allowed)
    if found and not found.startswith(_TEXTY):
        return found
    if _is_text(head):
        if head.startswith(b"#!"):
            return "text/x-script"
        return "text/html" if _MARKUP.search(head) else "text/plain"
    return found
