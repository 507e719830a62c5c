"""Rules tests: a copy of rules/ (without the scenarios) that a test may edit."""

import shutil
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT

RULES = PROJECT_ROOT / "rules"


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("scenarios"))
    return target
