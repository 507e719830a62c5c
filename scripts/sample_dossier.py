"""Write a sample dossier: a realistic case built through the HTTP API in-process.

    scripts/sample-dossier                              # writes docs/sample-dossier.pdf and .md
    scripts/sample-dossier --track fraud --lang en --out /tmp/x

Everything runs against a temporary SQLite file and evidence folder; the clock is fixed so the
same command gives the same dossier. The cases are the tests' own (tests/support/sample_cases.py).
"""

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402

from app.auth.service import create_client  # noqa: E402
from app.edge.deps import get_now  # noqa: E402
from app.locales import DEFAULT_LOCALE, LOCALES, Locale  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.support.sample_cases import SAMPLE_NOW, build_complaint_case, build_fraud_case  # noqa: E402


class _Api:
    """The HTTP client with the sample's API key, shaped like the tests' Api."""

    def __init__(self, http: Any, key: str) -> None:
        self.http, self.headers = http, {"Authorization": f"Bearer {key}"}

    def post(self, url: str, **kw: Any) -> Any:
        return self.http.post(url, headers=self.headers, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.http.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


def write_sample(out: Path, *, track: str = "dispute", lang: Locale = DEFAULT_LOCALE) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/sample.db", embedded_worker=False,
                                  evidence_dir=Path(tmp) / "evidence", secret_key_file=Path(tmp) / "key"))
        app.dependency_overrides[get_now] = lambda: SAMPLE_NOW
        with app.state.write_sessions.begin() as session:
            key = create_client(session=session, name="sample", now=SAMPLE_NOW).key
        with TestClient(app) as http:
            api = _Api(http, key)
            build = build_fraud_case if track == "fraud" else build_complaint_case
            case_id = build(api, now=SAMPLE_NOW)
            out.mkdir(parents=True, exist_ok=True)
            written = []
            for fmt, suffix in (("pdf", "pdf"), ("markdown", "md")):
                response = api.get(f"/v1/cases/{case_id}/dossier?format={fmt}&lang={lang}")
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")
                path = out / f"sample-dossier{'' if track == 'dispute' else '-' + track}.{suffix}"
                path.write_bytes(response.content)
                written.append(path)
        app.state.engine.dispose()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a sample dossier built through the API.")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--track", choices=("dispute", "fraud"), default="dispute")
    parser.add_argument("--lang", choices=LOCALES, default=DEFAULT_LOCALE)
    args = parser.parse_args(argv)
    for path in write_sample(args.out, track=args.track, lang=args.lang):
        print(path)


if __name__ == "__main__":
    main()
