"""Dossier, words: the dossier's longer paragraphs (request, summary, police notes).

Each cites the FACTS.md ids it rests on, so a reader of the JSON can check the basis.
"""


def complaint_request(locale: str, *, amount: str, requested: str, body: str | None) -> str:
    if locale == "zh-CN":
        return (f"请求{body or ''}督促被投诉方全额支付本人于 {requested} 申请提取的 {amount}，以书面形式说明拒绝或"
                f"延迟出款的具体原因和依据，并依法查处其中的违规行为。")
    return (f"I ask {body or 'you'} to require the respondent to pay in full the {amount} I asked to "
            f"withdraw on {requested}, to explain in writing the specific reason for refusing or "
            f"delaying it and the basis for doing so, and to deal with any breach of the rules "
            f"according to law.")


def no_statutory_clocks(locale: str, *, body: str | None, hotline: str | None) -> str:
    """Why no complaint clock of the NFRA rules is listed, and who takes the case instead."""
    if locale == "zh-CN":
        text = ("被投诉方不是国家金融监督管理总局许可的持牌机构（或其资质尚未核实），"
                "《银行业保险业消费投诉处理管理办法》规定的处理时限对其不适用。")
        return text + (f"本案的外部受理机构为{body}（{hotline}）。" if body else "")
    text = ("The respondent is not a firm licensed by the NFRA (or its licence is unverified), so the "
            "deadlines of the Measures on Banking and Insurance Consumer Complaints do not bind it.")
    return text + (f" The body that takes this case is {body} ({hotline})." if body else "")


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
