"""The contract: the committed OpenAPI document is the one the code serves, and it reads well."""

import json
import re

import pytest

from app.openapi_doc import openapi_document
from app.settings import PROJECT_ROOT

COMMITTED = PROJECT_ROOT / "openapi" / "openapi.json"
REGENERATE = "make openapi  (or: .venv/bin/stuckfunds openapi > openapi/openapi.json)"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_committed_contract_matches_the_code(document):
    assert COMMITTED.exists(), f"openapi/openapi.json is missing; run {REGENERATE}"
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    # Round-trip the generated one too, so tuples and the like compare as the JSON they become.
    generated = json.loads(json.dumps(document))
    if committed != generated:
        where = ", ".join(_drift(committed, generated))
        pytest.fail(f"openapi/openapi.json has drifted from the code ({where}); if the change is"
                    f" intended, regenerate it: {REGENERATE}", pytrace=False)


def _drift(old: dict, new: dict) -> list[str]:
    """Where two documents differ: paths, component schemas, else the top-level members."""
    def changed(a: dict, b: dict) -> list[str]:
        return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))

    where = [f"paths {p}" for p in changed(old.get("paths", {}), new.get("paths", {}))]
    where += [f"#/components/schemas/{name}" for name in changed(
        old.get("components", {}).get("schemas", {}), new.get("components", {}).get("schemas", {}))]
    return where or changed(old, new)


def test_every_operation_has_a_tag_and_name_operation_id(document):
    seen = set()
    for name, operation in operations(document):
        operation_id = operation.get("operationId", "")
        assert operation.get("tags"), f"{name} has no tag"
        assert len(operation["tags"]) == 1, f"{name} is filed under {operation['tags']}"
        assert re.fullmatch(rf"{operation['tags'][0]}-[a-z][a-z0-9_]*", operation_id), \
            f"{name}: operationId {operation_id!r} is not <tag>-<name>"
        assert operation_id not in seen, f"duplicate operationId {operation_id}"
        seen.add(operation_id)


def test_every_error_response_is_a_problem_document(document):
    checked = 0
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[:1] not in ("4", "5"):
                continue
            checked += 1
            content = response.get("content", {})
            assert list(content) == ["application/problem+json"], f"{name} {status}: {list(content)}"
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert checked, "no error responses are documented at all"


def test_problem_schema_has_the_rfc_9457_members(document):
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code"} <= set(problem["required"])
    assert {"detail", "instance", "errors"} <= set(problem["properties"])


def test_routes_with_input_document_their_422_and_authenticated_ones_their_401(document):
    for name, operation in operations(document):
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], name
        if operation.get("security"):
            assert "401" in operation["responses"], name


# --- the contract says what the server does (issue 12, point 2) ---------------------------------


def _responses(document: dict, method: str, path: str) -> dict:
    return document["paths"][path][method]["responses"]


