"""Dossier, words: the dossier's longer paragraphs (request, summary, police notes).

Each cites the FACTS.md ids it rests on, so a reader of the JSON can check the basis; the words
are in app/dossier/locales/.
"""

from app.dossier.texts import text, texts
from app.locales import Locale


def _p(locale: Locale, key: str, **values: object) -> str:
    return text(locale, "paragraphs", key, **values)


def complaint_request(locale: Locale, *, amount: str, requested: str, body: str | None) -> str:
    if body:
        return _p(locale, "complaint_request", body=body, amount=amount, requested=requested)
    return _p(locale, "complaint_request_unaddressed", amount=amount, requested=requested)


def no_statutory_clocks(locale: Locale, *, body: str | None, hotline: str | None) -> str:
    """Why no complaint clock of the NFRA rules is listed, and who takes the case instead."""
    return _p(locale, "no_statutory_clocks") + (
        _p(locale, "no_statutory_clocks_body", body=body, hotline=hotline) if body else "")


def police_request(locale: Locale) -> str:
    return _p(locale, "police_request")


def complaint_summary(locale: Locale, *, platform: str, amount: str, requested: str, days: int,
                      explanations: list[str], promised: int, broken: int, evidence: int) -> str:
    out = _p(locale, "complaint_summary", requested=requested, platform=platform, amount=amount, days=days)
    if explanations:
        listed = text(locale, "format", "list_separator").join(
            _p(locale, "complaint_summary_explanation", explanation=e) for e in explanations)
        out += _p(locale, "complaint_summary_explanations", explanations=listed)
    if promised:
        out += _p(locale, "complaint_summary_promises", promised=promised, broken=broken)
    return out + _p(locale, "complaint_summary_evidence", evidence=evidence)


def police_summary(locale: Locale, *, platform: str, amount: str, requested: str,
                   demands: list[str]) -> str:
    out = _p(locale, "police_summary", requested=requested, platform=platform, amount=amount)
    if demands:
        out += _p(locale, "police_summary_demands",
                  demands=text(locale, "format", "demand_separator").join(demands))
    return out + _p(locale, "police_summary_end")


def declaration(locale: Locale, *, police: bool) -> str:
    return _p(locale, "declaration_police" if police else "declaration_complaint")


def police_notes(locale: Locale) -> list[str]:
    return list(texts(locale)["paragraphs"]["police_notes"])


def limits_note(locale: Locale, *, total: int, shown: int, shortened: bool, max_note_chars: int,
                max_total_note_chars: int) -> str | None:
    """What the dossier left out or shortened to stay bounded; None when it holds everything."""
    notes = []
    if shown < total:
        notes.append(_p(locale, "left_out", total=total, shown=shown))
    if shortened:
        notes.append(_p(locale, "shortened", chars=max_note_chars, total=max_total_note_chars))
    return " ".join(notes) or None
