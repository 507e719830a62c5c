"""Fixtures for the request-edge tests: uploads go to a store of the test's own."""

import pytest

from tests.support.evidence import evidence_dir  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _own_evidence_store(evidence_dir):  # noqa: F811
    return evidence_dir
