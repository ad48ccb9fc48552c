"""Screen text: Chinese first, English on the switch. `t(key, lang, **values)`."""
from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "lang_switch": ("English", "中文"),
    "elder_mode": ("长者模式", "Elder mode"),
    "elder_on": ("长者模式 ✓", "Elder mode ✓"),
    "choose_service": ("请选择您要办理的业务", "Please choose a service"),
    "waiting": ("等候 {n} 人", "{n} waiting"),
    "est_wait": ("约 {m} 分钟", "about {m} min"),
    "no_wait": ("无需等候", "no wait"),
    "closed": ("休息中", "Closed"),
    "hours": ("办理时间 {hours}", "Hours {hours}"),
    "checkin_button": ("预约签到", "Appointment check-in"),
    "offline_banner": ("正在连接服务器…", "Connecting to the server…"),
    "guide_title": ("办事指南", "Service guide"),
    "materials": ("所需材料", "Materials to bring"),
    "conditions": ("办理条件", "Who can apply"),
    "time_limit": ("办理时限", "Time limit"),
    "take_ticket": ("取号", "Take a ticket"),
    "back": ("返回", "Back"),
    "home": ("返回首页", "Home"),
    "identify_title": ("请出示身份证件", "Identify yourself"),
    "identify_hint_card": ("请将身份证放在读卡区", "Place your ID card on the reader"),
    "identify_hint_scan": ("或扫描证件条码/二维码", "or scan its code"),
    "identify_hint_type": ("或输入身份证号码", "or type your ID number"),
    "identify_type_only": ("请输入身份证号码", "Please type your ID number"),
    "identify_optional": ("也可以跳过,直接取号", "You may also skip this step"),
    "skip": ("跳过", "Skip"),
    "ok": ("确定", "OK"),
    "delete": ("删除", "Del"),
    "clear": ("清空", "Clear"),
    "id_bad": ("身份证号码有误,请核对", "That ID number is not valid, please check it"),
    "id_short": ("请输入18位身份证号码", "Please enter all 18 characters"),
    "id_read": ("已读取身份证 {masked}", "ID card read: {masked}"),
    "checkin_title": ("预约签到", "Appointment check-in"),
    "checkin_hint": ("请将预约二维码对准扫码口,或刷身份证", "Show your booking QR code to the scanner, or place your ID card on the reader"),
    "checkin_no_device": ("本机未连接扫码器和读卡器,请到服务台签到", "No scanner or card reader here: please check in at the service desk"),
    "no_appointment": ("未找到您今天的预约,请选择业务取号", "No appointment found for today: please choose a service"),
    "printing": ("正在出票,请稍候…", "Printing your ticket…"),
    "working": ("正在取号,请稍候…", "Getting your number…"),
    "take_your_ticket": ("请取走您的号票", "Please take your ticket"),
    "not_printed": ("打印机暂时无法出票,请拍照或记下您的号码", "The printer cannot print now: please photograph or note your number"),
    "ahead": ("前面还有 {n} 人", "{n} ahead of you"),
    "wait_about": ("预计等候约 {m} 分钟", "Estimated wait about {m} min"),
    "scan_to_follow": ("手机扫码查看排队进度", "Scan to follow the queue on your phone"),
    "appointment_ok": ("预约签到成功", "Checked in"),
    "unreachable": ("暂时无法取号,请稍候或到服务台", "Cannot issue tickets right now. Please wait a moment or go to the service desk"),
    "retrying": ("正在自动重试…", "Retrying automatically…"),
    "error_title": ("抱歉", "Sorry"),
    "service_closed": ("该业务当前不在办理时间", "This service is closed now"),
    "busy": ("取号太频繁,请稍后再试", "Too many tickets just now, please try again shortly"),
    "admin": ("设备管理", "Device admin"),
    "pin_prompt": ("请输入管理密码", "Enter the admin PIN"),
    "pin_wrong": ("密码错误", "Wrong PIN"),
    "pin_unset": ("未设置管理密码(admin_pin),无法进入", "No admin PIN configured"),
    "server_url": ("服务器地址", "Server URL"),
    "device_token": ("设备令牌", "Device token"),
    "save": ("保存", "Save"),
    "saved": ("已保存", "Saved"),
    "test_printer": ("打印测试页", "Printer test page"),
    "test_scanner": ("扫码测试", "Scanner test"),
    "test_reader": ("读卡测试", "Card reader test"),
    "no_printer": ("未配置打印机", "No printer configured"),
    "no_camera": ("未配置摄像头", "No camera configured"),
    "no_reader": ("未配置读卡器", "No card reader configured"),
    "scan_now": ("请在扫码口出示条码…", "Show a code to the scanner…"),
    "card_now": ("请放置身份证…", "Place a card on the reader…"),
    "no_card": ("未检测到身份证", "No card on the reader"),
    "scanned": ("扫码结果: {code}", "Scanned: {code}"),
    "closing": ("关闭", "Close"),
}

SPOKEN = {  # prompts spoken in elder mode (长者模式)
    "home": ("请选择您要办理的业务", "Please choose a service"),
    "identify": ("请将身份证放在读卡区,或输入身份证号码", "Please place your ID card on the reader"),
    "ticket": ("请取走您的号票,您的号码是 {number}", "Please take your ticket, number {number}"),
    "error": ("暂时无法取号,请稍候或到服务台", "Cannot issue tickets right now"),
    "checkin": ("请出示预约二维码,或刷身份证", "Please show your booking code"),
}


def t(key: str, lang: str = "zh", **values) -> str:
    zh, en = TEXT[key]
    s = en if lang == "en" else zh
    return s.format(**values) if values else s


def spoken(key: str, lang: str = "zh", **values) -> str:
    zh, en = SPOKEN[key]
    return (en if lang == "en" else zh).format(**values)
