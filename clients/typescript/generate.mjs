// Generates generated/schema.d.ts, the API's types for openapi-fetch, from openapi/openapi.json.
// The Node API instead of the CLI for one reason: binary parts (the evidence upload's `file`, the
// PDF) become `Blob` rather than `string`, so an upload is type-checked as what it really is.
// Defaults are not made required: a field the server fills in may be left out by the client.
import { mkdirSync, writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const spec = new URL("../../openapi/openapi.json", import.meta.url);
const out = new URL("./generated/schema.d.ts", import.meta.url);
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));

const ast = await openapiTS(spec, {
  defaultNonNullable: false,
  transform(schemaObject) {
    if (schemaObject.format === "binary") return BLOB;
    return undefined;
  },
});
mkdirSync(new URL("./generated/", import.meta.url), { recursive: true });
writeFileSync(out, astToString(ast));
console.log(`openapi-typescript: ${spec.pathname} -> ${out.pathname}`);
