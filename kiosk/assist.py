"""帮办代办 (we do it for you) at the kiosk, with no Kivy here: what the resident chose on each
step, the request body the server takes (the same fields as the phone page /assist), and the
words of the confirmation and of the printed slip.

Typing a Chinese name on a touchscreen is hard for the residents this is for, so the kiosk
takes the name in one of two ways: the ID card on the reader (the card's name, sent once and
stored masked by the server), or the surname picked from a list grouped by its pinyin initial,
with 先生/女士 ("王女士", how the agent will address them on the phone). The phone number is typed
on the keypad. The ID number itself is not sent: the request does not need it.
"""
from __future__ import annotations

from dataclasses import dataclass

from rules.identity import mask_name, mask_phone, mobile_number

from . import i18n

STEPS = ("service", "matter", "delivery", "name", "phone")
COMMON = ("王", "李", "张", "刘", "陈", "杨", "黄", "吴", "赵", "周", "韦", "潘")  # 常用
UNLISTED = "?"  # the initial of 没有我的姓: what to do when a surname is not on the kiosk

# Common surnames by the pinyin initial, most frequent first; the Sandu seed's hall serves Shui,
# Miao and Buyi villages too (韦, 潘, 蒙, 莫, 石, 陆, 吴, 杨 are common there).
SURNAMES: dict[str, tuple[str, ...]] = {
    "A": ("安", "艾", "敖"),
    "B": ("白", "包", "毕", "卞", "鲍", "班"),
    "C": ("陈", "曹", "蔡", "程", "崔", "常", "岑", "成", "车", "柴"),
    "D": ("邓", "丁", "杜", "董", "戴", "段", "邸"),
    "F": ("冯", "方", "范", "付", "傅", "樊", "费", "符"),
    "G": ("郭", "高", "龚", "顾", "葛", "甘", "关", "耿", "管", "谷"),
    "H": ("黄", "胡", "何", "韩", "侯", "贺", "郝", "洪", "华", "黄"),
    "J": ("蒋", "江", "金", "姜", "贾", "焦", "纪", "简"),
    "K": ("孔", "康", "柯", "匡"),
    "L": ("李", "刘", "林", "罗", "梁", "吕", "陆", "卢", "廖", "龙", "雷", "黎", "赖", "蓝", "凌", "骆"),
    "M": ("马", "毛", "孟", "莫", "蒙", "梅", "穆", "麻", "牟"),
    "N": ("倪", "聂", "宁", "牛", "农"),
    "O": ("欧阳", "欧"),
    "P": ("潘", "彭", "庞", "裴", "蒲", "皮"),
    "Q": ("钱", "秦", "邱", "覃", "齐", "戚", "祁", "乔"),
    "R": ("任", "阮", "饶", "冉", "荣"),
    "S": ("孙", "宋", "沈", "苏", "石", "施", "史", "盛", "舒", "邵"),
    "T": ("唐", "田", "陶", "谭", "汤", "滕", "童", "涂"),
    "W": ("王", "吴", "魏", "汪", "韦", "万", "武", "文", "温", "翁"),
    "X": ("徐", "许", "谢", "肖", "熊", "夏", "薛", "向", "邢", "项"),
    "Y": ("杨", "叶", "余", "袁", "姚", "严", "尹", "易", "游", "殷", "岳", "阳"),
    "Z": ("张", "赵", "周", "朱", "郑", "曾", "钟", "邹", "左", "詹", "章", "庄", "卓", "祝"),
}
SURNAMES = {k: tuple(dict.fromkeys(v)) for k, v in SURNAMES.items()}  # no repeats
TITLES = {"mr": ("先生", "Mr"), "ms": ("女士", "Ms")}
DELIVERIES = ("pickup", "post")  # a home visit needs the village: agreed on the agent's call


def surname_pages(names: tuple[str, ...], page_size: int) -> list[tuple[str, ...]]:
    """The surnames of one initial as the screen shows them: all at once when they fit, else
    pages that leave the last two places for 上一页 and 下一页."""
    if len(names) <= page_size:
        return [names]
    per = max(1, page_size - 2)
    return [names[i:i + per] for i in range(0, len(names), per)]


def service_name(service: dict, lang: str) -> str:
    return (service.get("name_en") if lang == "en" else None) or service.get("name") or service.get("code", "")


def matters_of(service: dict) -> list[dict]:
    """The service's matters (事项) from its guide, as the kiosk's guide lists them."""
    return [m for m in ((service.get("guide") or {}).get("matters") or []) if m.get("name")]


