// Web app, reading: the case answer (status, risk, actions, deadlines, upcoming) as plain words.

import { el, fill, format, text } from "./dom.js";

const $ = (id) => document.getElementById(id);

export function when(iso, lang) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

function day(iso, lang) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date(iso));
}

export function renderCase(data, { labels, catalogue, lang, cachedAt }) {
  const evaluation = data.evaluation;
  const fraud = evaluation.track === "fraud";
  $("fraud-banner").hidden = !fraud;

  $("status-value").textContent = catalogue.statuses[evaluation.status] || evaluation.status;
  $("status-value").dataset.status = evaluation.status;
  const risk = catalogue.risk_levels[evaluation.risk_level] || { label: evaluation.risk_level, detail: "" };
  $("risk-value").textContent = risk.label;
  $("risk-value").dataset.risk = evaluation.risk_level;
  $("risk-value").className = `risk-${evaluation.risk_level}`;
  $("risk-detail").textContent = risk.detail || "";
  $("platform-value").textContent = data.platform.name;
  $("amount-value").textContent = `${Number(data.amount).toLocaleString(lang)} ${data.currency}`;

  const flags = (evaluation.flags || []).filter((flag) => catalogue.flags[flag]);
  fill($("flags"), ...(flags.length ? [
    el("h3", {}, text(labels.flags_heading)),
    el("ul", { class: "flags" }, ...flags.map((flag) =>
      el("li", { class: catalogue.flags[flag].kind === "hard" ? "hard" : "" }, text(catalogue.flags[flag].title)))),
  ] : []));
  $("stale").textContent = cachedAt ? format(labels.stale_note, { at: when(cachedAt, lang) }) : "";

  renderActions($("actions-list"), evaluation.next_actions, { labels, catalogue, lang });
  renderDeadlines(evaluation.deadlines || [], { labels, lang });
  renderUpcoming(data.upcoming, { labels, catalogue, lang });
}

function renderActions(list, actions, { labels, catalogue, lang }) {
  if (!actions.length) {
    fill(list, el("li", {}, text(labels.no_actions)));
    return;
  }
  // The most urgent action is open; the others show their title and date, and open on a tap.
  fill(list, ...actions.map((action, index) => {
    const summary = el("summary", {}, el("strong", {}, text(action.title)));
    if (action.due_at) {
      summary.append(" ", el("span", { class: "due" }, text(format(labels.action_due, { at: when(action.due_at, lang) }))));
    }
    const details = el("details", index === 0 ? { open: true } : {}, summary);
    if (action.guide_step) {
      details.append(el("p", { class: "step" }, text(format(labels.action_step, {
        n: action.guide_step, title: catalogue.guide_steps[String(action.guide_step)] || "" }))));
    }
    details.append(el("p", {}, text(action.detail)));
    if (action.because && action.because.reason) {
      details.append(el("p", { class: "because" }, text(labels.action_because + action.because.reason)));
    }
    return el("li", { "data-action": action.action }, details);
  }));
}

function renderDeadlines(deadlines, { labels, lang }) {
  const sorted = [...deadlines].sort((a, b) => new Date(a.due_at) - new Date(b.due_at));
  const list = $("deadlines-list");
  if (!sorted.length) {
    fill(list, el("li", {}, text(labels.no_deadlines)));
    return;
  }
  fill(list, ...sorted.map((deadline) => el("li", { class: deadline.lapsed ? "lapsed" : "", "data-kind": deadline.kind },
    el("time", { datetime: deadline.due_at }, text(day(deadline.due_at, lang))),
    el("span", { class: "tag" }, text(deadline.lapsed ? labels.deadline_lapsed : labels.deadline_open)),
    el("p", {}, text(labels.deadline_kinds[deadline.kind] || deadline.kind)),
    deadline.because && deadline.because.reason ? el("p", { class: "muted" }, text(deadline.because.reason)) : "",
  )));
}

function renderUpcoming(upcoming, { labels, catalogue, lang }) {
  const body = $("upcoming-body");
  if (!upcoming) {
    $("upcoming-heading").textContent = labels.upcoming_heading_none;
    fill(body, el("p", {}, text(labels.upcoming_none)));
    return;
  }
  $("upcoming-heading").textContent = format(labels.upcoming_heading, { at: day(upcoming.at, lang) });
  const parts = [el("p", { "data-testid": "upcoming-status" }, text(format(labels.upcoming_status, {
    status: catalogue.statuses[upcoming.status] || upcoming.status,
    risk: (catalogue.risk_levels[upcoming.risk_level] || {}).label || upcoming.risk_level,
  })))];
  if (upcoming.deadlines_lapsing.length) {
    parts.push(el("p", {}, text(labels.upcoming_lapsing +
      upcoming.deadlines_lapsing.map((kind) => labels.deadline_kinds[kind] || kind).join(lang === "en" ? ", " : "、"))));
  }
  if (upcoming.new_actions.length) {
    parts.push(el("p", {}, text(labels.upcoming_actions)),
      el("ul", {}, ...upcoming.new_actions.map((action) => el("li", {}, text(action.title)))));
  }
  fill(body, ...parts);
}
