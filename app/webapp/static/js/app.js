// Web app, start: read the link, load labels and the API's own description, then show the case.

import { Api, Offline, Problem } from "./api.js";
import { el, fill, format, text } from "./dom.js";
import { buildFields, clearErrors, collect, eventTypes, localNow, showErrors, uploadSchema } from "./forms.js";
import * as store from "./store.js";
import { renderCase } from "./view.js";

const $ = (id) => document.getElementById(id);
const state = { lang: null, languages: null, labels: null, catalogue: null, spec: null, api: null, session: null };

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Problem(response.status, null);
  return response.json();
}

// The languages come from the server (app/locales.py), so a new one needs no change here.
async function loadLanguages() {
  state.languages = await getJson("languages.json");
  state.lang = store.language(state.languages.languages.map(({ tag }) => tag), state.languages.default);
}

function nextLanguage() {
  const list = state.languages.languages;
  return list[(list.findIndex(({ tag }) => tag === state.lang) + 1) % list.length];
}

async function loadTexts() {
  await loadLanguages();
  [state.labels, state.catalogue] = await Promise.all([
    getJson(`i18n/${state.lang}.json`),
    getJson(`catalogue.json?lang=${encodeURIComponent(state.lang)}`),
  ]);
  document.documentElement.lang = state.lang;
  document.title = state.labels.app_title;
  const L = state.labels;
  const words = {
    "app-title": L.app_title, "lang-switch": nextLanguage().name, loading: L.loading,
    "no-link-title": L.no_link_title, "no-link-body": L.no_link_body,
    "fraud-title": L.fraud_banner_title, "fraud-body": L.fraud_banner_body, "fraud-call": L.fraud_call,
    "status-heading": L.status_heading, "status-label": L.status_label, "risk-label": L.risk_label,
    "platform-label": L.platform_label, "amount-label": L.amount_label,
    "actions-heading": L.actions_heading, "deadlines-heading": L.deadlines_heading,
    "add-heading": L.add_heading, "add-intro": L.add_intro, "event-type-label": L.event_type_label,
    "event-submit": L.submit_event, "evidence-heading": L.evidence_heading,
    "evidence-intro": L.evidence_intro, "evidence-submit": L.submit_evidence,
    "dossier-heading": L.dossier_heading, "dossier-intro": L.dossier_intro,
    "dossier-download": L.dossier_download, "forget-heading": L.forget_heading,
    "forget-intro": L.forget_intro, "forget-button": L.forget_button,
  };
  for (const [id, value] of Object.entries(words)) $(id).textContent = value;
  $("lang-switch").setAttribute("lang", nextLanguage().tag);
  $("lang-switch").setAttribute("aria-label", nextLanguage().switch_label);
  $("lang-switch").hidden = state.languages.languages.length < 2;  // shown once it names one
}

function say(id, message, kind) {
  const node = $(id);
  node.textContent = message || "";
  node.hidden = !message;
  if (kind) node.className = kind;
}

function setOffline(offline) {
  say("offline", offline ? state.labels.offline_badge : "");
}

// ---- reading ------------------------------------------------------------------------------

async function refresh() {
  try {
    const { body, cachedAt } = await state.api.readCase();
    setOffline(Boolean(cachedAt));
    renderCase(body, { labels: state.labels, catalogue: state.catalogue, lang: state.lang, cachedAt });
    $("case").hidden = false;
    $("loading").hidden = true;
  } catch (error) {
    $("loading").hidden = true;
    if (error instanceof Problem && (error.status === 401 || error.status === 404)) {
      showNoLink(state.labels.link_invalid);
    } else if (error instanceof Offline) {
      setOffline(true);
      if ($("case").hidden) say("loading", state.labels.load_failed);
    } else {
      say("loading", format(state.labels.error_generic, { detail: error.message }));
    }
  }
}

function showNoLink(body) {
  $("case").hidden = true;
  $("no-link").hidden = false;
  $("no-link-body").textContent = body || state.labels.no_link_body;
}

// ---- adding what happened -------------------------------------------------------------------

function setUpEventForm() {
  const types = eventTypes(state.spec);
  const order = Object.keys(state.catalogue.event_types);
  const rank = (type) => (order.includes(type) ? order.indexOf(type) : order.length);
  types.sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
  const select = $("event-type");
  fill(select, el("option", { value: "" }, text(state.labels.event_type_placeholder)),
    ...types.map(({ type }) => el("option", { value: type }, text(state.catalogue.event_types[type] || type.replace(/_/g, " ")))));
  const byType = Object.fromEntries(types.map((entry) => [entry.type, entry]));
  let readers = null;
  select.onchange = () => {
    const entry = byType[select.value];
    const container = fill($("event-fields"));
    clearErrors($("event-form"));
    say("event-form-error", "");
    $("event-submit").hidden = !entry;
    if (!entry) return (readers = null);
    const common = { scope: entry.type, idPrefix: "ev" };
    readers = [
      ...buildFields(state.spec, state.labels, container, { ...common,
        schema: { properties: { occurred_at: entry.event.properties.occurred_at }, required: ["occurred_at"] } }),
      ...buildFields(state.spec, state.labels, container, { ...common, schema: entry.data, prefix: ["data"] }),
      ...buildFields(state.spec, state.labels, container, { ...common,
        schema: { properties: { note: entry.event.properties.note } } }),
    ];
    $("ev-occurred_at").value = localNow();
  };
  $("event-form").onsubmit = async (submit) => {
    submit.preventDefault();
    if (!readers) return;
    const form = $("event-form");
    clearErrors(form);
    say("event-form-error", "");
    say("event-result", "");
    const values = collect(readers);
    // The client's own id: a resend (after a lost answer, or from the offline queue) is stored once.
    const event = { type: select.value, ...values, data: values.data || {}, event_id: crypto.randomUUID() };
    try {
      await state.api.postEvent(event);
      afterEventSaved(state.labels.event_saved);
    } catch (error) {
      if (error instanceof Offline) {
        store.enqueue(state.session.caseId, event);
        afterEventSaved(state.labels.event_queued, true);
      } else if (error instanceof Problem && error.body.errors) {
        const unmatched = showErrors(form, state.labels, error.body);
        say("event-form-error", [state.labels.form_invalid, ...unmatched].join(" "));
        const first = form.querySelector("[aria-invalid=true]");
        if (first) first.focus();
      } else {
        say("event-form-error", format(state.labels.error_generic, { detail: error.message }));
      }
    }
  };
}

