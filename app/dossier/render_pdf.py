"""Dossier, output: HTML from an autoescaped template, then PDF through WeasyPrint.

The renderer may read its own packaged assets and nothing else: no network, no other file.
Text a user wrote reaches the HTML escaped, and even markup that slipped through could not make
the renderer fetch anything, because the URL fetcher refuses every other URL. Fonts are found
by family name through fontconfig (Debian's fonts-noto-cjk), not fetched, and are embedded;
app/dossier/fonts.py checks at start that they draw Chinese, and `ensure_available` answers 503
if not.
"""

from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2

from app.dossier import fonts
from app.dossier.layout import sections
from app.dossier.model import Dossier
from app.dossier.texts import texts
from app.errors import ServiceUnavailable

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"


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
    return template.render(d=dossier, t=texts(dossier.locale)["headings"], sections=sections(dossier))


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


class PdfRendererMissing(RuntimeError):
    """WeasyPrint or the Pango libraries it loads are not installed."""


def render(html: str):
    """Lay the HTML out with WeasyPrint (a `weasyprint.Document`); only packaged assets are read."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as exc:  # OSError: Pango or its libraries are missing
        raise PdfRendererMissing(str(exc)) from exc

    class AssetsOnly(URLFetcher):
        """Answers with packaged assets; every other URL (http, file, data...) is refused."""

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            path = asset_path(url)
            media = "text/css" if path.suffix == ".css" else "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media})

    return HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=AssetsOnly()).render()


@lru_cache(maxsize=1)
def pdf_readiness() -> fonts.PdfReadiness:
    """Whether PDF dossiers can be drawn with their fonts, and which packages are missing if not."""
    return fonts.logged(fonts.probe(render, PdfRendererMissing))


class PdfUnavailable(ServiceUnavailable):
    code = "pdf-unavailable"
    title = "PDF dossiers are not available on this server"


def ensure_available() -> None:
    """PdfUnavailable (503) when this server cannot embed the dossier's font: no PDF of empty boxes."""
    readiness = pdf_readiness()
    if not readiness.available:
        raise PdfUnavailable(f"{readiness.detail} Ask for format=markdown or format=json meanwhile.",
                             missing_packages=list(readiness.missing_packages))


def pdf_bytes(html: str) -> bytes:
    """The laid-out HTML as PDF bytes (run in the render child, see render_process)."""
    return render(html).write_pdf()

