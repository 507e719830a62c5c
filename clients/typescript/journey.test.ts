// The generated TypeScript client (openapi-typescript types, openapi-fetch) through a whole
// journey against a live server. tsc type-checks every call against the spec's types first;
// node --test then runs it. tests/clients/test_typescript_client.py starts the server and
// passes STUCKFUNDS_URL and STUCKFUNDS_API_KEY.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];
const baseUrl = process.env.STUCKFUNDS_URL ?? assert.fail("STUCKFUNDS_URL is not set");
const apiKey = process.env.STUCKFUNDS_API_KEY ?? assert.fail("STUCKFUNDS_API_KEY is not set");
// The second type argument picks the JSON answers (application/json and problem+json) as `data`
// and `error`; the dossier's Markdown and PDF are read with parseAs below.
type Json = `application/${string}json`;
const partner = createClient<paths, Json>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

test("a partner journey with the generated TypeScript client", async (t) => {
  // `currency` has a default (CNY) and is left out: were defaults made required, tsc would refuse this.
  const intake: Schemas["CaseCreate"] = {
    platform: { name: "安心人寿保险APP", kind: "insurer" },
    amount: "38000.00",
    withdrawal_requested_at: ago(10),
    province: "浙江",
  };
  let caseId = "";

  await t.test("opens a case, and a retry with the same Idempotency-Key gets the same case", async () => {
    const key = randomUUID();
    const opened = await partner.POST("/v1/cases", { params: { header: { "idempotency-key": key } }, body: intake });
    assert.equal(opened.response.status, 201, JSON.stringify(opened.error));
    const retried = await partner.POST("/v1/cases", { params: { header: { "idempotency-key": key } }, body: intake });
    assert.equal(retried.response.status, 201);
    assert.equal(retried.response.headers.get("Idempotent-Replayed"), "true");
    assert.equal(retried.data?.id, opened.data?.id);
    caseId = opened.data!.id;
  });

  const path = () => ({ path: { case_id: caseId } });

  await t.test("posts an event", async () => {
    const { data, response } = await partner.POST("/v1/cases/{case_id}/events", {
      params: path(),
      body: { type: "withdrawal_attempted", occurred_at: ago(9), data: { result: "failed" } },
    });
    assert.equal(response.status, 201);
    assert.equal(data?.event.seq, 1);
    assert.equal(data?.event.type, "withdrawal_attempted");
  });

  await t.test("reads with the ETag and writes with If-Match; a stale ETag gets 412", async () => {
    const read = await partner.GET("/v1/cases/{case_id}", { params: path() });
    const etag = read.response.headers.get("ETag");
    assert.ok(etag);
    assert.equal(read.data?.last_seq, 1);
    const updated = await partner.PATCH("/v1/cases/{case_id}", {
      params: { ...path(), header: { "If-Match": etag } }, body: { external_ref: "partner-4711" },
    });
    assert.equal(updated.response.status, 200);
    assert.equal(updated.data?.external_ref, "partner-4711");
    assert.notEqual(updated.response.headers.get("ETag"), etag);
    const stale = await partner.PATCH("/v1/cases/{case_id}", {
      params: { ...path(), header: { "If-Match": etag } }, body: { province: "江苏" },
    });
    assert.equal(stale.response.status, 412);
    assert.equal(stale.response.headers.get("Content-Type"), "application/problem+json");
    assert.equal(stale.error?.code, "precondition-failed");
  });

  let sha256 = "";
  await t.test("uploads evidence as multipart form data", async () => {
    const text = "客服：您的提现正在审核中。\n";
    const upload: Schemas["EvidenceUpload"] = {
      file: new Blob([text], { type: "text/plain" }), kind: "chat_log", captured_at: ago(8),
      description: "在线客服聊天记录",
    };
    const { data, response, error } = await partner.POST("/v1/cases/{case_id}/evidence", {
      params: path(), body: upload,
      bodySerializer(body) {
        const form = new FormData();
        form.append("file", body.file, "聊天记录.txt");
        form.append("kind", body.kind);
        form.append("captured_at", body.captured_at);
        if (body.description) form.append("description", body.description);
        return form;
      },
    });
    assert.equal(response.status, 201, JSON.stringify(error));
    assert.equal(data?.media_type, "text/plain");
    assert.equal(data?.size, new TextEncoder().encode(text).length);
    sha256 = data!.sha256;
  });

  await t.test("fetches the dossier as JSON, Markdown and PDF", async () => {
    const json = await partner.GET("/v1/cases/{case_id}/dossier", { params: { ...path(), query: { format: "json" } } });
    assert.equal(json.response.status, 200);
    const dossier = json.data!;
    assert.equal(dossier.external_ref, "partner-4711");
    assert.deepEqual(dossier.evidence.map((item) => item.sha256), [sha256]);

    const markdown = await partner.GET("/v1/cases/{case_id}/dossier", {
      params: { ...path(), query: { format: "markdown" } }, parseAs: "text",
    });
    assert.equal(markdown.response.status, 200);
    assert.match(markdown.response.headers.get("Content-Type") ?? "", /^text\/markdown/);
    assert.ok(markdown.data?.includes("安心人寿保险APP"));

    const pdf = await partner.GET("/v1/cases/{case_id}/dossier", {
      params: path(), headers: { Accept: "application/pdf" }, parseAs: "arrayBuffer",
    });
    assert.equal(pdf.response.status, 200);
    assert.equal(pdf.response.headers.get("Content-Type"), "application/pdf");
    const bytes = new Uint8Array(pdf.data!);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 5)), "%PDF-");
    assert.ok(bytes.length > 10_000, `a ${bytes.length}-byte PDF is too small to hold the dossier`);
  });

  await t.test("a case token reads and posts to its case, and sees no other", async () => {
    const issued = await partner.POST("/v1/cases/{case_id}/tokens", { params: path(), body: { ttl_days: 7 } });
    assert.equal(issued.response.status, 201);
    const phone = createClient<paths, Json>({ baseUrl, headers: { Authorization: `Bearer ${issued.data!.token}` } });
    const read = await phone.GET("/v1/cases/{case_id}", { params: path() });
    assert.equal(read.data?.id, caseId);
    const note = await phone.POST("/v1/cases/{case_id}/events", {
      params: path(), body: { type: "note_added", occurred_at: ago(0.001), data: { text: "又打了一次客服电话" } },
    });
    assert.equal(note.response.status, 201);
    assert.equal(note.data?.event.seq, 3); // 2 was the evidence
    const other = await partner.POST("/v1/cases", { body: intake });
    const refused = await phone.GET("/v1/cases/{case_id}", { params: { path: { case_id: other.data!.id } } });
    assert.equal(refused.response.status, 404);
    assert.equal(refused.error?.code, "case-not-found");
  });
});
