"""Evaluation, loading: read one policy file of rules/ as a YAML mapping, every failure naming the file."""

from pathlib import Path
from typing import Any

import yaml

from app.evaluation.model import RulesError


def read_mapping(path: Path, error: type[Exception] = RulesError,
                 expected: str = "a mapping at the top level") -> dict[str, Any]:
    """The file's top-level mapping; `error` (naming the file) when it is missing, not YAML, or not a mapping."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{path}: missing") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise error(f"{path}: expected {expected}")
    return document
