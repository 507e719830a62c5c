"""Texts, the one list of languages: every user text exists in each, and each is chosen by this type.

Adding a language is one line here plus its three text files (rules/locales/<tag>.yaml,
app/dossier/locales/<tag>.yaml, app/webapp/static/i18n/<tag>.json); every loader checks that each
locale listed has every text, and the web app reads this list from /app/languages.json.
"""

from typing import Literal

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"  # the readers of a dossier are Chinese offices

Locale = Literal[LOCALES]  # type: ignore[valid-type]  # built from the tuple, so the two never differ


def pick_locale(accept_language: str | None) -> Locale:
    """Choose a locale from an Accept-Language header by its q-values (a tag matches by its language prefix)."""
    if not accept_language:
        return DEFAULT_LOCALE
    best, best_q = DEFAULT_LOCALE, -1.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower()
        locale = next((loc for loc in LOCALES if tag.startswith(loc.lower().partition("-")[0])), None)
        if locale and q > best_q:
            best, best_q = locale, q
    return best
