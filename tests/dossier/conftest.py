"""Fixtures for the dossier tests: each test stores its files in a folder of its own."""

import pytest

from tests.support.evidence import evidence_dir  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _own_evidence_store(evidence_dir):  # noqa: F811
    return evidence_dir
