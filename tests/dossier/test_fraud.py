"""On the fraud track the dossier is a police report summary: amounts, times, accounts, receipts."""

from tests.dossier.conftest import pdf_text


def test_a_fraud_case_gets_a_police_report_summary(api, fraud_case):
    d = api.get(f"/v1/cases/{fraud_case}/dossier?format=json").json()
    assert d["kind"] == "police_report" and d["track"] == "fraud"
    assert d["title"] == "涉嫌诈骗报案材料摘要"
    assert "紧急止付" in d["request"]
    assert [(m["item"], m["amount"]) for m in d["money"]] == [
        ("申请提现（未到账）", "52,000.00 元"), ("对方要求支付：解冻费", "5,200.00 元"),
        ("对方指定的付款方式：个人银行账户", "5,200.00 元"), ("对方要求支付：税费", "7,800.00 元")]
    assert all(m["when"] for m in d["money"])
    assert len(d["account_hints"]) == 1 and "个人银行账户" in d["account_hints"][0]
    receipts = [e for e in d["evidence"] if e["kind"] == "transfer_receipt"]
    assert len(receipts) == 1 and len(receipts[0]["sha256"]) == 64 and receipts[0]["check"] == "ok"
    assert {"R1", "R2", "R3"} <= {f["id"] for f in d["red_flags"]}
    assert d["remedies"] == []  # no complaint route: the police route replaces it
    notes = " ".join(d["notes"])
    assert "110" in notes and "96110" in notes and "国家反诈中心" in notes and "紧急止付" in notes
    assert any(x["kind"] == "limitation_period" for x in d["deadlines"]) or d["deadline_note"]


def test_the_police_summary_pdf_and_markdown(api, fraud_case, tmp_path):
    pdf = api.get(f"/v1/cases/{fraud_case}/dossier")
    text = pdf_text(pdf.content, tmp_path)
    for phrase in ("涉嫌诈骗报案材料摘要", "报案人信息", "涉案金额与时间", "账户信息", "付款账户及开户行",
                   "收款账户、户名及开户行", "已发现的诈骗信号", "报案须知", "5,200.00", "96110"):
        assert phrase in text, phrase
    assert "投诉请求" not in text
    receipt = api.get(f"/v1/cases/{fraud_case}/evidence").json()["items"][0]["sha256"]
    assert receipt in text
    english = api.get(f"/v1/cases/{fraud_case}/dossier?format=markdown&lang=en").text
    assert english.startswith("# Suspected fraud: summary for a police report")
    assert "emergency stop-payment" in english and "CNY 5,200.00" in english