def matter_name(matter: dict, lang: str) -> str:
    return (matter.get("name_en") if lang == "en" else None) or matter["name"]


def phone_display(digits: str) -> str:
    """Typed digits in clear, grouped 3-4-4 as Chinese mobiles are read out (138 0013 8000)."""
    groups = [digits[:3], digits[3:7], digits[7:]]
    return " ".join(g for g in groups if g)


@dataclass
class AssistForm:
    """What the resident chose so far. `matter` is None for 其他事项 (agreed on the call)."""

    service: dict | None = None
    matter: dict | None = None
    other_matter: bool = False
    delivery: str = "pickup"
    surname: str = ""
    title: str = ""  # mr | ms
    card_name: str = ""  # the name read from the ID card (never shown whole)
    phone: str = ""

    @property
    def name(self) -> str:
        """What is sent: the card's name, or surname + 先生/女士."""
        if self.card_name:
            return self.card_name
        return self.surname + TITLES[self.title][0] if self.surname and self.title else ""

    def name_shown(self, lang: str) -> str:
        """The name as the screen shows it: a card's name masked (王*), a picked one as 王女士 / Ms 王."""
        if self.card_name:
            return mask_name(self.card_name)
        if not self.surname:
            return ""
        if not self.title:
            return self.surname
        zh, en = TITLES[self.title]
        return f"{en} {self.surname}" if lang == "en" else self.surname + zh

    @property
    def phone_ok(self) -> bool:
        return mobile_number(self.phone) is not None

    def matter_text(self) -> str:
        """The matter as the agent reads it (Chinese, whatever the screen's language)."""
        if self.matter is not None:
            return self.matter["name"]
        return f"{self.service.get('name', '')}：其他事项（电话中确认）"

    def body(self) -> dict:
        return {"service": self.service["code"], "matter": self.matter_text(), "name": self.name,
                "phone": self.phone, "delivery": self.delivery}

    def __repr__(self) -> str:  # never the name or phone whole in a log line
        return (f"AssistForm(service={(self.service or {}).get('code')!r}, delivery={self.delivery!r}, "
                f"name={mask_name(self.name)!r}, phone={mask_phone(self.phone)!r})")


@dataclass
class Confirmation:
    """The words of the confirmation screen and the printed slip, in one language."""

    title: str
    number_label: str
    number: str
    service: str
    matter: str
    contact: str  # 王* · 138****8000
    delivery: str
    call: str
    due: str
    keep: str


def confirmation(request: dict, form: AssistForm, hall: dict, lang: str) -> Confirmation:
    tr = lambda key, **v: i18n.t(key, lang, **v)  # noqa: E731
    call_days = int(hall.get("assist_call_within_working_days") or 1)
    limit = int(hall.get("assist_limit_working_days") or 3)
    svc = form.service or {}
    matter = matter_name(form.matter, lang) if form.matter else tr("assist_other_matter")
    masked = request.get("name_masked") or mask_name(form.name)
    phone = request.get("phone_masked") or mask_phone(form.phone)
    return Confirmation(
        title=tr("assist_accepted"), number_label=tr("assist_number_label"), number=str(request["id"]),
        service=service_name(svc, lang) if svc else request.get("service", ""), matter=matter,
        contact=f"{masked} · {phone}", delivery=tr(f"assist_delivery_{request.get('delivery') or 'pickup'}"),
        call=tr("assist_call_within", n=call_days,
                days=f"{call_days} working day" + ("s" if call_days != 1 else "")), due=tr("assist_due", n=limit, date=request.get("due_date", "")),
        keep=tr("assist_keep_slip"))


def slip(request: dict, form: AssistForm, hall: dict, lang: str, taken_at: str):
    """The printed receipt: the confirmation's words (personal data masked) on paper."""
    from hardware.slip import SlipPrint
    c = confirmation(request, form, hall, lang)
    hall_name = (hall.get("name_en") if lang == "en" else None) or hall.get("name") or ""
    footer = [i18n.t("assist_taken_at", lang, time=taken_at)]
    if hall.get("phone"):
        footer.append(i18n.t("assist_hall_phone", lang, phone=hall["phone"]))
    return SlipPrint(title=i18n.t("assist_slip_title", lang), hall_name=hall_name,
                     reference_label=c.number_label, reference=c.number,
                     lines=[c.service, c.matter, c.contact, c.delivery],
                     strong=[c.call, c.due], footer=footer, lang=lang)
