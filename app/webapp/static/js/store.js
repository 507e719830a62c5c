// Web app, device storage: the case token (this tab's session only), the language, and the
// queue of events written while offline.

const SESSION_KEY = "stuckfunds.case";
const LANG_KEY = "stuckfunds.lang";
const QUEUE_KEY = "stuckfunds.queue";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN = /^sfct_[A-Za-z0-9_-]{20,200}$/;

// The link is /app/#case=<id>&token=<token>. The fragment never reaches a server; once read it
// is dropped from the address bar and the history, so the token sits in session storage only.
export function takeLinkFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const caseId = fragment.get("case");
  const token = fragment.get("token");
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (caseId && token && UUID.test(caseId) && TOKEN.test(token)) {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ caseId, token }));
  }
}

export function currentCase() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    return saved && UUID.test(saved.caseId) && TOKEN.test(saved.token) ? saved : null;
  } catch {
    return null;
  }
}

// The language chosen on this device, if the server still offers it; else the server's default.
export function language(known, fallback) {
  const saved = localStorage.getItem(LANG_KEY);
  return known.includes(saved) ? saved : fallback;
}

export function setLanguage(lang) {
  localStorage.setItem(LANG_KEY, lang);
}

function readQueue() {
  try {
    const queue = JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
    return Array.isArray(queue) ? queue : [];
  } catch {
    return [];
  }
}

// Queued events keep the event_id they were given when written, so sending one twice (a flush
// cut off halfway) stores it once: the API answers a known event_id with the stored event.
export function enqueue(caseId, event) {
  const queue = readQueue();
  queue.push({ caseId, event });
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
}

export function queued(caseId) {
  return readQueue().filter((item) => item.caseId === caseId).map((item) => item.event);
}

export function dequeue(caseId, eventId) {
  const queue = readQueue().filter((item) => !(item.caseId === caseId && item.event.event_id === eventId));
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
}

// "Forget this device": the token, the queue, the language choice and every cached answer.
export async function forgetEverything() {
  sessionStorage.clear();
  localStorage.removeItem(QUEUE_KEY);
  localStorage.removeItem(LANG_KEY);
  if ("caches" in self) {
    for (const name of await caches.keys()) await caches.delete(name);
  }
  if (navigator.serviceWorker) {
    for (const registration of await navigator.serviceWorker.getRegistrations()) {
      await registration.unregister();
    }
  }
}
