"""What a 好差评 record reported to the province says, and how a province's field names are mapped.

The national rules (国办发〔2019〕51号) fix the record's content: 评价编号, 办件编号, 事项编码, 评价渠道,
评价等级 1-5 with its label, 评价时间, the level's 评价内容 indicators (整体满意度, 服务效率, 服务水平,
服务态度 ...) and tags, 差评整改情况 and 回访结果. Each province names these fields its own way, so the
record is kept under the hall's own names (`FIELDS`) and mapped when sent (`[province.mapping]`).
Pure: no I/O, no framework."""
from __future__ import annotations

from . import ratings as rdomain

# The hall's own field name -> the default name sent (from the national rules).
DEFAULT_MAPPING = {
    "record_id": "评价编号",
    "case_no": "办件编号",
    "item_code": "事项编码",
    "item_name": "事项名称",
    "channel": "评价渠道",
    "level": "评价等级",
    "level_label": "评价等级名称",
    "rated_at": "评价时间",
    "indicators": "评价内容",
    "tags": "评价标签",
    "comment": "评价意见",
    "hall": "评价对象",
    "window": "窗口",
    "staff_no": "工作人员工号",
    "rectification": "差评整改情况",
    "callback": "回访结果",
    "callback_satisfaction": "回访满意度",
    "kind": "记录类型",
}
FIELDS = tuple(DEFAULT_MAPPING)

# 评价渠道: how the rating reached the hall (ratings.source -> the national channel name).
CHANNELS = {
    "evaluator": ("窗口评价器", "Window evaluator"),
    "keypad": ("窗口评价器", "Window evaluator"),
    "kiosk": ("自助终端", "Self-service kiosk"),
    "ticket": ("移动端", "Mobile"),
    "hotline": ("12345热线", "12345 hotline"),
    "box": ("意见箱", "Suggestion box"),
    "onsite": ("现场", "In person"),
    "other": ("其他", "Other"),
}

# 评价内容: the second-level indicators a rating reason speaks to (整体满意度 always).
INDICATORS = {
    "attitude": "服务态度",
    "efficiency": "服务效率",
    "process": "服务水平",
    "environment": "服务环境",
}
OVERALL = "整体满意度"


def channel_label(source: str | None) -> str:
    return CHANNELS.get(source or "", (source or "", ""))[0]


def rating_record(*, record_id: str, kind: str, hall: str, level: int | None, source: str | None,
                  reasons: list[str], comment: str | None, rated_at: str, window: int | None,
                  staff_no: str | None, case: dict | None, rectification: str | None = None,
                  callback: str | None = None, callback_satisfaction: str | None = None) -> dict:
    """One record in the hall's own field names (what the outbox keeps). A complaint (投诉) has
    no level: 评价等级 is empty and its name says 投诉."""
    case = case or {}
    return {
        "record_id": record_id, "kind": kind, "hall": hall,
        "case_no": case.get("case_no"), "item_code": case.get("item_code"),
        "item_name": case.get("item_name"),
        "channel": channel_label(source), "level": level, "level_label": rdomain.label(level)[0],
        "rated_at": rated_at,
        "indicators": [OVERALL] + [INDICATORS[r] for r in reasons if r in INDICATORS],
        "tags": [rdomain.REASONS[r][0] for r in reasons if r in rdomain.REASONS],
        "comment": comment, "window": window, "staff_no": staff_no,
        "rectification": rectification, "callback": callback,
        "callback_satisfaction": callback_satisfaction,
    }


def check_mapping(mapping) -> dict:
    """The province's mapping over the default: our field -> their name; "" or false drops a field.
    Raises ValueError on an unknown field or a name that is not text."""
    out = dict(DEFAULT_MAPPING)
    if mapping is None:
        return out
    if not isinstance(mapping, dict):
        raise ValueError("[province.mapping] must be a table of field = name")
    for field, name in mapping.items():
        if field not in DEFAULT_MAPPING:
            raise ValueError(f"[province.mapping] unknown field {field!r} (known: {', '.join(FIELDS)})")
        if name in ("", False):
            out.pop(field, None)
        elif isinstance(name, str):
            out[field] = name
        else:
            raise ValueError(f"[province.mapping] {field} must name a field (text)")
    return out


def apply_mapping(record: dict, mapping: dict) -> dict:
    """The record as the province reads it: only mapped fields, under the province's names."""
    return {name: record.get(field) for field, name in mapping.items()}


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """Wait before the next try after `attempts` failures: doubling from base_s, at most max_s."""
    return min(max_s, base_s * (2 ** max(0, attempts - 1)))


# 回访: how the call back went (the callback step's structured record)
CALLBACK_CHANNELS = {"phone": "电话", "sms": "短信", "visit": "上门", "wechat": "微信", "other": "其他"}
CALLBACK_RESULTS = {"reached": "已联系", "unreachable": "未联系上", "declined": "拒绝回访"}
SATISFACTION = {"satisfied": "满意", "basically": "基本满意", "dissatisfied": "不满意"}


def callback_text(text: str, cb: dict | None) -> str:
    """回访结果 as one line the province reads: 电话 · 已联系 · 对整改满意 · what was said."""
    if not cb:
        return text
    parts = [CALLBACK_CHANNELS[cb["channel"]], CALLBACK_RESULTS[cb["result"]]]
    if cb.get("satisfaction"):
        parts.append("对整改" + SATISFACTION[cb["satisfaction"]])
    return " · ".join(parts + [text])
