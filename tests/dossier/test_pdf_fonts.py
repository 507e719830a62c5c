"""No blank PDFs: without the CJK font the PDF route answers 503 and /readyz names the package."""

from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.support.server import create_api_key, running_server

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def fonts_conf_without_cjk(tmp_path: Path) -> Path:
    """A fontconfig configuration that knows the DejaVu fonts only: no glyph for any Chinese text."""
    if not DEJAVU.is_dir():
        pytest.fail(f"{DEJAVU} is missing: install Debian's fonts-dejavu-core")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><dir>{DEJAVU}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>
""")
    return conf


def test_readyz_says_pdfs_render_when_the_font_is_installed(http):
    body = http.get("/readyz").json()
    assert body["status"] == "ready"
    assert body["pdf"] == {"available": True, "missing_packages": [],
                           "detail": "PDF dossiers render with embedded CJK fonts."}


def test_without_the_cjk_font_readyz_names_the_package_and_the_pdf_route_answers_503(tmp_path):
    url = f"sqlite:///{tmp_path / 'nofont.db'}"
    key = create_api_key(url, "no-font")
    env = {"FONTCONFIG_FILE": str(fonts_conf_without_cjk(tmp_path)),
           "STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY, "STUCKFUNDS_EVIDENCE_DIR": str(tmp_path / "ev")}
    with running_server(["--database-url", url], env=env) as server, \
            httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as http:
        ready = http.get("/readyz")
        # The API still serves everything else, so the server stays in service and says what is wrong.
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["pdf"]["available"] is False
        assert ready.json()["pdf"]["missing_packages"] == ["fonts-noto-cjk"]
        assert "PDF dossiers unavailable" in server.output()  # logged at start, before any request

        case = http.post("/v1/cases", json={
            "platform": {"name": "某某理财", "kind": "investment"}, "amount": "1000.00",
            "withdrawal_requested_at": "2026-11-01T09:00:00+08:00"})
        assert case.status_code == 201, case.text
        dossier = f"/v1/cases/{case.json()['id']}/dossier"

        pdf = http.get(dossier)
        assert pdf.status_code == 503
        assert pdf.headers["content-type"] == "application/problem+json"
        assert pdf.json()["code"] == "pdf-unavailable"
        assert pdf.json()["missing_packages"] == ["fonts-noto-cjk"]
        assert "fonts-noto-cjk" in pdf.json()["detail"]

        # Markdown and JSON need no font: they still come back whole.
        markdown = http.get(dossier, params={"format": "markdown"})
        assert markdown.status_code == 200 and "某某理财" in markdown.text
        assert http.get(dossier, params={"format": "json"}).status_code == 200
