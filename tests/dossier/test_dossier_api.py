"""The dossier over HTTP: its parts, its three formats and its two languages."""

import re

from tests.support.evidence import open_case, png_bytes, post_event, upload


def _dossier(api, case_id: str, query: str = "format=json", **headers):
    response = api.get(f"/v1/cases/{case_id}/dossier?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_the_json_dossier_has_every_part_of_a_complaint(api, complaint_case):
    d = _dossier(api, complaint_case).json()
    assert d["kind"] == "complaint" and d["locale"] == "zh-CN" and d["title"] == "金融消费投诉材料"
    assert d["respondent"]["name"] == "安心人寿保险APP" and d["respondent"]["licence"] == "yes"
    assert d["amount"] == "38000.00" and d["amount_text"] == "38,000.00 元"
    assert "38,000.00 元" in d["request"] and "书面" in d["request"]
    events = api.get(f"/v1/cases/{complaint_case}/events").json()["items"]
    assert [f["seq"] for f in d["facts"]] == [e["seq"] for e in events]
    contacts = {c["agent_id"]: c for c in d["contacts"] if c["agent_id"]}
    assert set(contacts) == {"KF-0831", "在线客服-小周"}
    assert contacts["KF-0831"]["channel"] == "电话" and "通道维护" in contacts["KF-0831"]["answer"]
    assert contacts["KF-0831"]["said"].startswith("询问是哪个支付通道")
    assert [(p["source"], p["status"], p["in_writing"]) for p in d["promises"]] == [
        ("support", "broken", False), ("support", "broken", True)]
    stored = {e["sha256"]: e for e in api.get(f"/v1/cases/{complaint_case}/evidence").json()["items"]}
    assert [e["sha256"] for e in d["evidence"]] == list(stored) and len(stored) == 3
    assert {e["check"] for e in d["evidence"]} == {"ok"}
    assert [e["kind"] for e in d["evidence"]] == ["notice_screenshot", "call_recording", "chat_log"]
    verify = api.get(f"/v1/cases/{complaint_case}/verify").json()
    assert d["integrity"]["ok"] is True and d["integrity"]["head_hash"] == verify["head_hash"]
    assert {"firm_decision", "regulator_forward", "limitation_period"} <= {x["kind"] for x in d["deadlines"]}
    assert all(x["basis"] and x["sources"] for x in d["deadlines"])
    titles = " ".join(r["title"] for r in d["remedies"])
    routes = " ".join(r["title"] + r["detail"] for r in d["remedies"])
    assert "12378" in routes and "保险行业协会" in titles and "人民法院" in titles
    assert d["red_flags"] == [] and d["money"] == [] and d["declaration"].startswith("本人保证")


def test_markdown_is_the_same_dossier_as_text(api, complaint_case):
    response = _dossier(api, complaint_case, "format=markdown")
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    for phrase in ("# 金融消费投诉材料", "## 二、投诉请求", "## 五、与平台的沟通记录", "## 七、证据清单",
                   "## 九、适用的法定时限", "## 十、尚可采取的救济途径", "KF-0831", "已失约", "12378"):
        assert phrase in text, phrase
    for item in api.get(f"/v1/cases/{complaint_case}/evidence").json()["items"]:
        assert item["sha256"] in text


def test_english_on_request_by_header_or_query(api, complaint_case):
    by_header = _dossier(api, complaint_case, "format=json", **{"Accept-Language": "en"})
    assert by_header.json()["title"] == "Financial consumer complaint"
    assert by_header.headers["content-language"] == "en"
    by_query = _dossier(api, complaint_case, "format=markdown&lang=en", **{"Accept-Language": "zh-CN"})
    assert "# Financial consumer complaint" in by_query.text and "Contacts with the platform" in by_query.text
    default = _dossier(api, complaint_case, "format=json")
    assert default.headers["content-language"] == "zh-CN"


def test_the_format_follows_accept_and_defaults_to_pdf(api):
    case_id = open_case(api)
    assert _dossier(api, case_id, "", Accept="application/json").json()["kind"] == "complaint"
    assert _dossier(api, case_id, "", Accept="text/markdown").text.startswith("# 金融消费投诉材料")
    pdf = _dossier(api, case_id, "", Accept="*/*")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert api.get(f"/v1/cases/{case_id}/dossier?format=docx").status_code == 422


def test_user_text_stays_text_in_markdown(api):
    case_id = open_case(api)
    post_event(api, case_id, "note_added", {"text": "见 [这里](http://127.0.0.1:9/x) <img src=x onerror=alert(1)> | 列"})
    upload(api, case_id, png_bytes(), description="![pic](http://127.0.0.1:9/p.png) <script>x</script>")
    text = _dossier(api, case_id, "format=markdown").text
    # No markup survives: every < and every ]( is backslash-escaped.
    assert not re.search(r"(?<!\\)<", text) and not re.search(r"(?<!\\)\]\(", text)
    assert r"\<img src=x onerror=alert(1)\>" in text and r"\!\[pic\]" in text and r"\| 列" in text


def test_another_clients_case_has_no_dossier(api, other_api):
    case_id = open_case(api)
    response = other_api.get(f"/v1/cases/{case_id}/dossier")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_remedies_name_the_regulator_the_rules_route_the_case_to(api):
    # A payment institution goes to the People's Bank (12363), not to NFRA and 12378 (FACTS B3.2).
    case_id = open_case(api, platform={"name": "易付通钱包", "kind": "payment", "licensed": True})
    post_event(api, case_id, "complaint_filed", {"authority": "platform"})
    evaluation = api.get(f"/v1/cases/{case_id}").json()["evaluation"]
    assert evaluation["regulator"]["body"] == "pboc" and evaluation["regulator"]["hotline"] == "12363"
    d = _dossier(api, case_id).json()
    routes = " ".join(r["title"] + r["detail"] for r in d["remedies"])
    assert "中国人民银行" in routes and "12363" in routes
    assert "12378" not in routes and "12315" not in routes and "保险行业协会" not in routes
    english = _dossier(api, case_id, "format=json&lang=en").json()
    assert "People's Bank of China" in " ".join(r["title"] for r in english["remedies"])


def test_a_platform_of_unknown_kind_gets_the_choice_of_regulators_not_a_guess(api):
    case_id = open_case(api, platform={"name": "某App", "kind": "unknown", "licensed": None})
    post_event(api, case_id, "complaint_filed", {"authority": "platform"})
    assert api.get(f"/v1/cases/{case_id}").json()["evaluation"]["regulator"] is None
    routes = " ".join(r["title"] + r["detail"] for r in _dossier(api, case_id).json()["remedies"])
    for number in ("12378", "12363", "12386", "12315"):
        assert number in routes, number
