"""Dossier, words: the dossier's longer paragraphs (request, summary, remedies, police notes).

Each cites the FACTS.md ids it rests on, so a reader of the JSON can check the basis.
"""

from decimal import Decimal

from app.dossier.model import Remedy
from app.evaluation.catalogue import NO_ROUTE, Catalogue, regulator_text

_ROUTE_SOURCES = {"nfra": ["B3.1", "B2.1", "B1.11"], "pboc": ["B3.2"], "csrc": ["B3.3"],
                  "market": ["B3.5", "B2.7"]}

# Above this, a lawyer's view is worth its cost (DESIGN §3 default; rules carry the real one).
LARGE_AMOUNT = Decimal("50000")


def complaint_request(locale: str, *, amount: str, requested: str) -> str:
    if locale == "zh-CN":
        return (f"请求督促被投诉方全额支付本人于 {requested} 申请提取的 {amount}，以书面形式说明拒绝或"
                f"延迟出款的具体原因和依据，并依法查处其中的违规行为。")
    return (f"I ask that the respondent be required to pay in full the {amount} I asked to withdraw on "
            f"{requested}, to explain in writing the specific reason for refusing or delaying it and "
            f"the basis for doing so, and that any breach of the rules be dealt with according to law.")


def police_request(locale: str) -> str:
    if locale == "zh-CN":
        return "请求公安机关依法受理并立案侦查，尽快通知相关银行对涉案账户紧急止付、冻结。"
    return ("I ask the police to accept this report and open an investigation, and to ask the banks "
            "concerned at once for an emergency stop-payment and freeze of the accounts involved.")


def complaint_summary(locale: str, *, platform: str, amount: str, requested: str, days: int,
                      explanations: list[str], promised: int, broken: int, evidence: int) -> str:
    zh = locale == "zh-CN"
    if zh:
        text = f"本人于 {requested} 在“{platform}”申请提现 {amount}，至今已 {days} 天仍未到账。"
        if explanations:
            text += "期间平台先后以" + "、".join(f"“{e}”" for e in explanations) + "为由拒绝或拖延出款。"
        if promised:
            text += f"平台共作出 {promised} 次有明确期限的承诺，其中 {broken} 次到期未兑现。"
        return text + f"本人按时间顺序记录了与平台的每一次沟通，并保存了 {evidence} 份证据，详见下文。"
    text = f"On {requested} I asked \"{platform}\" to pay out {amount}; {days} days later it has not arrived."
    if explanations:
        text += " The platform has refused or delayed the payout citing " + ", ".join(explanations) + "."
    if promised:
        text += f" It made {promised} dated promise(s), {broken} of which passed without payment."
    return text + f" Every contact is logged below in order, with {evidence} piece(s) of evidence."


def police_summary(locale: str, *, platform: str, amount: str, requested: str,
                   demands: list[str]) -> str:
    if locale == "zh-CN":
        text = f"本人于 {requested} 在“{platform}”申请提现 {amount}，未能到账。"
        if demands:
            text += "此后对方" + "；".join(demands) + "。"
        return text + "本人怀疑遭遇诈骗，现将涉案金额、时间、账户及凭证整理如下，供报案使用。"
    text = f"On {requested} I asked \"{platform}\" to pay out {amount}; it never arrived."
    if demands:
        text += " Since then: " + "; ".join(demands) + "."
    return text + " I believe this is fraud; the amounts, times, accounts and receipts follow."


def declaration(locale: str, *, police: bool) -> str:
    if locale == "zh-CN":
        base = "本人保证以上陈述及所附材料真实、完整，没有捏造或歪曲事实"
        return base + ("，并愿承担相应法律责任。" if police else
                       "（《银行业保险业消费投诉处理管理办法》第十六条）。")
    base = "I declare that the statements above and the attached material are true and complete, "
    return base + ("and I accept legal responsibility for them." if police else
                   "with nothing invented or distorted (Measures on Banking and Insurance Consumer "
                   "Complaints, art. 16).")


