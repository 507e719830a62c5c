"""Dossier, output: Markdown, with every user-written text escaped so it stays plain text."""

import re
from collections.abc import Callable, Sequence

from app.dossier.layout import sections
from app.dossier.model import Dossier
from app.dossier.texts import heading

# Characters that would start markup (links, images, raw HTML, tables, emphasis, code) in
# CommonMark or GFM; a backslash makes each one literal.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")


def md(text: object) -> str:
    """One line of literal text: newlines folded, markup characters escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(md(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md(c) if c not in (None, "") else "—" for c in row) + " |" for row in rows]
    return out + [""]


def _fill_in(d: Dossier, keys: Sequence[str]) -> list[str]:
    h = lambda k: heading(d.locale, k)  # noqa: E731
    return [md(h("fill_in")), ""] + [f"- {md(h(k))}：＿＿＿＿＿＿＿＿" for k in keys] + [""]


def _section_body(d: Dossier, key: str) -> list[str]:
    h = lambda k: heading(d.locale, k)  # noqa: E731
    r = d.respondent
    platform_rows = [(h("platform_name"), r.name), (h("platform_kind"), r.kind_label),
                     (h("licence"), r.licence_label), (h("app_source"), r.app_source_label),
                     (h("province"), r.province)]
    bodies: dict[str, Callable[[], list[str]]] = {
        "parties": lambda: [f"### {md(h('complainant'))}", ""] + _fill_in(d, ("name", "id_number", "phone", "address"))
        + [f"### {md(h('respondent'))}", ""] + _table((h("col_item"), h("col_detail")), platform_rows),
        "reporter": lambda: _fill_in(d, ("name", "id_number", "phone", "address")),
        "platform": lambda: _table((h("col_item"), h("col_detail")), platform_rows),
        "request": lambda: [md(d.request), ""],
        "amounts": lambda: _table((h("col_item"), h("col_detail")), [
            (h("amount"), d.amount_text), (h("requested_at"), d.requested),
            (h("days_waiting"), h("days").format(n=d.days_waiting)),
            (h("status"), d.status_label), (h("risk"), d.risk_label)]),
        "facts": lambda: _table((h("col_seq"), h("col_time"), h("col_event")),
                                [(f.seq, f.when, f.text + (f"（{f.note}）" if f.note else "")) for f in d.facts]),
        "contacts": lambda: _table(
            (h("col_seq"), h("col_time"), h("col_channel"), h("col_agent"), h("col_said"), h("col_answer")),
            [(c.seq, c.when, c.channel, c.agent_id, c.said, c.answer) for c in d.contacts])
        if d.contacts else [md(h("none")), ""],
        "promises": lambda: _table(
            (h("col_seq"), h("col_promise"), h("col_made_at"), h("col_due"), h("col_written"), h("col_result")),
            [(p.seq, p.what, p.made_at, p.due, h("yes") if p.in_writing else h("no") if p.in_writing is False
              else h("unknown"), p.status_label) for p in d.promises])
        if d.promises else [md(h("none")), ""],
        "evidence": lambda: _table(
            (h("col_no"), h("col_kind"), h("col_captured"), h("col_description"), h("col_file"),
             h("col_sha256"), h("col_check")),
            [(e.number, e.kind_label, e.captured, e.description, e.file_name, e.sha256, e.check_label)
             for e in d.evidence]) if d.evidence else [md(h("none")), ""],
        "integrity": lambda: [md(d.integrity.summary), ""] + [f"- {md(i)}" for i in d.integrity.issues]
        + ([""] if d.integrity.issues else []) + [f"{md(h('head_hash'))}：`{d.integrity.head_hash or '—'}`", "",
                                                   md(h("integrity_note")), ""],
        "deadlines": lambda: (_table((h("col_deadline"), h("col_deadline_due"), h("col_basis")),
                                     [(x.label, x.due + (" ⚠" if x.lapsed else ""), x.basis + f"（{', '.join(x.sources)}）")
                                      for x in d.deadlines]) if d.deadlines else [md(h("no_deadlines")), ""])
        + ([md(d.deadline_note), ""] if d.deadline_note else []),
        "remedies": lambda: [f"- **{md(x.title)}**：{md(x.detail)}" + (f"（{md(', '.join(x.sources))}）" if x.sources else "")
                             for x in d.remedies] + [""],
        "money": lambda: _table((h("col_seq"), h("col_time"), h("col_item"), h("col_amount"), h("col_detail")),
                                [(m.seq, m.when, m.item, m.amount, m.detail) for m in d.money]),
        "accounts": lambda: [f"- {md(h('paying_account'))}：＿＿＿＿＿＿＿＿",
                             f"- {md(h('receiving_account'))}：＿＿＿＿＿＿＿＿", ""]
        + [f"- {md(a)}" for a in d.account_hints] + ([""] if d.account_hints else []),
        "red_flags": lambda: [f"- **{md(f.id)} {md(f.title)}**：{md(f.detail)}" for f in d.red_flags] + [""]
        if d.red_flags else [md(h("none")), ""],
        "police_notes": lambda: [f"{i}. {md(n)}" for i, n in enumerate(d.notes, start=1)] + [""],
        "declaration": lambda: [md(d.declaration), "", md(h("signature")), "", f"*{md(h('disclaimer'))}*", ""],
    }
    return bodies[key]()


def to_markdown(d: Dossier) -> str:
    h = lambda k: heading(d.locale, k)  # noqa: E731
    lines = [f"# {md(d.title)}", ""]
    lines += _table((h("col_item"), h("col_detail")), [
        (h("case_ref"), d.external_ref or str(d.case_id)),
        (h("platform" if d.kind == "police_report" else "respondent"), d.respondent.name),
        (h("amount"), d.amount_text), (h("generated_at"), d.generated), (h("times"), h("times_value"))])
    lines += [md(d.summary), ""]
    if d.kind == "police_report":
        lines += [f"**{md(d.request)}**", ""]
    for key, title in sections(d):
        lines += [f"## {md(title)}", ""] + _section_body(d, key)
    return "\n".join(lines).rstrip() + "\n"