function afterEventSaved(message, queued = false) {
  $("event-type").value = "";
  $("event-type").onchange();
  say("event-result", message, queued ? "notice" : "ok");
  showQueue();
  if (!queued) refresh();
}

function showQueue() {
  const waiting = store.queued(state.session.caseId).length;
  say("queue", waiting ? format(state.labels.queue_pending, { n: waiting }) : "");
}

// Sends what was written offline, oldest first; stops at the first event that still cannot go.
async function flushQueue() {
  let sent = 0;
  for (const event of store.queued(state.session.caseId)) {
    try {
      await state.api.postEvent(event);
    } catch (error) {
      if (error instanceof Offline || (error instanceof Problem && (error.status === 429 || error.status >= 500))) break;
      // Refused for good (the case closed, the token was revoked, the event is invalid): drop it
      // rather than block everything after it, and say so.
      say("event-form-error", format(state.labels.error_generic, { detail: error.message }));
    }
    store.dequeue(state.session.caseId, event.event_id);
    sent += 1;
  }
  showQueue();
  if (sent) {
    say("event-result", format(state.labels.queue_sent, { n: sent }), "ok");
    await refresh();
  }
}

// ---- evidence and the dossier -----------------------------------------------------------------

function setUpEvidenceForm() {
  const schema = uploadSchema(state.spec);
  const container = fill($("evidence-fields"));
  const readers = buildFields(state.spec, state.labels, container, { scope: "evidence", schema, idPrefix: "evi" });
  $("evi-captured_at").value = localNow();
  $("evidence-form").onsubmit = async (submit) => {
    submit.preventDefault();
    const form = $("evidence-form");
    clearErrors(form);
    say("evidence-form-error", "");
    say("evidence-result", "");
    const values = collect(readers);
    const body = new FormData();
    for (const [name, value] of Object.entries(values)) body.append(name, value);
    try {
      const saved = await state.api.uploadEvidence(body);
      say("evidence-result", format(state.labels.evidence_saved, { name: saved.original_name || values.file.name }));
      form.reset();
      $("evi-captured_at").value = localNow();
      refresh();
    } catch (error) {
      if (error instanceof Offline) {
        say("evidence-form-error", state.labels.evidence_offline);
      } else if (error instanceof Problem && (error.body.errors || error.body.field)) {
        const problem = error.body.errors ? error.body
          : { errors: [{ pointer: `/${error.body.field}`, message: error.body.detail, code: error.body.code }] };
        const unmatched = showErrors(form, state.labels, problem);
        say("evidence-form-error", [state.labels.form_invalid, ...unmatched].join(" "));
      } else {
        say("evidence-form-error", format(state.labels.error_generic, { detail: error.message }));
      }
    }
  };
}

function setUpDossier() {
  $("dossier-download").onclick = async () => {
    say("dossier-result", "");
    try {
      const pdf = await state.api.dossierPdf();
      const url = URL.createObjectURL(pdf);
      const link = el("a", { href: url, download: `dossier-${state.session.caseId}.pdf`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      say("dossier-result", state.labels.dossier_ready, "ok");
    } catch {
      say("dossier-result", state.labels.dossier_failed, "error");
    }
  };
}

// ---- start ------------------------------------------------------------------------------------

async function start() {
  store.takeLinkFromFragment();
  state.session = store.currentCase();
  await loadTexts();
  $("lang-switch").onclick = () => {
    store.setLanguage(nextLanguage().tag);
    location.reload();
  };
  $("forget-button").onclick = async () => {
    await store.forgetEverything();
    $("case").hidden = true;
    $("forget").hidden = true;
    say("forgotten", state.labels.forgotten);
  };
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => { /* online-only then */ });
  }
  if (!state.session) {
    $("loading").hidden = true;
    showNoLink();
    return;
  }
  $("forget").hidden = false;
  state.api = new Api({ ...state.session, lang: state.lang });
  state.spec = await getJson("/openapi.json");
  setUpEventForm();
  setUpEvidenceForm();
  setUpDossier();
  showQueue();
  addEventListener("online", () => { setOffline(false); flushQueue(); });
  addEventListener("offline", () => setOffline(true));
  await refresh();
  if (navigator.onLine) await flushQueue();
  document.body.dataset.ready = "true";
}

start().catch((error) => {
  $("loading").hidden = false;
  $("loading").textContent = `Error: ${error.message}`;
});
