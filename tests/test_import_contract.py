"""The import contract (.importlinter): the layers and the absence of cycles hold, as CI runs them."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_the_import_contract_is_kept():
    result = lint(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_lint_imports_names_the_import_a_contract_forbids(tmp_path):
    # The contract is only worth running if it fails: forbid what a router really does, and
    # lint-imports must name the import.
    config = tmp_path / "contract.ini"
    config.write_text("[importlinter]\nroot_packages =\n    app\n\n"
                      "[importlinter:contract:probe]\nname = probe\ntype = forbidden\n"
                      "source_modules =\n    app.cases.router\nforbidden_modules =\n    app.edge\n")
    result = lint(config)
    assert result.returncode != 0
    assert "app.cases.router -> app.edge" in result.stdout
