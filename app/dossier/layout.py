"""Dossier, layout: which sections a dossier has, in order, with their numbered headings."""

from app.dossier.model import Dossier
from app.dossier.texts import heading

COMPLAINT = ("parties", "request", "amounts", "facts", "contacts", "promises", "evidence",
             "integrity", "deadlines", "remedies", "declaration")
POLICE = ("reporter", "platform", "money", "accounts", "evidence", "red_flags", "facts",
          "integrity", "police_notes", "declaration")
_CJK_NUMBERS = "一二三四五六七八九十"


def _number(index: int, locale: str) -> str:
    if locale != "zh-CN":
        return f"{index}."
    if index <= 10:
        return _CJK_NUMBERS[index - 1] + "、"
    return "十" + _CJK_NUMBERS[index - 11] + "、"


def sections(dossier: Dossier) -> list[tuple[str, str]]:
    """(key, numbered heading) for each section; the declaration is never numbered."""
    keys = POLICE if dossier.kind == "police_report" else COMPLAINT
    out = []
    for index, key in enumerate(keys, start=1):
        title = heading(dossier.locale, key)
        out.append((key, title if key == "declaration" else f"{_number(index, dossier.locale)} {title}"
                    if dossier.locale != "zh-CN" else f"{_number(index, dossier.locale)}{title}"))
    return out
