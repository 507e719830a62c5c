"""Dossier, words: one plain sentence per recorded event, in zh-CN or en (pure, no SQL)."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from app.dossier.texts import label, money, when

Data = Mapping[str, Any]

_VALUES = {
    "zh-CN": {
        "notice_kind": {"channel_maintenance": "通道维护", "risk_review": "风控审核",
                        "system_upgrade": "系统升级", "other": "暂停提现"},
        "scope": {"all_users": "全部用户", "some_users": "部分用户", "unknown": "未说明"},
        "result": {"failed": "仍未成功", "partial": "仅部分到账", "succeeded": "成功"},
        "fee_kind": {"unfreeze": "解冻费", "deposit": "保证金", "tax": "税费", "turnover_topup": "补足流水",
                     "vip_upgrade": "升级VIP费用", "verification": "验证/验资费用", "other": "其他费用"},
        "destination": {"personal_account": "个人银行账户", "crypto_wallet": "加密货币钱包",
                        "cash_handover": "当面交付现金", "safe_account": "所谓“安全账户”"},
        "what": {"verification_code": "短信验证码", "screen_share": "共享手机屏幕", "password": "账户密码"},
        "restriction": {"frozen": "账户被冻结", "login_blocked": "无法登录", "app_removed": "App 已下架",
                        "website_down": "网站无法访问", "support_unreachable": "客服无法联系"},
        "trait": {"guaranteed_returns": "承诺保本或高收益", "small_withdrawals_only": "小额可提、大额被拒",
                  "recruited_by_stranger": "经陌生人或“导师”介绍加入", "installed_from_link": "App 通过链接或二维码安装",
                  "needs_vpn": "需要翻墙使用", "betting_context": "涉及投注、流水要求",
                  "pressure_or_secrecy": "被催促或要求保密", "mass_blocking": "大量用户同时无法提现"},
        "outcome": {"upheld": "支持本人请求", "partially_upheld": "部分支持", "rejected": "不支持"},
        "reason": {"withdrawn": "撤回", "abandoned": "放弃", "duplicate": "重复", "other": "其他原因"},
        "urgency": {"medical": "医疗费用", "debt": "偿还债务", "living_costs": "日常生活开支", "other": "其他急用"},
    },
    "en": {
        "notice_kind": {"channel_maintenance": "channel maintenance", "risk_review": "risk review",
                        "system_upgrade": "system upgrade", "other": "withdrawal suspension"},
        "scope": {"all_users": "all users", "some_users": "some users", "unknown": "not stated"},
        "result": {"failed": "failed again", "partial": "was paid only in part", "succeeded": "succeeded"},
        "fee_kind": {"unfreeze": "an unfreeze fee", "deposit": "a deposit", "tax": "tax in advance",
                     "turnover_topup": "a turnover top-up", "vip_upgrade": "a VIP upgrade",
                     "verification": "a verification fee", "other": "another fee"},
        "destination": {"personal_account": "a personal bank account", "crypto_wallet": "a crypto wallet",
                        "cash_handover": "a cash hand-over", "safe_account": "a so-called safe account"},
        "what": {"verification_code": "an SMS verification code", "screen_share": "screen sharing",
                 "password": "the account password"},
        "restriction": {"frozen": "the account was frozen", "login_blocked": "login was blocked",
                        "app_removed": "the app was removed", "website_down": "the website went down",
                        "support_unreachable": "support became unreachable"},
        "trait": {"guaranteed_returns": "guaranteed or very high returns",
                  "small_withdrawals_only": "small withdrawals paid, large ones blocked",
                  "recruited_by_stranger": "recruited by a stranger or 'mentor'",
                  "installed_from_link": "app installed from a link or QR code", "needs_vpn": "needs a VPN",
                  "betting_context": "betting or turnover requirements",
                  "pressure_or_secrecy": "pressure to hurry or keep it secret",
                  "mass_blocking": "many users blocked at once"},
        "outcome": {"upheld": "upheld my request", "partially_upheld": "partly upheld it",
                    "rejected": "rejected it"},
        "reason": {"withdrawn": "withdrawn", "abandoned": "abandoned", "duplicate": "duplicate",
                   "other": "other"},
        "urgency": {"medical": "medical bills", "debt": "debts to repay", "living_costs": "living costs",
                    "other": "another urgent need"},
    },
}


def value(locale: str, group: str, key: str | None) -> str:
    if key is None:
        return label(locale, "channel", None)  # "not stated"
    return _VALUES[locale][group].get(key, key)


def _ref(d: Data, zh: bool) -> str:
    if not d.get("reference"):
        return ""
    return f"（编号 {d['reference']}）" if zh else f" (reference {d['reference']})"


def _notice(d: Data, loc: str, cur: str) -> str:
    zh = loc == "zh-CN"
    kind = value(loc, "notice_kind", d.get("notice_kind"))
    parts = [f"平台发布“{kind}”公告" if zh else f"The platform posted a '{kind}' notice"]
    if d.get("published_at"):
        parts.append(f"发布时间 {when(_dt(d['published_at']), loc)}" if zh
                     else f"dated {when(_dt(d['published_at']), loc)}")
    if d.get("expected_end_at"):
        parts.append(f"称预计于 {when(_dt(d['expected_end_at']), loc)} 结束" if zh
                     else f"saying it would end by {when(_dt(d['expected_end_at']), loc)}")
    else:
        parts.append("未说明预计结束时间" if zh else "giving no expected end")
    parts.append(f"影响范围：{value(loc, 'scope', d.get('scope'))}" if zh
                 else f"scope: {value(loc, 'scope', d.get('scope'))}")
    parts.append(f"所称原因：{d['reason']}" if zh and d.get("reason") else
                 f"stated reason: {d['reason']}" if d.get("reason") else
                 "未说明具体原因" if zh else "no concrete reason given")
    if d.get("channel_name"):
        parts.append(f"涉及通道：{d['channel_name']}" if zh else f"channel: {d['channel_name']}")
    return ("，".join(parts) + "。") if zh else ("; ".join(parts) + ".")


def _support(d: Data, loc: str, cur: str) -> str:
    zh = loc == "zh-CN"
    channel = label(loc, "channel", d.get("channel"))
    text = f"本人通过{channel}联系平台客服" if zh else f"I contacted the platform's support by {channel}"
    if d.get("agent_id"):
        text += f"（客服 {d['agent_id']}）" if zh else f" (agent {d['agent_id']})"
    return text + ("；" if zh else "; ") + answer(d, loc) + ("。" if zh else ".")


def answer(d: Data, loc: str) -> str:
    """What support answered, as the contact table's last column."""
    zh = loc == "zh-CN"
    kind = d.get("explanation_kind")
    parts = [f"对方解释为“{label(loc, 'explanation', kind)}”" if zh and kind else
             f"the explanation was {label(loc, 'explanation', kind)}" if kind else
             "对方未作解释" if zh else "no explanation was recorded"]
    given = d.get("details_given") or {}
    refused = [k for k in ("channel", "maintainer", "criteria", "duration") if given.get(k) is False]
    if refused:
        names = {"zh-CN": {"channel": "具体通道", "maintainer": "维护方", "criteria": "审核标准",
                           "duration": "所需时间"},
                 "en": {"channel": "the channel", "maintainer": "the maintainer",
                        "criteria": "the review criteria", "duration": "the duration"}}[loc]
        parts.append(("拒绝说明" + "、".join(names[k] for k in refused)) if zh else
                     ("would not state " + ", ".join(names[k] for k in refused)))
    if d.get("promised_resolution_at"):
        due = when(_dt(d["promised_resolution_at"]), loc)
        parts.append(f"承诺于 {due} 前处理完毕" if zh else f"promised a resolution by {due}")
        if d.get("in_writing") is True:
            parts.append("有书面确认" if zh else "confirmed in writing")
        elif d.get("in_writing") is False:
            parts.append("仅口头承诺" if zh else "spoken only")
    else:
        parts.append("未给出具体时间" if zh else "no date was given")
    if d.get("recorded") is True:
        parts.append("本次沟通已录音或留存" if zh else "the contact was recorded")
    return ("，".join(parts)) if zh else "; ".join(parts)