def test_the_evidence_upload_sends_its_file_as_binary_and_allows_no_other_field(document):
    body = document["paths"]["/v1/cases/{case_id}/evidence"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    schema = document["components"]["schemas"][body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["file"]["type"] == "string"
    assert schema["properties"]["file"]["format"] == "binary"  # a generated client sends bytes
    assert schema["additionalProperties"] is False
    assert {"file", "kind", "captured_at"} <= set(schema["required"])


def test_the_dossier_documents_its_three_media_types(document):
    content = _responses(document, "get", "/v1/cases/{case_id}/dossier")["200"]["content"]
    assert set(content) == {"application/pdf", "text/markdown", "application/json"}
    assert content["application/pdf"]["schema"] == {"type": "string", "format": "binary"}
    assert content["text/markdown"]["schema"]["type"] == "string"
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Dossier"}
    assert "Dossier" in document["components"]["schemas"]


def test_the_evidence_download_documents_every_type_it_can_send(document):
    from app.settings import Settings

    content = _responses(document, "get", "/v1/cases/{case_id}/evidence/{evidence_id}/content")["200"]["content"]
    assert set(content) == set(Settings().evidence_media_types)
    assert all(entry["schema"] == {"type": "string", "format": "binary"} for entry in content.values())


def _header(response: dict, name: str, document: dict) -> dict | None:
    header = response.get("headers", {}).get(name)
    if header and "$ref" in header:
        return document["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
    return header


def test_every_answer_documents_x_request_id(document):
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            header = _header(response, "X-Request-ID", document)
            assert header and header.get("required"), f"{name} {status}"


@pytest.mark.parametrize(("method", "path", "status", "headers"), [
    ("post", "/v1/cases", "201", {"Location", "ETag"}),
    ("get", "/v1/cases/{case_id}", "200", {"ETag"}),
    ("patch", "/v1/cases/{case_id}", "200", {"ETag"}),
    ("post", "/v1/cases/{case_id}/events", "201", {"Location", "ETag"}),
    ("post", "/v1/cases/{case_id}/events", "200", {"Location", "ETag", "Idempotent-Replayed"}),
    ("post", "/v1/cases/{case_id}/evidence", "201", {"Location"}),
    ("post", "/v1/webhooks", "201", {"Location"}),
    ("get", "/v1/cases/{case_id}/evidence/{evidence_id}/content", "200", {"ETag", "Content-Disposition"}),
    ("get", "/v1/cases/{case_id}/dossier", "200", {"Content-Language", "Content-Disposition"}),
])
def test_success_answers_document_the_headers_a_client_needs(document, method, path, status, headers):
    response = _responses(document, method, path)[status]
    for name in headers:
        assert _header(response, name, document), f"{method.upper()} {path} {status} lacks {name}"


def test_an_event_id_replay_is_a_documented_200(document):
    replay = _responses(document, "post", "/v1/cases/{case_id}/events")["200"]
    assert replay["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/EventAppended"}


def test_idempotent_creates_document_the_replay_header(document):
    for name, operation in operations(document):
        if any(p["name"].lower() == "idempotency-key" for p in operation.get("parameters", [])):
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    assert _header(response, "Idempotent-Replayed", document), f"{name} {status}"


def test_throttling_unavailability_and_credentials_are_documented_with_their_headers(document):
    authenticated = [(name, op) for name, op in operations(document) if op["security"]]
    assert len(authenticated) >= 25
    for name, operation in authenticated:
        responses = operation["responses"]
        for status in ("401", "429", "503"):
            assert status in responses, f"{name} does not document {status}"
        assert _header(responses["429"], "Retry-After", document)["required"], name
        assert _header(responses["401"], "WWW-Authenticate", document)["required"], name
        assert _header(responses["503"], "Retry-After", document), name


def test_partner_only_routes_document_403_for_case_tokens(document):
    from app.edge.auth import partner_caller
    from app.edge.contract import _api_routes, _calls
    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    partner_only = {(m.lower(), r.path) for r in _api_routes(app.routes)
                    if partner_caller in _calls(r.dependant) for m in r.methods}
    assert len(partner_only) >= 11
    for method, path in partner_only:
        assert "403" in _responses(document, method, path), f"{method.upper()} {path}"


def test_malformed_multipart_is_a_documented_400(document):
    assert "400" in _responses(document, "post", "/v1/cases/{case_id}/evidence")


def test_open_routes_say_they_need_no_credentials(document):
    for path in ("/healthz", "/readyz", "/metrics"):
        assert document["paths"][path]["get"]["security"] == []


def test_the_document_names_its_servers_tags_contact_and_license(document):
    assert document["servers"] and document["servers"][0]["url"].startswith("http://127.0.0.1:")
    assert document["info"]["contact"]["name"] and document["info"]["license"]["name"]
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    used = {tag for _, operation in operations(document) for tag in operation["tags"]}
    assert used <= described, used - described


def test_if_match_is_required_on_patch(document):
    parameters = document["paths"]["/v1/cases/{case_id}"]["patch"]["parameters"]
    [if_match] = [p for p in parameters if p["name"].lower() == "if-match"]
    assert if_match["required"] is True and if_match["in"] == "header"
    assert "428" in _responses(document, "patch", "/v1/cases/{case_id}")


def test_money_webhook_urls_and_text_are_as_strict_as_the_server(document):
    from app.schemas import MONEY_PATTERN, TEXT_PATTERN

    schemas = document["components"]["schemas"]
    amount = schemas["CaseCreate"]["properties"]["amount"]
    assert {"type": "string", "pattern": MONEY_PATTERN} in amount["anyOf"]
    assert {o["type"] for o in amount["anyOf"]} == {"string", "integer"}  # no fractional numbers
    url = schemas["WebhookCreate"]["properties"]["url"]
    assert url["format"] == "uri" and url["pattern"].startswith("^[Hh][Tt][Tt][Pp]")
    assert schemas["PlatformIn"]["properties"]["name"]["pattern"] == TEXT_PATTERN
