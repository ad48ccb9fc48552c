"""Chinese UI text uses full-width punctuation, decided once (docs/contributing.md).

The rule and the readers of each part's strings are in tests/zh_punctuation.py;
`python -m tests.zh_punctuation --fix FILE` rewrites a file's Chinese strings by the rule.
"""
from __future__ import annotations

import pytest

from server.domain.errors import split_languages
from tests.zh_punctuation import ROOT, fix, fix_file, problems, scan, source_files


@pytest.mark.parametrize("text", [
    "请稍候,谢谢", "已签到:李芳", "承诺办结时限(工作日)", "哪方面不满意?", "感谢您的评价!",
    "即办件当场办结;承诺件3个工作日内办结", "材料补齐后请到窗口办理.", "A007 已办结(即办件)",
    "窗口不存在 (no such window)" + "，" + "请刷新,谢谢",  # a Chinese tail after the English
])
def test_a_half_width_mark_touching_chinese_is_found(text):
    assert problems(text), text


@pytest.mark.parametrize("text", [
    "午间休息，13:30 恢复办理业务", "请 A007 号到 3 号窗口办理", "办结期限 2026-11-30",
    "满意率 12.5%", "约 8–15 分钟", "按 F9 办结并叫下一位", "请于 08:30 至 09:00 之间签到",
    "1.办理 2.出件", "用户名为2-64位字母、数字或 _ . -，以字母或数字开头",
    "取号过于频繁，请稍候 (too many tickets: wait a moment)",  # the English half is English
    "Rate a finished visit (一次一评); 409 for a second rating",  # English text with a gloss
    "Number {number}, please go to window {window}", "http://192.168.1.10:8080/n/abc",
])
def test_numbers_times_codes_and_english_are_left_alone(text):
    assert problems(text) == [], text
    assert fix(text) == text


@pytest.mark.parametrize("before, after", [
    ("您已被 李芳 接班,已退出 3 号窗口", "您已被 李芳 接班，已退出 3 号窗口"),
    ("已签到: ", "已签到："),
    ("材料不全,请补齐以下材料后再来办理:", "材料不全，请补齐以下材料后再来办理："),
    ("办结期限 2026-11-30(已超期)", "办结期限 2026-11-30（已超期）"),
    ("设备离线:{r.name}({zh})已 {minutes} 分钟没有心跳", "设备离线：{r.name}（{zh}）已 {minutes} 分钟没有心跳"),
    ("预约码无效,请核对 (invalid appointment code)", "预约码无效，请核对 (invalid appointment code)"),
    ("时间 08:30,请到 3 号窗口.", "时间 08:30，请到 3 号窗口。"),
])
def test_fix_writes_the_full_width_marks(before, after):
    assert fix(before) == after
    assert problems(after) == []


def test_the_chinese_half_of_a_server_message_joins_its_detail_full_width():
    assert split_languages("没有这项业务 (no such service): tax") == ("没有这项业务：tax", "no such service: tax")
    assert split_languages("打印失败 (printing failed); 请扫码") == ("打印失败 (printing failed); 请扫码",) * 2


def test_each_kind_of_source_is_read_as_its_part_stores_text(tmp_path):
    # strings are found; comments, docstrings, regular expressions and English are not text
    (tmp_path / "a.js").write_text(
        '// 注释,不是界面文字\nconst re = /[,:]好/;\n'
        'x.textContent = h.t("已签到:" + who, "Signed in: " + who);\nconst s = `等候中,请稍候`;\n'
        'y = t("请用地址(/evaluator/" + n + "?token=…)打开", "Open (/evaluator/" + n + "?token=…) here");\n',
        encoding="utf-8")
    (tmp_path / "b.html").write_text(
        '<!-- 注释,不算 --><p data-zh="请稍候,谢谢" data-en="Wait, thanks">请稍候,谢谢</p>'
        '<input placeholder="手机号码(可不填)"><script src="x.js"></script>', encoding="utf-8")
    (tmp_path / "c.py").write_text(
        'def f():\n    """说明,不算。"""\n    # 注释,不算\n'
        '    raise Invalid("预约码无效,请核对 (invalid code)")\n', encoding="utf-8")
    (tmp_path / "d.toml").write_text('# 注释,不算\nnotice = "请携带身份证件,按号等候"\n', encoding="utf-8")
    found = sorted((p.name, line) for p, line, _, _ in scan(sorted(tmp_path.iterdir())))
    # line 5: mostly Latin letters, but both pieces are the Chinese argument of t(zh, en)
    # b.html: the data-zh text and the placeholder (the element's text repeats its data-zh)
    assert found == [("a.js", 3), ("a.js", 4), ("a.js", 5), ("a.js", 5), ("b.html", 1), ("b.html", 1),
                     ("c.py", 4), ("d.toml", 2)]


def test_fix_rewrites_a_files_chinese_and_leaves_its_english(tmp_path):
    js = tmp_path / "page.js"
    js.write_text('y = t("请用地址(/evaluator/" + n + "?token=…)打开", "Open (/evaluator/" + n + "?token=…) here");\n'
                  'z = t("已签到: " + who, "Signed in: " + who);\n', encoding="utf-8")
    assert fix_file(js) == 3
    assert js.read_text(encoding="utf-8") == (
        'y = t("请用地址（/evaluator/" + n + "?token=…）打开", "Open (/evaluator/" + n + "?token=…) here");\n'
        'z = t("已签到：" + who, "Signed in: " + who);\n')
    assert scan([js]) == []


def test_every_part_is_scanned():
    files = {p.relative_to(ROOT).as_posix() for p in source_files()}
    for path in ("server/web/static/js/hallq.js", "server/web/static/book.html", "caller/static/caller.js",
                 "display/static/display.html", "kiosk/i18n.py", "hardware/notice.py",
                 "server/domain/errors.py", "assets/halls/main.toml"):
        assert path in files
    assert not any("/migrations/" in f for f in files)  # history: old rows keep their text


# Chinese strings that keep a half-width mark on purpose: (file, the text as the checker prints it),
# each with the reason. Keep it short; fix the text instead where you can.
ALLOWED: dict[tuple[str, str], str] = {}


def test_chinese_ui_text_uses_full_width_punctuation():
    found = [f"{p.relative_to(ROOT)}:{line}: {bad} in {text!r}" for p, line, text, bad in scan()
             if (p.relative_to(ROOT).as_posix(), text) not in ALLOWED]
    assert not found, ("half-width punctuation in Chinese text (docs/contributing.md; "
                       "`python -m tests.zh_punctuation --fix FILE` rewrites it):\n" + "\n".join(found))