def remedies(locale: str, *, platform_kind: str, regulator: str | None, catalogue: Catalogue,
             amount: Decimal, decision: str | None) -> list[Remedy]:
    """The routes still open on the dispute track, most direct first; `regulator` is the body
    the route rules chose (FACTS B3), named as the rules' catalogue names it."""
    zh = locale == "zh-CN"
    out: list[Remedy] = []
    if decision in ("rejected", "partially_upheld"):
        out.append(Remedy(
            title="向被投诉机构的上级机构申请核查" if zh else "Ask the firm's superior to review the decision",
            detail=("对处理决定有异议的，可自收到决定之日起 30 日内书面提出，上级机构应在 30 日内答复。" if zh else
                    "A disputed decision can be put in writing to the firm's superior within 30 days of "
                    "receiving it; the superior answers within 30 days."),
            sources=["B1.5"]))
    if regulator != "police":
        body = regulator or NO_ROUTE
        name = regulator_text(catalogue, body, "name", locale)
        hotline = catalogue.regulators.get(body, {}).get("hotline", "")
        how = regulator_text(catalogue, body, "how", locale)
        channel = regulator_text(catalogue, body, "hotline_name", locale)
        out.append(Remedy(
            title=(f"向{name}投诉" + (f"（{hotline}）" if hotline else "")) if zh else
            f"Complain to {name}" + (f" ({hotline})" if hotline else ""),
            detail=f"可通过{channel}提出。{how}" if zh else f"Use {channel}. {how}",
            sources=_ROUTE_SOURCES.get(body, ["B3.1", "B3.2", "B3.3", "B3.5"])))
    if platform_kind in ("insurer", "insurance_intermediary"):
        out.append(Remedy(
            title="申请保险行业协会调解" if zh else "Ask the insurance industry association to mediate",
            detail=("各地保险行业协会设有调解组织，调解期间不计入机构处理投诉的期限。" if zh else
                    "Provincial insurance associations run mediation committees; mediation time does not "
                    "count against the firm's complaint deadline."),
            sources=["B2.3", "B1.2"]))
    out.append(Remedy(
        title="向人民法院起诉" if zh else "Sue in the people's court",
        detail=("诉讼时效为三年，自知道或应当知道权利受到损害及义务人之日起计算。事实清楚的简单金钱纠纷，"
                "标的额不超过本省上一年度就业人员年平均工资 50% 的，适用一审终审的小额诉讼程序。" if zh else
                "The limitation period is three years from when the harm and the party responsible were "
                "or should have been known. A simple money claim of at most 50% of the province's "
                "average annual wage for the previous year goes through the single-hearing "
                "small-claims procedure."),
        sources=["B2.4", "B2.5"]))
    if amount >= LARGE_AMOUNT:
        out.append(Remedy(
            title="咨询专业律师" if zh else "Consult a lawyer",
            detail=("金额较大，建议请律师评估平台行为是否违反合同约定或侵害消费者权益，并决定诉讼策略。" if zh else
                    "Given the amount, a lawyer can assess whether the platform breached the contract or "
                    "consumer rights and plan the suit."),
            sources=["guide.5.2"]))
    return out


def police_notes(locale: str) -> list[str]:
    if locale == "zh-CN":
        return [
            "报案时携带：本人身份证件；付款所用的银行卡或账户及开户行；每笔转账的准确金额和时间；"
            "对方收款账户、户名和开户行；转账凭证（见证据清单）。",
            "转账尚未完成清算时，公安机关可以要求银行紧急止付，越早报案越有利。",
            "不要再向对方支付任何“解冻费”“保证金”“税费”或其他费用。凡声称收费帮忙追回资金的，都是骗局；"
            "倒闭平台的退赔只通过公安机关或法院的处置程序进行。",
            "报警电话 110，也可通过国家反诈中心 App 报案；拿不准时可拨打96110反诈预警劝阻咨询电话。",
        ]
    return [
        "Bring: your ID; the bank card or account you paid from and its bank; the exact amount and "
        "time of every transfer; the receiving account, its holder and bank; the transfer receipts "
        "(see the evidence index).",
        "While a transfer has not yet cleared, the police can ask the bank for an emergency "
        "stop-payment: report as early as possible.",
        "Pay nothing more: no unfreeze fee, deposit, tax or any other charge. Anyone offering to "
        "recover the money for a fee is running a scam; refunds from collapsed platforms come only "
        "through police or court disposal.",
        "Call 110 or report in the National Anti-Fraud Center app; when unsure, call the 96110 anti-fraud warning and advice line.",
    ]
