"""Hostile text: whatever a user writes, rendering the dossier fetches nothing and reads no file."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.dossier import render_pdf
from tests.dossier.conftest import pdf_text, poppler
from tests.support.evidence import CHAT_LOG, open_case, png_bytes, post_event, upload


class Trap:
    """An HTTP server on 127.0.0.1 that records every request it gets (there should be none)."""

    def __init__(self) -> None:
        requests = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(png_bytes("red"))

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def trap() -> Iterator[Trap]:
    trap = Trap()
    thread = threading.Thread(target=trap.server.serve_forever, daemon=True)
    thread.start()
    yield trap
    trap.server.shutdown()
    trap.server.server_close()
    thread.join(timeout=5)


def _secret_files(tmp_path):
    """A real image and stylesheet on disk: if either were read, the PDF would show it."""
    image, css = tmp_path / "secret.png", tmp_path / "evil.css"
    image.write_bytes(png_bytes("red", size=(200, 200)))
    css.write_text("html { background: red } body::after { content: 'CSS-WAS-READ' }")
    return image, css


def test_hostile_descriptions_and_notes_fetch_nothing(api, trap, tmp_path):
    image, css = _secret_files(tmp_path)
    hostile = (f'<img src="{trap.url}/img.png"> <link rel="stylesheet" href="{trap.url}/x.css"> '
               f'<iframe src="file://{image}"></iframe> <style>@import url({trap.url}/imp.css)</style> '
               f'file://{css} <object data="{trap.url}/obj"></object>')
    case_id = open_case(api)
    post_event(api, case_id, "support_contacted", {"channel": "phone", "agent_id": f"<img src={trap.url}/a>"},
               note=hostile)
    post_event(api, case_id, "note_added", {"text": hostile})
    assert upload(api, case_id, CHAT_LOG, kind="chat_log", description=hostile).status_code == 201

    pdf = api.get(f"/v1/cases/{case_id}/dossier")
    assert pdf.status_code == 200
    for query in ("?format=markdown", "?format=json", "?lang=en"):
        assert api.get(f"/v1/cases/{case_id}/dossier{query}").status_code == 200
    assert trap.requests == []
    text = pdf_text(pdf.content, tmp_path)
    # The markup is shown as the text it is, and nothing it pointed at was read.
    assert '<img src="' in text and f"file://{image}" in text.replace("\n", "")
    assert "CSS-WAS-READ" not in text
    (tmp_path / "d.pdf").write_bytes(pdf.content)
    assert poppler("pdfimages", "-list", tmp_path / "d.pdf").splitlines()[2:] == []


def test_the_renderer_refuses_every_url_even_in_raw_markup(trap, tmp_path):
    # Straight to the renderer, with the escaping out of the way: the fetcher alone must hold.
    image, css = _secret_files(tmp_path)
    html = f"""<html><head><link rel="stylesheet" href="{trap.url}/a.css">
      <link rel="stylesheet" href="file://{css}"><link rel="stylesheet" href="dossier.css"></head>
      <body><p>正文</p><img src="{trap.url}/b.png"><img src="file://{image}">
      <img src="{render_pdf.ASSETS.as_uri()}/../templates/dossier.html.j2">
      <img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">
      <iframe src="file:///etc/passwd"></iframe></body></html>"""
    pdf = render_pdf.render(html).write_pdf()
    (tmp_path / "raw.pdf").write_bytes(pdf)
    assert trap.requests == []
    assert poppler("pdfimages", "-list", tmp_path / "raw.pdf").splitlines()[2:] == []
    text = pdf_text(pdf, tmp_path)
    assert "正文" in text and "CSS-WAS-READ" not in text and "root:" not in text


def test_only_packaged_assets_are_served_to_the_renderer(tmp_path):
    assert render_pdf.asset_path((render_pdf.ASSETS / "dossier.css").as_uri()) == render_pdf.ASSETS / "dossier.css"
    for url in ("http://127.0.0.1/x", "https://example.invalid/x.css", "file:///etc/passwd",
                f"{render_pdf.ASSETS.as_uri()}/../templates/dossier.html.j2",
                f"{render_pdf.ASSETS.as_uri()}/%2e%2e/render_pdf.py", "data:text/css,body{}",
                f"file://evil.host{render_pdf.ASSETS / 'dossier.css'}", "ftp://127.0.0.1/x"):
        with pytest.raises(render_pdf.RefusedFetch):
            render_pdf.asset_path(url)
