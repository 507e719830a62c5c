"""Dossier, words: headings and value labels in zh-CN (the default) and en.

Written for a reader at a regulator's office, the 12378 hotline, an industry association or
a police station: plain statements, no advice addressed to the user.
"""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

# Mainland China keeps one offset all year; a fixed zone needs no tz database on the host.
CHINA = timezone(timedelta(hours=8), "UTC+8")

HEADINGS = {
    "zh-CN": {
        "complaint_title": "金融消费投诉材料",
        "police_title": "涉嫌诈骗报案材料摘要",
        "parties": "投诉人与被投诉方", "complainant": "投诉人", "respondent": "被投诉方",
        "request": "投诉请求", "amounts": "涉及金额与关键日期", "facts": "事实经过",
        "contacts": "与平台的沟通记录", "promises": "平台承诺及兑现情况", "evidence": "证据清单",
        "integrity": "记录完整性校验", "deadlines": "适用的法定时限", "remedies": "尚可采取的救济途径",
        "next_steps": "目前建议的下一步", "declaration": "声明", "reporter": "报案人信息",
        "platform": "涉案平台", "money": "涉案金额与时间", "accounts": "账户信息",
        "red_flags": "已发现的诈骗信号", "police_notes": "报案须知",
        "fill_in": "（由本人填写，StuckFunds 不保存以下信息）",
        "name": "姓名", "id_number": "身份证件号码", "phone": "联系电话", "address": "联系地址",
        "platform_name": "平台名称", "platform_kind": "平台类型", "licence": "持牌情况",
        "regulator": "外部受理机构",
        "app_source": "App 来源", "province": "所在地区", "case_ref": "案件编号",
        "amount": "涉及金额", "requested_at": "申请提现时间", "days_waiting": "已等待天数",
        "status": "当前进展", "risk": "风险等级", "generated_at": "材料生成时间",
        "times": "时间说明", "times_value": "文中时间均为北京时间（UTC+8）", "col_deadline_due": "期限",
        "col_no": "序号", "col_seq": "记录号", "col_time": "时间", "col_channel": "渠道",
        "col_agent": "客服姓名/工号", "col_said": "本人所述", "col_answer": "平台答复",
        "col_event": "经过", "col_promise": "承诺内容", "col_made_at": "作出时间",
        "col_due": "承诺期限", "col_written": "书面", "col_result": "兑现情况",
        "col_kind": "类别", "col_captured": "形成时间", "col_description": "说明",
        "col_file": "文件", "col_sha256": "SHA-256", "col_check": "校验",
        "col_deadline": "时限", "col_basis": "依据", "col_item": "事项", "col_amount": "金额",
        "col_detail": "说明", "col_flag": "信号",
        "paying_account": "付款账户及开户行", "receiving_account": "收款账户、户名及开户行",
        "integrity_ok": "校验通过：全部 {events} 条记录的哈希链完整，{files} 个证据文件与登记的哈希一致。",
        "integrity_failed": "校验未通过：以下记录或文件与登记的哈希不一致，可能在登记后被改动。",
        "head_hash": "记录链末端哈希（可另行保存，用于日后比对）",
        "integrity_note": "每条记录按顺序计算 SHA-256 哈希并与前一条串联；证据文件按其内容的 SHA-256 存放。",
        "none": "无", "unknown": "未说明", "yes": "是", "no": "否", "empty_cell": "—",
        "days": "{n} 天", "size_kb": "{n} KB", "not_uploaded": "未上传（原件由本人保存）",
        "no_deadlines": "目前没有正在计算的法定时限。",
        "signature": "签名：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿＿＿＿＿",
        "disclaimer": "本材料由 StuckFunds 依据本人逐条登记的记录整理生成，仅作陈述事实之用，不构成法律意见，也不代表任何机构对结果的承诺。",
    },
    "en": {
        "complaint_title": "Financial consumer complaint",
        "police_title": "Suspected fraud: summary for a police report",
        "parties": "Complainant and respondent", "complainant": "Complainant", "respondent": "Respondent",
        "request": "What I ask for", "amounts": "Amount and key dates", "facts": "What happened",
        "contacts": "Contacts with the platform", "promises": "Promises made and kept or broken",
        "evidence": "Evidence index", "integrity": "Record integrity check",
        "deadlines": "Statutory deadlines that apply", "remedies": "Remedies still open",
        "next_steps": "Recommended next steps", "declaration": "Declaration",
        "reporter": "Person reporting", "platform": "Platform involved",
        "money": "Amounts and times", "accounts": "Accounts", "red_flags": "Fraud signs found",
        "police_notes": "Notes for the report",
        "fill_in": "(to be filled in by hand; StuckFunds does not store these)",
        "name": "Name", "id_number": "ID document number", "phone": "Phone", "address": "Address",
        "platform_name": "Platform", "platform_kind": "Kind", "licence": "Licence",
        "regulator": "Body beyond the firm",
        "app_source": "App installed from", "province": "Region", "case_ref": "Case reference",
        "amount": "Amount", "requested_at": "Withdrawal requested", "days_waiting": "Days waiting",
        "status": "Current stage", "risk": "Risk level", "generated_at": "Prepared at",
        "times": "Times", "times_value": "all times are China Standard Time (UTC+8)", "col_deadline_due": "Due",
        "col_no": "No.", "col_seq": "Record", "col_time": "Time", "col_channel": "Channel",
        "col_agent": "Agent name / id", "col_said": "What I said", "col_answer": "The platform's answer",
        "col_event": "What happened", "col_promise": "Promise", "col_made_at": "Made",
        "col_due": "Due", "col_written": "In writing", "col_result": "Outcome",
        "col_kind": "Kind", "col_captured": "Captured", "col_description": "Description",
        "col_file": "File", "col_sha256": "SHA-256", "col_check": "Check",
        "col_deadline": "Deadline", "col_basis": "Basis", "col_item": "Item", "col_amount": "Amount",
        "col_detail": "Detail", "col_flag": "Sign",
        "paying_account": "Paying account and bank", "receiving_account": "Receiving account, holder and bank",
        "integrity_ok": "Passed: the hash chain of all {events} records is intact and all {files} evidence files match their recorded hashes.",
        "integrity_failed": "Failed: the records or files below no longer match their recorded hashes and may have been altered after they were recorded.",
        "head_hash": "Hash at the end of the chain (keep a copy to compare later)",
        "integrity_note": "Each record is hashed with SHA-256 in order and chained to the one before; evidence files are stored under the SHA-256 of their content.",
        "none": "None", "unknown": "not stated", "yes": "yes", "no": "no", "empty_cell": "—",
        "days": "{n} days", "size_kb": "{n} KB", "not_uploaded": "not uploaded (original kept by me)",
        "no_deadlines": "No statutory deadline is running at present.",
        "signature": "Signature: ____________    Date: ____________",
        "disclaimer": "Prepared by StuckFunds from the records I entered one by one. It states facts only; it is not legal advice and no body has promised any outcome.",
    },
}

