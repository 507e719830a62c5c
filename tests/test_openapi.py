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