def _dt(raw: Any) -> datetime:
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def _m(d: Data, loc: str, cur: str) -> str:
    return money(d.get("amount"), cur, loc) if d.get("amount") else ""


def _if(condition: Any, text: str) -> str:
    return text if condition else ""


Sentence = Callable[[Data, bool, str, str], str]

# One function per event type: (data, zh?, locale, currency) -> sentence. Both languages sit side
# by side so a change to one is seen next to the other.
_SENTENCES: dict[str, Sentence] = {
    "notice_changed": lambda d, zh, l, c: (
        "平台此前发布的公告被" + ("修改" if d.get("change") == "edited" else "删除") + "。" if zh else
        "The platform " + ("edited" if d.get("change") == "edited" else "removed") + " its earlier notice."),
    "regulator_checked": lambda d, zh, l, c: (
        "本人查询监管部门网站，" + ("找到" if d.get("found_related_notice") else "未找到")
        + "与此次暂停提现相关的通报" + _if(d.get("source"), f"（查询来源：{d.get('source')}）") + "。" if zh else
        "I searched the regulator's website and " + ("found" if d.get("found_related_notice") else "found no")
        + " notice about this suspension" + _if(d.get("source"), f" (source: {d.get('source')})") + "."),
    "peers_checked": lambda d, zh, l, c: (
        "本人了解同类正规平台的情况：" + ("其他平台同样受到影响。" if d.get("peers_affected") else
                                        "其他平台运行正常，仅该平台无法提现。") if zh else
        "I checked comparable licensed platforms: " + ("they were affected too." if d.get("peers_affected")
                                                       else "they work; only this one blocks withdrawals.")),
    "license_checked": lambda d, zh, l, c: (
        "本人核查平台资质：" + ("持有相应牌照" if d.get("licensed") else "未持有相应牌照")
        + _if(d.get("impersonates_licensed_firm"), "，且冒用持牌机构名义") + "。" if zh else
        "I checked the platform's licence: " + ("it is licensed" if d.get("licensed") else "it is not licensed")
        + _if(d.get("impersonates_licensed_firm"), ", and it impersonates a licensed firm") + "."),
    "evidence_saved": lambda d, zh, l, c: (
        f"本人保存了{label(l, 'evidence_kind', d.get('kind'))}作为证据"
        + _if(d.get("sha256"), f"（SHA-256：{str(d.get('sha256'))[:16]}…）") + "。" if zh else
        f"I kept a {label(l, 'evidence_kind', d.get('kind'))} as evidence"
        + _if(d.get("sha256"), f" (SHA-256 {str(d.get('sha256'))[:16]}…)") + "."),
    "urgency_stated": lambda d, zh, l, c: (
        f"本人向平台说明这笔资金急需用于{value(l, 'urgency', d.get('reason'))}，请求尽快处理。" if zh else
        f"I told the platform the money is urgently needed for {value(l, 'urgency', d.get('reason'))} "
        "and asked it to hurry."),
    "withdrawal_attempted": lambda d, zh, l, c: (
        f"本人再次申请提现 {_m(d, l, c) or '款项'}，结果{value(l, 'result', d.get('result'))}。" if zh else
        f"I asked to withdraw {_m(d, l, c) or 'the money'} again; it {value(l, 'result', d.get('result'))}."),
    "funds_received": lambda d, zh, l, c: (
        f"收到平台支付的 {_m(d, l, c)}" + ("（全额）" if d.get("full") else _if(d.get("full") is False, "（非全额）"))
        + "。" if zh else
        f"The platform paid {_m(d, l, c)}" + (" (in full)" if d.get("full") else
                                             _if(d.get("full") is False, " (not in full)")) + "."),
    "fee_demanded": lambda d, zh, l, c: (
        f"对方要求本人先支付{value(l, 'fee_kind', d.get('fee_kind'))}{_if(_m(d, l, c), ' ' + _m(d, l, c))}，"
        "才肯出款。" if zh else
        f"I was told to pay {value(l, 'fee_kind', d.get('fee_kind'))}{_if(_m(d, l, c), ' of ' + _m(d, l, c))} "
        "before any payout."),
    "payment_instruction_received": lambda d, zh, l, c: (
        f"对方要求本人将 {_m(d, l, c) or '款项'} 转入{value(l, 'destination', d.get('destination'))}"
        + _if(d.get("account_changes_each_time"), "，且每次更换收款账户") + "。" if zh else
        f"I was told to send {_m(d, l, c) or 'money'} to {value(l, 'destination', d.get('destination'))}"
        + _if(d.get("account_changes_each_time"), ", a different account each time") + "."),
    "credentials_requested": lambda d, zh, l, c: (
        f"对方索要{value(l, 'what', d.get('what'))}。" if zh else
        f"I was asked for {value(l, 'what', d.get('what'))}."),
    "recovery_offer_received": lambda d, zh, l, c: (
        "有人" + _if(d.get("channel"), f"通过{d.get('channel')}") + "声称可以帮本人追回资金"
        + _if(d.get("fee_requested"), "，并要求先收费") + "。" if zh else
        "Someone" + _if(d.get("channel"), f" on {d.get('channel')}") + " offered to recover the money"
        + _if(d.get("fee_requested"), " for a fee") + "."),
    "refund_notice_received": lambda d, zh, l, c: (
        "收到自称" + (d.get("claims_authority") or "官方机构") + "的清退兑付通知"
        + _if(d.get("asks_group_or_fee"), "，要求进群、扫码或付费") + "。" if zh else
        "I received a refund notice claiming to come from " + (d.get("claims_authority") or "an authority")
        + _if(d.get("asks_group_or_fee"), " that asks to join a group, scan a code or pay") + "."),
    "agent_solicitation": lambda d, zh, l, c: (
        "有“代理退保”人员联系本人" + _if(d.get("fee_requested"), "，要求收取费用或分成")
        + _if(d.get("coaching_false_claims"), "，并教唆编造理由") + "。" if zh else
        "A 'surrender agent' approached me" + _if(d.get("fee_requested"), " asking for a fee or a share")
        + _if(d.get("coaching_false_claims"), " and coaching false claims") + "."),
    "account_restricted": lambda d, zh, l, c: (
        f"平台账户出现异常：{value(l, 'restriction', d.get('restriction'))}。" if zh else
        f"On the platform, {value(l, 'restriction', d.get('restriction'))}."),
    "platform_trait_observed": lambda d, zh, l, c: (
        f"发现平台存在以下情况：{value(l, 'trait', d.get('trait'))}。" if zh else
        f"I observed: {value(l, 'trait', d.get('trait'))}."),
    "complaint_filed": lambda d, zh, l, c: (
        f"本人向{label(l, 'authority', d.get('authority'))}提出投诉{_ref(d, zh)}。" if zh else
        f"I complained to {label(l, 'authority', d.get('authority'))}{_ref(d, zh)}."),
    "complaint_forwarded": lambda d, zh, l, c: (
        f"投诉已转至{label(l, 'authority', d.get('authority'))}{_ref(d, zh)}。" if zh else
        f"The complaint was forwarded to {label(l, 'authority', d.get('authority'))}{_ref(d, zh)}."),
    "extension_notified": lambda d, zh, l, c: (
        f"对方书面告知处理期限延长至 {when(_dt(d['new_deadline_at']), l)}。" if zh else
        f"I was told in writing the deadline moves to {when(_dt(d['new_deadline_at']), l)}."),
    "decision_received": lambda d, zh, l, c: (
        f"收到处理决定：{value(l, 'outcome', d.get('outcome'))}"
        + _if(d.get("reasons_given") is False, "；决定未说明理由和依据")
        + _if(d.get("remedies_listed") is False, "；决定未列明可采取的救济途径") + "。" if zh else
        f"A decision arrived: it {value(l, 'outcome', d.get('outcome'))}"
        + _if(d.get("reasons_given") is False, "; it gives no reasons or basis")
        + _if(d.get("remedies_listed") is False, "; it lists no remedies") + "."),
    "mediation_started": lambda d, zh, l, c: (
        f"调解程序开始{_ref(d, zh)}。" if zh else f"Mediation started{_ref(d, zh)}."),
    "mediation_ended": lambda d, zh, l, c: (
        "调解结束，" + ("已达成和解。" if d.get("settled") else "未达成和解。") if zh else
        "Mediation ended " + ("with a settlement." if d.get("settled") else "without a settlement.")),
    "lawyer_consulted": lambda d, zh, l, c: (
        f"本人就此事咨询了律师{_ref(d, zh)}。" if zh else f"I consulted a lawyer{_ref(d, zh)}."),
    "lawsuit_filed": lambda d, zh, l, c: (
        f"本人已提起诉讼{_ref(d, zh)}。" if zh else f"I filed a lawsuit{_ref(d, zh)}."),
    "police_report_filed": lambda d, zh, l, c: (
        f"本人已向公安机关报案{_ref(d, zh)}。" if zh else f"I reported the matter to the police{_ref(d, zh)}."),
    "case_closed": lambda d, zh, l, c: (
        f"本人结束了此案件的记录（{value(l, 'reason', d.get('reason'))}）。" if zh else
        f"I closed this case ({value(l, 'reason', d.get('reason'))})."),
    "note_added": lambda d, zh, l, c: (
        f"补充说明：{d.get('text', '')}" if zh else f"Note: {d.get('text', '')}"),
}


def sentence(event_type: str, data: Data, locale: str, currency: str) -> str:
    """One sentence for one event; an unknown type (a newer API) is named rather than dropped."""
    if event_type == "notice_posted":
        return _notice(data, locale, currency)
    if event_type == "support_contacted":
        return _support(data, locale, currency)
    build = _SENTENCES.get(event_type)
    return build(data, locale == "zh-CN", locale, currency) if build else event_type
