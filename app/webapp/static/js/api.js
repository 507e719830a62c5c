// Web app, the API: every call carries the case token and the page's language.

export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

// Thrown when no answer came at all (offline, server unreachable): the caller may queue.
export class Offline extends Error {}

export class Api {
  constructor({ caseId, token, lang }) {
    this.caseId = caseId;
    this.token = token;
    this.lang = lang;
    this.base = `/v1/cases/${caseId}`;
  }

  async request(path, { method = "GET", json, form, accept } = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, "Accept-Language": this.lang };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    if (accept) headers.Accept = accept;
    let response;
    try {
      response = await fetch(this.base + path, { method, headers, body, cache: "no-store" });
    } catch {
      throw new Offline();
    }
    // The service worker answers 503 with this header when it had nothing cached for an offline read.
    if (response.status === 503 && response.headers.get("X-StuckFunds-Offline")) throw new Offline();
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch { /* not a problem document */ }
      throw new Problem(response.status, problem);
    }
    return response;
  }

  async readCase() {
    const response = await this.request("?upcoming=true");
    return { body: await response.json(), cachedAt: response.headers.get("X-StuckFunds-Cached-At") };
  }

  async postEvent(event) {
    return (await this.request("/events", { method: "POST", json: event })).json();
  }

  async uploadEvidence(form) {
    return (await this.request("/evidence", { method: "POST", form })).json();
  }

  async dossierPdf() {
    return (await this.request(`/dossier?format=pdf&lang=${encodeURIComponent(this.lang)}`,
      { accept: "application/pdf" })).blob();
  }
}
