"""Dossier, start-up check: can the PDF renderer draw and embed the dossier's Chinese text?

Without a CJK font WeasyPrint still writes a PDF, with an empty box for every Chinese character.
So a probe in the dossier's own stylesheet is rendered once per process (at start, then cached)
and every glyph the fonts could not draw is counted; the PDF route and /readyz read the answer
(`render_pdf.pdf_readiness`, which renders the probe with its own renderer).
Fontconfig reads its configuration once per process, so a cached answer cannot go stale.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("stuckfunds.dossier")

# The Debian packages that provide what the probe found missing (the Dockerfile installs them).
PANGO_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0")
CJK_FONT_PACKAGE = "fonts-noto-cjk"
# Headings and body text in the styles the dossier uses: serif title, sans body, mono hashes.
PROBE_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="stylesheet" href="dossier.css"></head><body>
<h1>金融消费投诉材料</h1><p>投诉人与被投诉方 12378 ¥38,000.00</p><p class="mono">证据 a1b2c3</p>
</body></html>"""


@dataclass(frozen=True)
class PdfReadiness:
    available: bool
    missing_packages: tuple[str, ...] = ()
    detail: str = "PDF dossiers render with embedded CJK fonts."


def probe(render: Callable[[str], Any], renderer_missing: type[Exception]) -> PdfReadiness:
    """Render the probe with the dossier's renderer (app.dossier.render_pdf passes its own)."""
    try:
        document = render(PROBE_HTML)
    except renderer_missing as exc:
        return PdfReadiness(False, PANGO_PACKAGES, f"WeasyPrint cannot load Pango: {exc}")
    document.write_pdf()  # fonts are chosen and embedded while the pages are drawn
    fonts = list(document.fonts.values())
    # WeasyPrint records, per font, each character the font had no glyph for (drawn as a box).
    missing = sorted({chr(code) for font in fonts for code in getattr(font, "missing", {})})
    if not fonts or missing:
        used = ", ".join(sorted({font.family for font in fonts})) or "none"
        return PdfReadiness(False, (CJK_FONT_PACKAGE,),
                            f"No installed font draws {''.join(missing) or 'the probe text'} "
                            f"(fonts used: {used}); install {CJK_FONT_PACKAGE}.")
    return PdfReadiness(True)


def logged(readiness: PdfReadiness) -> PdfReadiness:
    """The readiness as it is, logged as an error once when PDFs cannot be drawn."""
    if not readiness.available:
        log.error("PDF dossiers unavailable: %s (missing Debian packages: %s)",
                  readiness.detail, " ".join(readiness.missing_packages))
    return readiness