LABELS: dict[str, dict[str, dict[str, str]]] = {
    "platform_kind": {
        "zh-CN": {"insurer": "保险", "bank": "银行", "insurance_intermediary": "保险中介",
                  "consumer_finance": "消费金融", "broker": "证券/经纪", "payment": "支付",
                  "investment": "投资理财", "lending": "借贷", "gaming": "游戏/竞猜", "other": "其他",
                  "unknown": "不明"},
        "en": {"insurer": "insurer", "bank": "bank", "insurance_intermediary": "insurance intermediary",
               "consumer_finance": "consumer finance", "broker": "broker", "payment": "payment",
               "investment": "investment", "lending": "lending", "gaming": "gaming", "other": "other",
               "unknown": "unknown"},
    },
    "licence": {
        "zh-CN": {"yes": "持牌（经核实）", "claimed": "据本人了解持牌（尚未核实）", "no": "未持牌", "impersonating": "冒用持牌机构名义",
                  "unknown": "尚未核实"},
        "en": {"yes": "licensed (checked)", "claimed": "believed licensed (not yet checked)",
               "no": "not licensed", "impersonating":
               "impersonates a licensed firm", "unknown": "not yet checked"},
    },
    "app_source": {
        "zh-CN": {"official_store": "官方应用商店", "link_or_qr": "链接或二维码", "website": "网站",
                  "other": "其他", "unknown": "不明"},
        "en": {"official_store": "an official app store", "link_or_qr": "a link or QR code",
               "website": "a website", "other": "elsewhere", "unknown": "unknown"},
    },
    "evidence_kind": {
        "zh-CN": {"notice_screenshot": "公告截图", "call_recording": "通话录音", "chat_log": "聊天记录",
                  "email": "电子邮件", "transfer_receipt": "转账凭证", "contract": "合同/保单",
                  "other": "其他"},
        "en": {"notice_screenshot": "notice screenshot", "call_recording": "call recording",
               "chat_log": "chat log", "email": "email", "transfer_receipt": "transfer receipt",
               "contract": "contract / policy", "other": "other"},
    },
    "channel": {
        "zh-CN": {"phone": "电话", "online_chat": "在线客服", "email": "邮件", "in_app": "App 内消息",
                  "in_person": "当面", "other": "其他"},
        "en": {"phone": "phone", "online_chat": "online chat", "email": "email", "in_app": "in-app message",
               "in_person": "in person", "other": "other"},
    },
    "explanation": {
        "zh-CN": {"channel_maintenance": "通道维护", "risk_review": "风控审核", "system_fault": "系统故障",
                  "documents_requested": "要求补充材料", "none": "未给出任何理由", "other": "其他理由"},
        "en": {"channel_maintenance": "channel maintenance", "risk_review": "risk review",
               "system_fault": "system fault", "documents_requested": "documents requested",
               "none": "no reason at all", "other": "another reason"},
    },
    "authority": {
        "zh-CN": {"platform": "平台", "platform_superior": "平台的上级机构", "nfra_branch": "国家金融监督管理总局派出机构",
                  "hotline_12378": "12378银行保险消费者投诉维权热线", "insurance_association": "保险行业协会",
                  "consumer_12315": "12315", "other": "其他机构"},
        "en": {"platform": "the platform", "platform_superior": "the platform's superior",
               "nfra_branch": "the NFRA local office", "hotline_12378": "the 12378 banking and insurance consumer complaint hotline",
               "insurance_association": "the insurance industry association",
               "consumer_12315": "12315", "other": "another body"},
    },
    "promise_source": {
        "zh-CN": {"support": "客服承诺的处理完成时间", "notice": "公告所称的维护结束时间"},
        "en": {"support": "support's promised resolution", "notice": "the notice's stated end"},
    },
    "promise_status": {
        "zh-CN": {"kept": "已兑现", "broken": "已失约", "partly_paid": "到期仅部分到账",
                  "replaced": "到期前被新承诺取代", "closed": "到期前案件已关闭", "open": "尚未到期"},
        "en": {"kept": "kept", "broken": "broken", "partly_paid": "only partly paid by the date",
               "replaced": "replaced by a later promise before the date",
               "closed": "case closed before the date", "open": "not yet due"},
    },
    "file_check": {
        "zh-CN": {"ok": "一致", "file_changed": "文件已被改动", "file_missing": "文件缺失",
                  "record_mismatch": "登记信息不符", "not_uploaded": "—"},
        "en": {"ok": "matches", "file_changed": "file altered", "file_missing": "file missing",
               "record_mismatch": "record mismatch", "not_uploaded": "—"},
    },
    "issue": {
        "zh-CN": {"content_changed": "第 {seq} 条记录的内容与登记的哈希不符",
                  "link_broken": "第 {seq} 条记录与前一条的哈希衔接断开",
                  "missing": "第 {seq} 条记录缺失", "unsealed": "第 {seq} 条记录没有哈希",
                  "file_changed": "证据文件 {sha} 的内容已被改动",
                  "file_missing": "证据文件 {sha} 缺失",
                  "record_mismatch": "证据文件 {sha} 的登记信息与第 {seq} 条记录不符"},
        "en": {"content_changed": "record {seq} no longer matches its hash",
               "link_broken": "record {seq} is no longer linked to the record before it",
               "missing": "record {seq} is missing", "unsealed": "record {seq} has no hash",
               "file_changed": "evidence file {sha} has been altered",
               "file_missing": "evidence file {sha} is missing",
               "record_mismatch": "the record of evidence file {sha} no longer matches record {seq}"},
    },
    "deadline": {
        "zh-CN": {"platform_promise": "平台自行承诺的期限", "firm_decision": "机构作出投诉处理决定",
                  "regulator_forward": "监管部门转送投诉", "superior_review": "向上级机构申请核查",
                  "superior_answer": "上级机构作出核查决定", "limitation_period": "民事诉讼时效"},
        "en": {"platform_promise": "the platform's own promised date", "firm_decision":
               "the firm decides the complaint", "regulator_forward": "the regulator forwards the complaint",
               "superior_review": "asking the firm's superior to review", "superior_answer":
               "the superior's answer", "limitation_period": "civil limitation period"},
    },
    "money": {
        "zh-CN": {"withdrawal": "申请提现（未到账）", "fee": "对方要求支付：{kind}", "payment": "对方指定的付款方式：{kind}",
                  "attempt": "再次提现：{kind}", "received": "收到款项"},
        "en": {"withdrawal": "withdrawal requested (not paid)", "fee": "payment demanded: {kind}",
               "payment": "payment instruction: {kind}", "attempt": "withdrawal attempt: {kind}",
               "received": "money received"},
    },
}


def heading(locale: str, key: str, **values: object) -> str:
    text = HEADINGS[locale][key]
    return text.format(**values) if values else text


def label(locale: str, group: str, value: str | None) -> str:
    if value is None:
        return HEADINGS[locale]["unknown"]
    return LABELS[group][locale].get(value, value)


def when(moment: datetime | None, locale: str) -> str:
    """A time as a Chinese office reads it: Beijing time (the dossier says so once, up front)."""
    if moment is None:
        return HEADINGS[locale]["unknown"]
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def day(moment: datetime | None, locale: str) -> str:
    if moment is None:
        return HEADINGS[locale]["unknown"]
    return moment.astimezone(CHINA).strftime("%Y-%m-%d")


def money(amount: Decimal | str | None, currency: str, locale: str) -> str:
    if amount is None:
        return HEADINGS[locale]["unknown"]
    value = f"{Decimal(amount):,.2f}"
    if locale == "zh-CN":
        return f"{value} 元" if currency == "CNY" else f"{value} {currency}"
    return f"{currency} {value}"
