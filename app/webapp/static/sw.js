// Web app, offline: keeps the page and the last answer about the case, for reading without a connection.
//
// Network first everywhere, so a release or a new evaluation shows at once when online; the
// copies are only used when no answer comes. Writes are never intercepted: the page queues
// events itself (js/store.js) and the API deduplicates them by event_id.

const SHELL = "stuckfunds-shell-v1";
const DATA = "stuckfunds-case-v1";
const SHELL_FILES = [
  "./", "app.css", "icon.svg", "manifest.webmanifest",
  "js/app.js", "js/api.js", "js/dom.js", "js/forms.js", "js/store.js", "js/view.js",
  "languages.json", "/openapi.json",
];

// Each language's labels too; the list comes from the server, so a new language needs no change here.
async function languageFiles() {
  const response = await fetch("languages.json");
  if (!response.ok) throw new Error(`languages.json: ${response.status}`);
  const { languages } = await response.json();
  return languages.flatMap(({ tag }) => [`i18n/${tag}.json`, `catalogue.json?lang=${encodeURIComponent(tag)}`]);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll([...SHELL_FILES, ...await languageFiles()]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== SHELL && name !== DATA) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

const CASE_READ = /^\/v1\/cases\/[0-9a-f-]{36}$/i;

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (CASE_READ.test(url.pathname) && request.headers.get("Authorization")) {
    event.respondWith(caseRead(request));
  } else if (url.pathname.startsWith("/app/") || url.pathname === "/openapi.json") {
    event.respondWith(shellFile(request));
  }
});

async function shellFile(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const copy = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
    if (copy) return copy;
    throw error;
  }
}

// A saved answer is filed under a digest of the token and the URL, so only the same token
// (the one in this tab's session) can read it back; "forget this device" deletes them all.
async function keyFor(request) {
  const material = new TextEncoder().encode(`${request.headers.get("Authorization")}\n${request.url}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", material));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return new Request(`${self.registration.scope}__case__/${hex}`);
}

async function caseRead(request) {
  const cache = await caches.open(DATA);
  const key = await keyFor(request);
  try {
    const response = await fetch(request);
    if (response.ok) {
      const headers = new Headers(response.headers);
      headers.set("X-StuckFunds-Cached-At", new Date().toISOString());
      await cache.put(key, new Response(await response.clone().blob(), { status: 200, headers }));
    } else if (response.status === 401 || response.status === 404) {
      await cache.delete(key);
    }
    return response;
  } catch {
    const copy = await cache.match(key);
    if (copy) return copy;
    return new Response(JSON.stringify({ title: "Offline", status: 503 }), {
      status: 503, headers: { "Content-Type": "application/problem+json", "X-StuckFunds-Offline": "1" },
    });
  }
}
