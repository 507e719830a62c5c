"""The PDF dossier: readable Chinese text, every font embedded, pages that are not blank."""

import re

from PIL import Image

from tests.dossier.conftest import pdf_text, poppler


def _pdf(api, case_id: str, query: str = "") -> bytes:
    response = api.get(f"/v1/cases/{case_id}/dossier{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def test_pdftotext_finds_the_key_phrases_and_every_evidence_hash(api, complaint_case, tmp_path):
    text = pdf_text(_pdf(api, complaint_case), tmp_path)
    for phrase in ("金融消费投诉材料", "投诉人与被投诉方", "投诉请求", "事实经过", "与平台的沟通记录",
                   "平台承诺及兑现情况", "证据清单", "记录完整性校验", "校验通过", "适用的法定时限",
                   "尚可采取的救济途径", "安心人寿保险APP", "KF-0831", "已失约", "12378", "38,000.00"):
        assert phrase in text, phrase
    for item in api.get(f"/v1/cases/{complaint_case}/evidence").json()["items"]:
        assert item["sha256"] in text, item["sha256"]
    head = api.get(f"/v1/cases/{complaint_case}/verify").json()["head_hash"]
    assert head in text


def test_the_english_pdf_is_in_english(api, complaint_case, tmp_path):
    text = pdf_text(_pdf(api, complaint_case, "?lang=en"), tmp_path)
    assert "Financial consumer complaint" in text and "Evidence index" in text


def test_every_font_is_embedded(api, complaint_case, tmp_path):
    path = tmp_path / "dossier.pdf"
    path.write_bytes(_pdf(api, complaint_case))
    lines = poppler("pdffonts", path).splitlines()
    # Columns are fixed-width; the dashed second line marks where each one starts and ends.
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    names = [lines[0][a:b].strip() for a, b in spans]
    rows = [dict(zip(names, (line[a:b].strip() for a, b in spans))) for line in lines[2:] if line.strip()]
    assert rows, "the PDF uses no fonts at all"
    for row in rows:
        assert row["emb"] == "yes", row
    assert any("CJK" in row["name"] for row in rows), rows


def test_a_rendered_page_is_not_blank(api, complaint_case, tmp_path):
    path = tmp_path / "dossier.pdf"
    path.write_bytes(_pdf(api, complaint_case))
    poppler("pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", path, tmp_path / "page")
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > 0.01 * page.width * page.height, "the first page is (nearly) blank"
    assert page.getextrema()[0] < 64, "nothing on the page is dark enough to be text"
    assert page.width < page.height  # portrait A4
