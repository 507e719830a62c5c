"""`make test` on a machine without the Debian packages it needs: install them (root) or stop first."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PDF_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils"


def test_make_test_without_root_names_the_missing_packages_and_runs_no_test():
    if shutil.which("dpkg-query") is None:
        pytest.skip("not Debian: the check has no package database to read")
    # dpkg reads its database from DPKG_ADMINDIR: an empty one is a machine with nothing installed.
    # In a world-readable folder with the Makefile and its scripts, so that the unprivileged user
    # below can read them wherever this checkout lives (CI clones into root's home).
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        work.chmod(0o755)
        shutil.copy(ROOT / "Makefile", work / "Makefile")
        shutil.copytree(ROOT / "scripts", work / "scripts")
        (work / "dpkg").mkdir(mode=0o755)
        (work / "dpkg" / "status").touch(mode=0o644)
        result = _make_test_as_unprivileged_user(work, {"DPKG_ADMINDIR": str(work / "dpkg")})
    assert result.returncode != 0
    assert f"missing Debian packages: {PDF_PACKAGES}" in result.stderr
    assert f"apt-get install -y --no-install-recommends {PDF_PACKAGES}" in result.stderr
    assert "pytest" not in result.stdout + result.stderr  # stopped before the tests


def _make_test_as_unprivileged_user(work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = ["make", "--no-print-directory", "-C", str(work), "test"]
    if os.geteuid() == 0:  # as root it would install them; run as an unprivileged user instead
        command = ["runuser", "-u", "nobody", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
