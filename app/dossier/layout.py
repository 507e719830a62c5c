"""Dossier, layout: which sections a dossier has, in order, with their numbered headings."""

from app.dossier.model import Dossier
from app.dossier.texts import heading, text, texts

COMPLAINT = ("parties", "request", "amounts", "facts", "contacts", "promises", "evidence",
             "integrity", "deadlines", "remedies", "declaration")
POLICE = ("reporter", "platform", "money", "accounts", "evidence", "red_flags", "facts",
          "integrity", "police_notes", "declaration")


def sections(dossier: Dossier) -> list[tuple[str, str]]:
    """(key, numbered heading) for each section; the declaration is never numbered."""
    keys = POLICE if dossier.kind == "police_report" else COMPLAINT
    loc = dossier.locale
    numbers = texts(loc)["format"]["section_numbers"]
    return [(key, heading(loc, key) if key == "declaration" else
             text(loc, "format", "section_heading", number=numbers[index], title=heading(loc, key)))
            for index, key in enumerate(keys)]
