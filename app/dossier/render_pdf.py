"""Dossier, output: HTML from an autoescaped template, then PDF through WeasyPrint.

The renderer may read its own packaged assets and nothing else: no network, no other file.
Text a user wrote reaches the HTML escaped, and even markup that slipped through could not make
the renderer fetch anything, because the URL fetcher refuses every other URL. Fonts are found
by family name through fontconfig (Debian's fonts-noto-cjk), not fetched, and are embedded.
"""

import logging
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2

from app.dossier.layout import sections
from app.dossier.model import Dossier
from app.dossier.texts import HEADINGS
from app.problems import ServiceUnavailable

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
log = logging.getLogger("stuckfunds.dossier")


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value is text; the template alone writes markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )


def to_html(dossier: Dossier) -> str:
    template = _templates().get_template("dossier.html.j2")
    return template.render(d=dossier, t=HEADINGS[dossier.locale], sections=sections(dossier))


class RefusedFetch(ValueError):
    """A URL the dossier renderer will not open."""


def asset_path(url: str) -> Path:
    """The packaged asset a file: URL names; RefusedFetch for any other URL."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedFetch(f"refused: {url[:200]}")
    path = Path(unquote(parts.path)).resolve()
    # resolve() first: "..", symlinks and the like cannot lead out of the assets folder.
    if not path.is_relative_to(ASSETS) or not path.is_file():
        raise RefusedFetch(f"refused: {url[:200]}")
    return path


def _pdf_bytes(html: str) -> bytes:
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as exc:  # OSError: Pango or its libraries are missing
        log.error("PDF rendering unavailable: %s", exc)
        raise ServiceUnavailable("PDF rendering is not available on this server; "
                                 "ask for format=markdown or format=json.") from exc

    class AssetsOnly(URLFetcher):
        """Answers with packaged assets; every other URL (http, file, data...) is refused."""

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            path = asset_path(url)
            media = "text/css" if path.suffix == ".css" else "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media})

    return HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=AssetsOnly()).write_pdf()


def to_pdf(dossier: Dossier) -> bytes:
    return _pdf_bytes(to_html(dossier))
