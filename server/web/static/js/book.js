// The booking page (/book): service -> day -> slot -> details -> confirmation with QR code.
// Everything comes from /api/v1/halls/{hall}/appointments/*; personal data is sent once and
// comes back only masked.
(function () {
  "use strict";
  const $ = hallq.$;
  const el = hallq.el, t = hallq.t;
  const WEEK_ZH = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  const WEEK_EN = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const state = { info: null, service: null, day: null, slot: null, booking: null };

  function path(p) { return hallq.hallPath("/appointments" + p); }
  function show(id, on) { $(id).classList.toggle("hidden", !on); }
  function error(msg, where) {
    const box = $(where || "error");
    box.textContent = msg || "";
    box.classList.toggle("hidden", !msg);
  }
  function svcName(s) { return hallq.lang() === "en" ? (s.name_en || s.name) : s.name; }
  // Days read as the hall's dates everywhere (2026-11-30); a day button shows 11-30 and the weekday.
  function dayLabel(iso, weekday) {
    return iso.slice(5) + " " + (hallq.lang() === "en" ? WEEK_EN[weekday] : WEEK_ZH[weekday]);
  }
  function fullDay(iso, weekday) {
    return iso + " " + (hallq.lang() === "en" ? WEEK_EN[weekday] : WEEK_ZH[weekday]);
  }

  // GB 11643 and the mainland mobile number (js/idnumber.js, the rules of rules/identity.py), so a
  // mistyped number is caught before sending; the mobile number is sent as its 11 digits.
  function idValid(s) { return hallqId.valid(s); }
  function mobileNumber(s) { return hallqId.mobileNumber(s); }

  async function loadInfo() {
    state.info = await hallq.api("GET", path("/info"), undefined, { token: null });
    $("hall-name").textContent = hallq.lang() === "en" ? (state.info.hall_name_en || state.info.hall_name)
      : state.info.hall_name;
    renderServices();
  }

  function renderServices() {
    const box = $("services");
    box.replaceChildren();
    if (!state.info.enabled || !state.info.services.length) {
      box.append(el("p", { class: "muted" }, t("本大厅暂不接受预约", "This hall takes no bookings now")));
      return;
    }
    state.info.services.forEach(function (s) {
      box.append(el("button", {
        type: "button", class: "bk-service" + (state.service && state.service.code === s.code ? " on" : ""),
        dataset: { code: s.code }, onclick: function () { chooseService(s); },
      }, el("b", null, svcName(s)), el("span", null, t("每时段 " + s.capacity + " 个名额", s.capacity + " per slot"))));
    });
  }

  async function chooseService(s) {
    error("");
    state.service = s; state.day = null; state.slot = null;
    renderServices();
    show("step-day", true); show("step-form", false);
    $("chosen-service").textContent = svcName(s);
    $("slots").replaceChildren(); $("day-note").textContent = "";
    try {
      const data = await hallq.api("GET", path("/days?service=" + encodeURIComponent(s.code)), undefined, { token: null });
      renderDays(data.days);
      const first = data.days.find((d) => d.workday && d.left > 0);
      if (first) chooseDay(first);
      $("step-day").scrollIntoView({ block: "start" });
    } catch (e) { error(e.message); }
  }

  function renderDays(days) {
    const box = $("days");
    box.replaceChildren();
    days.forEach(function (d) {
      let tag = null;
      if (!d.workday) {
        const name = d.holiday ? (hallq.lang() === "en" ? d.holiday : d.holiday_zh) : t("休息", "closed");
        tag = el("span", { class: "tag holiday" }, name);
      } else if (d.makeup_workday) {
        tag = el("span", { class: "tag makeup" }, t("调休上班", "make-up day"));
      } else if (d.weekend_service) {
        tag = el("span", { class: "tag makeup" }, t("周末服务", "weekend service"));
      } else {
        // today after the last bookable slot: the slots have passed, not filled
        tag = el("span", { class: "tag" }, d.left > 0 ? t("余 " + d.left, d.left + " left")
          : d.passed ? t("已过", "closed today") : t("约满", "full"));
      }
      box.append(el("button", {
        type: "button", class: "bk-day" + (state.day && state.day.date === d.date ? " on" : ""),
        disabled: !d.workday || d.left <= 0, dataset: { date: d.date }, title: d.reason || "",
        onclick: function () { chooseDay(d); },
      }, el("b", null, dayLabel(d.date, d.weekday).split(" ")[0]),
         el("span", null, dayLabel(d.date, d.weekday).split(" ")[1]), tag));
    });
    state.days = days;
  }

  async function chooseDay(d) {
    error("");
    state.day = d; state.slot = null;
    renderDays(state.days);
    show("step-form", false);
    try {
      const q = "?service=" + encodeURIComponent(state.service.code) + "&date=" + d.date;
      const data = await hallq.api("GET", path("/slots" + q), undefined, { token: null });
      if (state.day !== d) return;  // another day was chosen meanwhile: its slots win
      renderSlots(data);
    } catch (e) { error(e.message); }
  }

  function renderSlots(data) {
    const box = $("slots");
    box.replaceChildren();
    $("day-note").textContent = data.bookable ? t("请选择时段（虚线为延时服务时段）",
      "Choose a time (dashed: evening service)") : (data.reason || "");
    // slots that have passed today are not shown: today's open ones come first, not after them
    const past = data.slots.filter(function (s) { return !s.available && s.left > 0; });
    if (past.length) {
      $("day-note").textContent += t("（已过时段 " + past.length + " 个未显示）", " (" + past.length + " past times not shown)");
    }
    data.slots.filter(function (s) { return past.indexOf(s) < 0; }).forEach(function (s) {
      const free = s.available;
      box.append(el("button", {
        type: "button", disabled: !free, dataset: { slot: s.slot },
        class: "bk-slot" + (free ? "" : " full") + (s.extended ? " ext" : "") +
          (state.slot === s.slot ? " on" : ""),
        onclick: function () { chooseSlot(s); },
      }, s.slot, el("small", null, free ? t("余 " + s.left, s.left + " left") : t("约满", "full"))));
    });
  }

  function chooseSlot(s) {
    error("");
    state.slot = s.slot;
    Array.from($("slots").children).forEach((b) => b.classList.toggle("on", b.dataset.slot === s.slot));
    $("chosen-slot").textContent = svcName(state.service) + " · " + fullDay(state.day.date, state.day.weekday) +
      " · " + s.slot;
    show("step-form", true);
    $("step-form").scrollIntoView({ block: "start" });
  }

  async function submit(ev) {
    ev.preventDefault();
    error("", "form-error");
    const name = $("name").value.trim(), phone = mobileNumber($("phone").value),
      idnum = $("idnum").value.trim().toUpperCase();
    ["name", "phone", "idnum"].forEach((id) => $(id).classList.remove("bad"));
    let msg = null;
    if (!name) { msg = t("请填写姓名", "Please give your name"); $("name").classList.add("bad"); }
    else if (!phone) { msg = t("请填写11位手机号码", "Please give an 11-digit mobile number"); $("phone").classList.add("bad"); }
    else if (!idValid(idnum)) { msg = t("身份证号码有误，请核对", "The ID number is not valid"); $("idnum").classList.add("bad"); }
    if (msg) { error(msg, "form-error"); return; }
    $("submit").disabled = true;
    try {
      const b = await hallq.api("POST", path(""), {
        service: state.service.code, date: state.day.date, slot: state.slot, name: name, phone: phone,
        id_number: idnum,
      }, { token: null });
      $("form").reset();
      showBooking(b);
    } catch (e) {
      error(e.message, "form-error");
      if (e.code === "slot_full" || e.code === "slot_passed") chooseDay(state.day);
    } finally { $("submit").disabled = false; }
  }

  function showBooking(b) {
    state.booking = b;
    ["step-service", "step-day", "step-form"].forEach((id) => show(id, false));
    show("confirm", true);
    const box = $("confirm");
    const cancelled = b.status !== "booked";
    box.classList.toggle("cancelled", cancelled);
    $("confirm-title").textContent = {
      booked: t("预约成功", "Booked"), cancelled: t("预约已取消", "Booking cancelled"),
      checked_in: t("已签到取号", "Checked in"), no_show: t("预约已过期", "Booking expired"),
    }[b.status] || b.status;
    if (b.qr_svg) $("qr").src = b.qr_svg;
    $("code").textContent = b.code_display || b.code || "";
    const rows = [
      [t("业务", "Service"), hallq.lang() === "en" ? (b.service_name_en || b.service_name) : b.service_name],
      [t("日期", "Date"), b.date], [t("时段", "Time"), b.slot + (b.extended ? t("（延时服务）", " (evening)") : "")],
      [t("姓名", "Name"), b.name_masked], [t("手机", "Mobile"), b.phone_masked], [t("证件", "ID"), b.id_masked],
      [t("地点", "Place"), b.hall_name],
    ];
    const dl = $("details");
    dl.replaceChildren();
    rows.forEach((r) => dl.append(el("dt", null, r[0]), el("dd", null, r[1])));
    $("checkin-hint").textContent = t("请于 " + b.checkin_from + " 至 " + b.checkin_until + " 之间签到，可优先办理；迟到按普通号排队。",
      "Check in between " + b.checkin_from + " and " + b.checkin_until + " to be served first; later you queue as usual.");
    show("checkin-hint", b.status === "booked");
    show("keep-hint", b.status === "booked");
    show("cancel", b.status === "booked");
    const link = $("ticket-link");
    link.replaceChildren();
    if (b.ticket) link.append(el("a", { href: b.ticket.track_url }, t("查看号票 ", "Your ticket ") + b.ticket.number));
    show("ticket-link", !!b.ticket);
    resetCancel();
    if (b.code) history.replaceState(null, "", "#code=" + encodeURIComponent(b.code));
    box.scrollIntoView({ block: "start" });
  }

  let cancelArmed = false;
  function resetCancel() {
    cancelArmed = false;
    $("cancel").textContent = t("取消预约", "Cancel booking");
  }
  async function cancel() {
    if (!cancelArmed) {  // a second tap confirms (no pop-up dialogs on a phone)
      cancelArmed = true;
      $("cancel").textContent = t("再次点击确认取消", "Tap again to confirm");
      return;
    }
    try {
      const b = await hallq.api("DELETE", path("/" + encodeURIComponent(state.booking.code)), undefined, { token: null });
      b.code = state.booking.code; b.qr_svg = state.booking.qr_svg;
      showBooking(b);
    } catch (e) { error(e.message); resetCancel(); }
  }

  async function lookup(code) {
    error("");
    code = (code || "").trim();
    if (!code) return;
    try {  // 进度查询: a booking code, or the code on a ticket (its page shows the queue and the case)
      const r = await hallq.api("GET", hallq.hallPath("/progress/" + encodeURIComponent(code)), undefined, { token: null });
      if (r.kind === "ticket") { location.href = r.track_url; return; }
      showBooking(r.booking);
      const c = r.ticket && r.ticket.case;
      if (c && c.tracked) {
        $("ticket-link").append(el("p", { class: "bk-progress" }, hallq.label("outcome", c.outcome) + " · " +
          (c.delivered ? t("已办结，结果已交付", "done, result handed over")
            : t("办结期限 " + c.due_date + (c.overdue ? "（已超期）" : ""), "due by " + c.due_date + (c.overdue ? " (overdue)" : "")))));
      }
    } catch (e) { error(e.message); }
  }

  function again() {
    history.replaceState(null, "", location.pathname + location.search);
    show("confirm", false); show("step-service", true);
    state.service = null; renderServices();
    show("step-day", false); show("step-form", false);
  }

  function setLangButton() { $("lang").textContent = hallq.lang() === "en" ? "中文" : "EN"; }

  document.addEventListener("DOMContentLoaded", function () {
    hallq.applyLang(document); setLangButton();
    $("lang").addEventListener("click", function () {
      hallq.setLang(hallq.lang() === "en" ? "zh" : "en"); setLangButton();
      if (state.info) { loadInfo(); }
      if (state.booking && !$("confirm").classList.contains("hidden")) showBooking(state.booking);
      else if (state.day) { renderDays(state.days); chooseDay(state.day); }
    });
    $("form").addEventListener("submit", submit);
    $("form").addEventListener("input", function (ev) { ev.target.classList.remove("bad"); error("", "form-error"); });
    $("cancel").addEventListener("click", cancel);
    $("again").addEventListener("click", again);
    $("lookup-form").addEventListener("submit", function (ev) { ev.preventDefault(); lookup($("lookup-code").value); });
    loadInfo().catch((e) => error(e.message));
    function fromHash() {  // /book#code=... opens a booking (the fragment never reaches the server)
      const m = /code=([^&]+)/.exec(location.hash);
      if (m && (!state.booking || state.booking.code !== decodeURIComponent(m[1]))) lookup(decodeURIComponent(m[1]));
    }
    window.addEventListener("hashchange", fromHash);
    fromHash();
  });
})();
