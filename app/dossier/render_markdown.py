"""Dossier, output: Markdown, with every user-written text escaped so it stays plain text."""

import re
from collections.abc import Callable, Sequence

from app.dossier.layout import sections
from app.dossier.model import Dossier
from app.dossier.texts import heading

# Characters that would start markup (links, images, raw HTML, tables, emphasis, code) in
# CommonMark or GFM; a backslash makes each one literal.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")
_BLANK = "＿＿＿＿＿＿＿＿"


def md(text: object) -> str:
    """One line of literal text: newlines folded, markup characters escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(md(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md(c) if c not in (None, "") else "—" for c in row) + " |" for row in rows]
    return out + [""]


def _or_none(d: Dossier, rows: list, render: Callable[[], list[str]]) -> list[str]:
    return render() if rows else [md(heading(d.locale, "none")), ""]


class _Sections:
    """One method per section key of app/dossier/layout.py."""

    def __init__(self, d: Dossier) -> None:
        self.d = d

    def h(self, key: str) -> str:
        return heading(self.d.locale, key)

    def _fill_in(self, keys: Sequence[str]) -> list[str]:
        return [md(self.h("fill_in")), ""] + [f"- {md(self.h(k))}：{_BLANK}" for k in keys] + [""]

    def _platform(self) -> list[str]:
        r = self.d.respondent
        return _table((self.h("col_item"), self.h("col_detail")), [
            (self.h("platform_name"), r.name), (self.h("platform_kind"), r.kind_label),
            (self.h("licence"), r.licence_label), (self.h("app_source"), r.app_source_label),
            (self.h("province"), r.province)]
            + ([(self.h("regulator"), self.d.regulator.label)] if self.d.regulator else []))

    def parties(self) -> list[str]:
        return ([f"### {md(self.h('complainant'))}", ""]
                + self._fill_in(("name", "id_number", "phone", "address"))
                + [f"### {md(self.h('respondent'))}", ""] + self._platform())

    def reporter(self) -> list[str]:
        return self._fill_in(("name", "id_number", "phone", "address"))

    def platform(self) -> list[str]:
        return self._platform()

    def request(self) -> list[str]:
        return [md(self.d.request), ""]

    def amounts(self) -> list[str]:
        d = self.d
        return _table((self.h("col_item"), self.h("col_detail")), [
            (self.h("amount"), d.amount_text), (self.h("requested_at"), d.requested),
            (self.h("days_waiting"), self.h("days").format(n=d.days_waiting)),
            (self.h("status"), d.status_label), (self.h("risk"), d.risk_label)])

    def facts(self) -> list[str]:
        return _table((self.h("col_seq"), self.h("col_time"), self.h("col_event")),
                      [(f.seq, f.when, f.text + (f"（{f.note}）" if f.note else "")) for f in self.d.facts])

    def contacts(self) -> list[str]:
        header = (self.h("col_seq"), self.h("col_time"), self.h("col_channel"), self.h("col_agent"),
                  self.h("col_said"), self.h("col_answer"))
        return _or_none(self.d, self.d.contacts, lambda: _table(header, [
            (c.seq, c.when, c.channel, c.agent_id, c.said, c.answer) for c in self.d.contacts]))

    def promises(self) -> list[str]:
        header = (self.h("col_seq"), self.h("col_promise"), self.h("col_made_at"), self.h("col_due"),
                  self.h("col_written"), self.h("col_result"))
        written = {True: self.h("yes"), False: self.h("no"), None: self.h("unknown")}
        return _or_none(self.d, self.d.promises, lambda: _table(header, [
            (p.seq, p.what, p.made_at, p.due, written[p.in_writing], p.status_label)
            for p in self.d.promises]))

    def evidence(self) -> list[str]:
        header = (self.h("col_no"), self.h("col_kind"), self.h("col_captured"), self.h("col_description"),
                  self.h("col_file"), self.h("col_sha256"), self.h("col_check"))
        return _or_none(self.d, self.d.evidence, lambda: _table(header, [
            (e.number, e.kind_label, e.captured, e.description, e.file_name, e.sha256, e.check_label)
            for e in self.d.evidence]))

    def integrity(self) -> list[str]:
        i = self.d.integrity
        issues = [f"- {md(issue)}" for issue in i.issues] + ([""] if i.issues else [])
        return ([md(i.summary), ""] + issues
                + [f"{md(self.h('head_hash'))}：`{i.head_hash or '—'}`", "", md(self.h("integrity_note")), ""])

    def deadlines(self) -> list[str]:
        d = self.d
        rows = [(x.label, x.due + (" ⚠" if x.lapsed else ""), f"{x.basis}（{', '.join(x.sources)}）")
                for x in d.deadlines]
        body = (_table((self.h("col_deadline"), self.h("col_deadline_due"), self.h("col_basis")), rows)
                if rows else [md(self.h("no_deadlines")), ""])
        return body + ([md(d.deadline_note), ""] if d.deadline_note else [])

    def remedies(self) -> list[str]:
        return [f"- **{md(x.title)}**：{md(x.detail)}" + (f"（{md(', '.join(x.sources))}）" if x.sources else "")
                for x in self.d.remedies] + [""]

    def money(self) -> list[str]:
        header = (self.h("col_seq"), self.h("col_time"), self.h("col_item"), self.h("col_amount"),
                  self.h("col_detail"))
        return _table(header, [(m.seq, m.when, m.item, m.amount, m.detail) for m in self.d.money])

    def accounts(self) -> list[str]:
        hints = [f"- {md(a)}" for a in self.d.account_hints]
        return ([f"- {md(self.h('paying_account'))}：{_BLANK}",
                 f"- {md(self.h('receiving_account'))}：{_BLANK}", ""] + hints + ([""] if hints else []))

    def red_flags(self) -> list[str]:
        return _or_none(self.d, self.d.red_flags, lambda: [
            f"- **{md(f.id)} {md(f.title)}**：{md(f.detail)}" for f in self.d.red_flags] + [""])

    def police_notes(self) -> list[str]:
        return [f"{i}. {md(n)}" for i, n in enumerate(self.d.notes, start=1)] + [""]

    def declaration(self) -> list[str]:
        return [md(self.d.declaration), "", md(self.h("signature")), "", f"*{md(self.h('disclaimer'))}*", ""]


def to_markdown(d: Dossier) -> str:
    body = _Sections(d)
    lines = [f"# {md(d.title)}", ""]
    lines += _table((body.h("col_item"), body.h("col_detail")), [
        (body.h("case_ref"), d.external_ref or str(d.case_id)),
        (body.h("platform" if d.kind == "police_report" else "respondent"), d.respondent.name),
        (body.h("amount"), d.amount_text), (body.h("generated_at"), d.generated),
        (body.h("times"), body.h("times_value"))])
    lines += [md(d.summary), ""]
    if d.limits_note:
        lines += [f"*{md(d.limits_note)}*", ""]
    if d.kind == "police_report":
        lines += [f"**{md(d.request)}**", ""]
    for key, title in sections(d):
        lines += [f"## {md(title)}", ""] + getattr(body, key)()
    return "\n".join(lines).rstrip() + "\n"
