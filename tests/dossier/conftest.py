"""Fixtures for the dossier tests: realistic cases built through the API, and PDF tools."""

import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.sample_cases import build_complaint_case, build_fraud_case
from tests.support.evidence import evidence_dir  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _own_evidence_store(evidence_dir):  # noqa: F811
    return evidence_dir


@pytest.fixture
def complaint_case(api) -> str:
    return build_complaint_case(api, now=datetime.now(timezone.utc))


@pytest.fixture
def fraud_case(api) -> str:
    return build_fraud_case(api, now=datetime.now(timezone.utc))


def poppler(tool: str, *args: str | Path) -> str:
    """Run a poppler-utils tool; a missing tool fails the test (CI installs poppler-utils)."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install Debian's poppler-utils (see README)")
    return subprocess.run([tool, *map(str, args)], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    return poppler("pdftotext", "-enc", "UTF-8", path, "-")
