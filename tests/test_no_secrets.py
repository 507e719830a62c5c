"""No secret is committed: no tracked file holds anything shaped like a Fernet key."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# 32 bytes in URL-safe base64: 43 characters and one "=", not part of a longer token.
FERNET_SHAPED = re.compile(rb"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])")


def tracked_files() -> list[str]:
    try:
        result = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout: {exc}")
    return [name for name in result.stdout.decode().split("\0") if name]


def test_no_tracked_file_holds_a_fernet_key():
    files = tracked_files()
    assert "stuckfunds.key" not in files
    found = []
    for name in files:
        path = ROOT / name
        if path.is_file():  # a file deleted in the work tree but not yet in the index
            for match in FERNET_SHAPED.finditer(path.read_bytes()):
                found.append(f"{name}: {match.group().decode()[:6]}…")
    assert not found, f"Fernet-shaped keys in tracked files: {found}"


def test_the_pattern_finds_a_key_where_one_would_be_written():
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    for text in (key, b'KEY = "' + key + b'"', b"STUCKFUNDS_SECRET_KEY=" + key + b"\n"):
        assert FERNET_SHAPED.search(text), text
    assert not FERNET_SHAPED.search(b"x" + key[:-1] + b"==")
