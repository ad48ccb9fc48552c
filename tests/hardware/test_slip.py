"""The kiosk's receipt slip (帮办代办 回执) on the thermal printer: in text mode the Chinese words in
GB18030 after FS &, the reference large; an English slip without Chinese mode; in image mode (a
printer with no Chinese font) the same lines as a raster picture at the paper width, long lines
wrapped, not cut."""
from __future__ import annotations

from hardware.printer import FS_CHINESE_OFF, FS_CHINESE_ON, TicketPrinter
from hardware.slip import SlipPrint, render_slip, render_slip_image

RASTER = b"\x1dv0"  # GS v 0: raster bit image


def slip(**over) -> SlipPrint:
    values = dict(title="帮办代办回执", hall_name="三都镇便民服务中心", reference_label="申请编号",
                  reference="12", lines=["社会事务综合", "高龄津贴申请", "王* · 138****8000", "到大厅窗口领取"],
                  strong=["帮办员将在 1 个工作日内打电话联系您"], footer=["受理时间 2026-11-30 10:00"])
    values.update(over)
    return SlipPrint(**values)


def test_a_chinese_slip_is_gb18030_in_chinese_mode_with_the_number_large():
    data = render_slip(TicketPrinter("dummy://"), slip())
    assert data.index(FS_CHINESE_ON) < data.index("帮办代办回执".encode("gb18030"))
    assert b"\x1d\x21\x22" + b"\x1c\x21\x0c" + b"\x1b\x45\x01" + b"12\n" in data  # 3x3, bold
    assert "王* · 138****8000".encode("gb18030") in data and data.rstrip().endswith(b"\x1dV\x00")


def test_an_english_slip_leaves_chinese_mode_off():
    data = render_slip(TicketPrinter("dummy://"), slip(title="Assisted service: receipt", lang="en",
                                                      hall_name="Sandu Town Service Centre"))
    assert FS_CHINESE_OFF in data and FS_CHINESE_ON not in data
    assert b"Assisted service: receipt\n" in data


def test_in_image_mode_the_slip_is_a_picture_at_the_paper_width_with_long_lines_wrapped():
    tp = TicketPrinter("dummy://", mode="image", paper_mm=58)
    data = render_slip(tp, slip())
    assert RASTER in data and "帮办代办回执".encode("gb18030") not in data
    short = render_slip_image(tp, slip(lines=["农村宅基地和建房(规划许可)申请"]))
    long = render_slip_image(tp, slip(lines=["农村宅基地和建房(规划许可)申请" * 3]))
    assert short.width == long.width == tp.paper_width_px
    assert long.height > short.height  # one long line became several, none cut at the edge
    right_edge = [long.getpixel((long.width - 1, y)) for y in range(long.height)]
    assert all(px for px in right_edge)  # white: nothing runs off the paper
