// Web app, forms: built from the served OpenAPI document, so every event type, field, choice and
// limit is the API's own; only the words shown beside them come from the page's label files.

import { el, text } from "./dom.js";

// Recorded by the upload form itself (the API writes the event when a file is saved).
const HANDLED_ELSEWHERE = new Set(["evidence_saved"]);

function resolve(spec, schema) {
  if (schema && schema.$ref) return spec.components.schemas[schema.$ref.split("/").pop()];
  return schema;
}

// A property's schema without its "or null": returns the schema and whether null is allowed.
function unwrap(spec, schema) {
  const options = schema.anyOf || schema.oneOf;
  if (!options) return { schema: resolve(spec, schema), nullable: false };
  const real = options.filter((option) => option.type !== "null");
  const nullable = real.length < options.length;
  const only = real.length === 1 ? resolve(spec, real[0]) : null;
  if (only && !only.anyOf && !only.oneOf) return { schema: only, nullable };
  // number-or-string (amounts): a decimal typed as text
  return { schema: { type: "string", format: "decimal" }, nullable };
}

// One event type: { type, schema of the event, schema of its data }.
export function eventTypes(spec) {
  const body = spec.paths["/v1/cases/{case_id}/events"].post.requestBody.content["application/json"].schema;
  return (body.oneOf || body.anyOf).map((ref) => {
    const event = resolve(spec, ref);
    const type = event.properties.type.const;
    const data = unwrap(spec, event.properties.data).schema;
    return { type, event, data };
  }).filter((entry) => !HANDLED_ELSEWHERE.has(entry.type));
}

export function uploadSchema(spec) {
  const body = spec.paths["/v1/cases/{case_id}/evidence"].post.requestBody.content["multipart/form-data"].schema;
  return resolve(spec, body);
}

// A field: its JSON pointer (how the API names it in a problem's errors[]), label and input.
function labelFor(labels, scope, fullPath) {
  const path = fullPath[0] === "data" ? fullPath.slice(1) : fullPath;
  const name = path[path.length - 1];
  const dotted = path.join(".");
  return labels.fields[`${scope}.${dotted}`] || labels.fields[dotted] || labels.fields[name] ||
    name.replace(/_/g, " ");
}

function control(spec, labels, { id, pointer, schema, nullable, required, name }) {
  const base = { id, name: pointer, "data-pointer": pointer };
  if (required) base["aria-required"] = "true";
  if (schema.enum) {
    const choices = labels.values[name] || {};
    const options = [el("option", { value: "" }, text(required ? labels.choose : labels.unknown))];
    for (const value of schema.enum) options.push(el("option", { value }, text(choices[value] || value)));
    return { node: el("select", base, ...options), read: (node) => node.value || null };
  }
  if (schema.type === "boolean") {
    const node = el("select", base,
      el("option", { value: "" }, text(required ? labels.choose : labels.unknown)),
      el("option", { value: "true" }, text(labels.yes)),
      el("option", { value: "false" }, text(labels.no)));
    return { node, read: (input) => (input.value === "" ? null : input.value === "true") };
  }
  if (schema.format === "date-time") {
    const node = el("input", { ...base, type: "datetime-local", step: "60" });
    return { node, read: (input) => (input.value ? withOffset(input.value) : null) };
  }
  if (schema.format === "decimal" || schema.type === "number") {
    const node = el("input", { ...base, type: "text", inputmode: "decimal", autocomplete: "off" });
    return { node, read: (input) => input.value.trim() || null };
  }
  if (schema.contentMediaType || schema.format === "binary") {
    const node = el("input", { ...base, type: "file", accept: "image/*,audio/*,video/mp4,application/pdf,text/plain" });
    return { node, read: (input) => input.files[0] || null };
  }
  const long = !schema.maxLength || schema.maxLength > 200;
  const attrs = { ...base, autocomplete: "off" };
  if (schema.maxLength) attrs.maxlength = String(schema.maxLength);
  const node = long ? el("textarea", { ...attrs, rows: "3" }) : el("input", { ...attrs, type: "text" });
  return { node, read: (input) => input.value.trim() || null };
}

// datetime-local gives the phone's wall-clock time without an offset; the API wants one.
export function withOffset(local) {
  const date = new Date(local);
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  return `${local.length === 16 ? local + ":00" : local}${sign}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`;
}

export function localNow() {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}

// Builds the fields of an object schema into `container`; returns readers that rebuild the JSON.
export function buildFields(spec, labels, container, { scope, schema, prefix = [], idPrefix }) {
  const readers = [];
  const required = new Set(schema.required || []);
  for (const [name, property] of Object.entries(schema.properties || {})) {
    if (name === "type" || name === "event_id" || name === "sha256" || name === "evidence_id") continue;
    const path = [...prefix, name];
    const pointer = "/" + path.join("/");
    const { schema: inner, nullable } = unwrap(spec, property);
    const label = labelFor(labels, scope, path);
    const id = `${idPrefix}-${path.join("-")}`;
    const isRequired = required.has(name);
    if (inner.type === "object" && inner.properties && !inner.enum) {
      const fieldset = el("fieldset", {}, el("legend", {}, text(label)));
      const nested = buildFields(spec, labels, fieldset, { scope, schema: inner, prefix: path, idPrefix });
      container.append(fieldset);
      readers.push({ path, read: () => {
        const value = collect(nested);
        return Object.keys(value).length ? value : null;
      } });
      continue;
    }
    const { node, read } = control(spec, labels, { id, pointer, schema: inner, nullable, required: isRequired, name });
    const labelNode = el("label", { for: id }, text(label));
    if (isRequired) labelNode.append(el("span", { class: "req" }, text(labels.required_mark)));
    const errorId = `${id}-error`;
    node.setAttribute("aria-describedby", errorId);
    container.append(el("div", { class: "field" }, labelNode, node,
      el("p", { class: "field-error", id: errorId, "data-error-for": pointer, hidden: "" })));
    readers.push({ path, read: () => read(node), node });
  }
  return readers;
}

// Rebuilds the nested JSON from the readers, leaving out what the person left empty.
export function collect(readers) {
  const out = {};
  for (const { path, read } of readers) {
    const value = read();
    if (value === null || value === undefined) continue;
    let target = out;
    for (const key of path.slice(0, -1)) target = target[key] ??= {};
    target[path[path.length - 1]] = value;
  }
  return out;
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll("[data-error-for]")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

// Shows a problem's errors[] next to the fields they name; returns the ones no field matched.
export function showErrors(form, labels, problem) {
  const unmatched = [];
  for (const error of problem.errors || []) {
    const pointer = error.pointer || "/" + String(error.field || "").replace(/\./g, "/");
    const slot = form.querySelector(`[data-error-for="${CSS.escape(pointer)}"]`);
    const words = labels.problems[error.code];
    const message = words ? words.replace("{message}", error.message || "") : error.message;
    if (!slot) {
      unmatched.push(message);
      continue;
    }
    slot.textContent = message;
    slot.hidden = false;
    const input = form.querySelector(`[data-pointer="${CSS.escape(pointer)}"]`);
    if (input) input.setAttribute("aria-invalid", "true");
  }
  return unmatched;
}
