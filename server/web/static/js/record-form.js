// 登记投诉/评价: the form staff use to write down a rating or complaint that came by the 12345
// hotline, the suggestion box (意见箱), in person (现场) or another way. It may name the visit (a
// ticket number with its day, the code on the ticket or its QR link, a booking code: looked up and
// shown masked) or, when the resident named none, the service, window, staff member and day known.
// A bad rating or a complaint opens a review case. Used by the cases page and the front desk:
//   hallqRecordForm.mount(container, { channel: "onsite", onSaved: function (rating) {...} })
//   -> { open(), close(), relabel() }
(function () {
  "use strict";
  const h = window.hallq;
  const el = h.el;
  // [value, 中文, English]
  const LEVELS = [["5", "非常满意", "Very satisfied"], ["4", "满意", "Satisfied"], ["3", "基本满意", "Fairly satisfied"],
    ["2", "不满意", "Dissatisfied"], ["1", "非常不满意", "Very dissatisfied"], ["complaint", "投诉", "Complaint"]];
  // which field an error from the server is about
  const FIELD_OF = { invalid_visit: "visit", unknown_visit: "visit", not_finished: "visit", already_rated: "visit",
    visit_mismatch: "visit", own_visit: "visit", unknown_service: "service", unknown_window: "window",
    unknown_staff: "staff", invalid_day: "day", subject_required: "service", level_required: "level", invalid_level: "level",
    text_required: "text", invalid_phone: "phone", consent_required: "consent", invalid_channel: "channel",
    invalid_reasons: "reasons" };

  function span(zh, en) { return el("span", { dataset: { zh: zh, en: en } }, h.t(zh, en)); }

  function mount(root, opts) {
    opts = opts || {};
    const st = { choices: null, visit: null, busy: false, key: null };
    const f = {};  // the form's fields by name

    function chip(type, name, value, zh, en, cls) {
      const input = el("input", { type: type, name: name, value: value });
      return el("label", { class: "rf-chip" + (cls ? " " + cls : "") }, input, span(zh, en));
    }
    function field(name, zh, en, control, extra) {
      return el("label", { class: "rf-field rf-" + name }, el("span", { class: "rf-label", dataset: { zh: zh, en: en } }, h.t(zh, en)), control, extra || null);
    }
    function group(name, zh, en, items) {
      return el("fieldset", { class: "rf-group rf-" + name },
        el("legend", { class: "rf-label", dataset: { zh: zh, en: en } }, h.t(zh, en)),
        el("div", { class: "rf-chips" }, items));
    }

    f.visit = el("input", { id: "rf-visit", maxlength: "200", autocomplete: "off",
      dataset: { phZh: "号票号码、号票查询码或预约码，可扫码", phEn: "Ticket number, ticket code or booking code; or scan" } });
    f.find = el("button", { type: "button", class: "secondary rf-find", dataset: { zh: "查找", en: "Look up" } }, h.t("查找", "Look up"));
    f.found = el("div", { class: "rf-found hidden", role: "status" });
    // typed as 2026-11-05 in either language: a type=date picker shows the browser's own format
    f.day = el("input", { id: "rf-day", type: "text", inputmode: "numeric", maxlength: "12", autocomplete: "off",
      spellcheck: "false", dataset: { phZh: "例：2026-11-05", phEn: "e.g. 2026-11-05" } });
    f.service = el("select", { id: "rf-service" });
    f.window = el("select", { id: "rf-window" });
    f.staff = el("select", { id: "rf-staff" });
    f.text = el("textarea", { id: "rf-text", rows: "3", maxlength: "500",
      dataset: { phZh: "群众反映的内容，尽量记下原话", phEn: "What the resident said, in their words where possible" } });
    f.phone = el("input", { id: "rf-phone", type: "tel", maxlength: "20", autocomplete: "off",
      dataset: { phZh: "11位手机号码", phEn: "11-digit mobile number" } });
    f.consent = el("input", { id: "rf-consent", type: "checkbox" });
    f.error = el("div", { class: "error-box rf-error hidden", role: "alert" });
    f.save = el("button", { type: "submit", class: "primary rf-save", dataset: { zh: "保存登记", en: "Save" } }, h.t("保存登记", "Save"));
    f.cancel = el("button", { type: "button", class: "secondary rf-cancel", dataset: { zh: "取消", en: "Cancel" } }, h.t("取消", "Cancel"));
    f.channels = el("div", { class: "rf-chips" });
    f.reasons = el("div", { class: "rf-chips" });
    f.contact = el("div", { class: "rf-contact hidden" },
      field("phone", "回访电话（可不填）", "Phone for the call back (optional)", f.phone),
      el("label", { class: "rf-consent" }, f.consent,
        span("群众同意留下电话，仅用于回访", "The resident agrees to be called back on this number")));

    const form = el("form", { class: "rf-form", novalidate: true },
      el("fieldset", { class: "rf-group rf-channel" },
        el("legend", { class: "rf-label", dataset: { zh: "1 渠道", en: "1 Channel" } }, h.t("1 渠道", "1 Channel")), f.channels),
      el("div", { class: "rf-row rf-visit-row" },
        field("visit", "2 办事记录（能提供就填）", "2 The visit (if the resident can say)", el("div", { class: "rf-inline" }, f.visit, f.find)),
        field("day", "办事日期", "Day of the visit", f.day)),
      f.found,
      el("div", { class: "rf-row rf-about" },
        field("service", "业务", "Service", f.service),
        field("window", "窗口", "Window", f.window),
        field("staff", "工作人员", "Staff member", f.staff)),
      group("level", "3 评价", "3 Rating", LEVELS.map(function (l) {
        return chip("radio", "rf-level", l[0], l[1], l[2], l[0] === "complaint" ? "complaint" : (l[0] <= "2" ? "bad" : ""));
      })),
      el("fieldset", { class: "rf-group rf-reasons" },
        el("legend", { class: "rf-label", dataset: { zh: "问题类型（可多选）", en: "About (any that apply)" } }, h.t("问题类型（可多选）", "About (any that apply)")), f.reasons),
      field("text", "4 内容（投诉必填）", "4 What was said (needed for a complaint)", f.text),
      f.contact, f.error,
      f.buttons = el("div", { class: "rf-buttons" }, f.save, f.cancel));
    const panel = el("section", { class: "record-form hidden", "aria-labelledby": "rf-title" },
      el("h2", { id: "rf-title", dataset: { zh: "登记投诉/评价", en: "Record a complaint or rating" } }, h.t("登记投诉/评价", "Record a complaint or rating")),
      el("p", { class: "rf-hint muted", dataset: { zh: "12345热线、意见箱、现场等渠道收到的评价和投诉。差评和投诉进入差评整改（核实、整改、回访）。",
        en: "Ratings and complaints from the 12345 hotline, the suggestion box, in person or elsewhere. Bad ratings and complaints become review cases (verify, rectify, call back)." } }),
      form);
    root.append(panel);

    // ------------------------------------------------------------ choices
    function option(value, text) { return el("option", { value: value }, text); }
    function fillSelects() {
      const c = st.choices;
      if (!c) return;
      const keep = { service: f.service.value, window: f.window.value, staff: f.staff.value };
      f.service.replaceChildren.apply(f.service, [option("", h.t("不清楚", "Not known"))].concat(c.services.map(function (s) {
        return option(s.code, h.t(s.name, s.name_en));
      })));
      f.window.replaceChildren.apply(f.window, [option("", h.t("不清楚", "Not known"))].concat(c.windows.map(function (w) {
        return option(String(w.number), h.t(w.number + " 号窗口", "Window " + w.number));
      })));
      f.staff.replaceChildren.apply(f.staff, [option("", h.t("不清楚", "Not known"))].concat(c.staff.map(function (s) {
        return option(String(s.id), s.name + (s.staff_no ? h.t("（工号 " + s.staff_no + "）", " (no. " + s.staff_no + ")") : ""));
      })));
      f.service.value = keep.service; f.window.value = keep.window; f.staff.value = keep.staff;
      if (st.visit) showVisit(st.visit);
    }
    function fillChips() {
      const c = st.choices;
      const channel = (form.querySelector("input[name=rf-channel]:checked") || {}).value || opts.channel || "";
      f.channels.replaceChildren.apply(f.channels, c.channels.map(function (x) {
        const node = chip("radio", "rf-channel", x.code, x.name, x.name_en);
        if (x.code === channel) node.querySelector("input").checked = true;
        return node;
      }));
      const ticked = Array.from(form.querySelectorAll("input[name=rf-reason]:checked")).map(function (i) { return i.value; });
      f.reasons.replaceChildren.apply(f.reasons, c.reasons.map(function (x) {
        const node = chip("checkbox", "rf-reason", x.code, x.name, x.name_en);
        if (ticked.indexOf(x.code) >= 0) node.querySelector("input").checked = true;
        return node;
      }));
    }
    async function loadChoices() {
      st.choices = await h.api("GET", h.hallPath("/ratings/recorded/choices"));
      fillChips();
      fillSelects();
    }

    // ------------------------------------------------------------ the visit
    function showVisit(v) {
      const warn = v.rated ? h.t("这次办事已有评价（一次一评），不能再登记。可不关联办事记录，只填写业务、窗口等。",
        "This visit was already rated (one rating per visit). Record it without the visit instead.")
        : v.own ? h.t("这是您本人办理的业务，请由其他同事登记。", "You served this visit: a colleague must record it.")
          : v.status !== "done" ? h.t("这次办事尚未办结，办结后再登记。", "This visit is not finished yet.") : "";
      const svc = h.t(v.service_name, v.service_name_en);
      f.found.replaceChildren.apply(f.found, [
        el("span", { class: "rf-num" }, v.number),
        el("span", null, svc),
        el("span", null, v.window ? h.t(v.window + " 号窗口", "Window " + v.window) : ""),
        el("span", null, v.staff_name || ""),
        el("span", null, v.finished_at ? h.t("办结 ", "Finished ") + h.fmtDateTime(v.finished_at) : v.day),
        v.id_masked ? el("span", { class: "rf-id" }, v.id_masked) : null,
        el("button", { type: "button", class: "link rf-unlink", onclick: unlink }, h.t("不关联", "Remove")),
        warn ? el("div", { class: "rf-warn" }, warn) : null].filter(Boolean));
      f.found.className = "rf-found" + (warn ? " warn" : "");
      f.service.value = v.service || ""; f.window.value = v.window ? String(v.window) : "";
      f.staff.value = v.staff_id ? String(v.staff_id) : ""; f.day.value = v.day || "";
      [f.service, f.window, f.staff, f.day].forEach(function (x) { x.disabled = true; });
    }
    function unlink() {
      st.visit = null;
      f.visit.value = "";
      f.found.replaceChildren();
      f.found.className = "rf-found hidden";
      [f.service, f.window, f.staff, f.day].forEach(function (x) { x.disabled = false; x.value = ""; });
      f.visit.focus();
    }
    async function lookUp() {
      clearError();
      const code = f.visit.value.trim();
      if (!code) { fail(h.t("请填写号票号码、号票查询码或预约码", "Type the ticket number, the ticket's code or the booking code"), "visit"); return null; }
      const dayWrong = f.day.disabled ? null : dayProblem();
      if (dayWrong) { fail(dayWrong, "day"); return null; }
      try {
        const day = f.day.disabled ? "" : h.parseDay(f.day.value);
        const q = "?code=" + encodeURIComponent(code) + (day ? "&day=" + day : "");
        st.visit = await h.api("GET", h.hallPath("/ratings/recorded/visit" + q));
        st.visit.code = code;
        showVisit(st.visit);
        return st.visit;
      } catch (e) {
        st.visit = null;
        fail(e.message, "visit");
        return null;
      }
    }
    f.find.addEventListener("click", lookUp);
    f.visit.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); lookUp(); }  // a scanner ends with Enter
    });
    f.visit.addEventListener("input", function () {
      if (st.visit && f.visit.value.trim() !== st.visit.code) {
        st.visit = null;
        f.found.className = "rf-found hidden";
        [f.service, f.window, f.staff, f.day].forEach(function (x) { x.disabled = false; });
      }
    });

    // ------------------------------------------------------------ the day
    // What is wrong with the typed day, in the words staff read; null when it is empty or right.
    function dayProblem() {
      const text = f.day.value.trim();
      if (!text) return null;
      const day = h.parseDay(text);
      if (!day) return h.t(h.DAY_WRONG[0], h.DAY_WRONG[1]);
      const c = st.choices || {};
      if (c.today && day > c.today) return h.t("办事日期不能在今天之后", "The day of the visit cannot be after today");
      if (c.oldest_day && day < c.oldest_day) return h.t("办事日期不能早于一年前", "The day of the visit cannot be more than a year ago");
      return null;
    }
    // a day the hall reads is rewritten the one way (2026/11/5 -> 2026-11-05); a wrong one is said
    // at the field when staff leave it, not first at saving. Leaving it for a button of the form
    // (保存登记, 查找): that button says it, and no message appears under the pointer mid-click
    // (it would push the button down and the click would miss it).
    f.day.addEventListener("blur", function (e) {
      const day = h.parseDay(f.day.value);
      if (day) f.day.value = day;
      if (e.relatedTarget && e.relatedTarget.tagName === "BUTTON" && form.contains(e.relatedTarget)) return;
      const wrong = dayProblem();
      if (wrong) fail(wrong, "day", true);
      else if (f.day.closest(".invalid")) clearError();
    });

    // ------------------------------------------------------------ level, contact
    function level() { return (form.querySelector("input[name=rf-level]:checked") || {}).value || ""; }
    function isBad() { const l = level(); return l === "complaint" || l === "1" || l === "2"; }
    form.addEventListener("change", function (e) {
      if (e.target.name === "rf-level") {
        h.show(f.contact, isBad());
        form.classList.toggle("is-complaint", level() === "complaint");
      }
      if (e.target !== f.day) settle(e.target);  // the day is judged on leaving it (above), settled on input
    });
    form.addEventListener("input", function (e) { settle(e.target); });
    // the field an error pointed at was changed: the error has been seen to
    function settle(target) {
      const box = target.closest && target.closest(".invalid");
      if (box) { box.classList.remove("invalid"); h.show(f.error, false); }
    }

    // ------------------------------------------------------------ errors
    function clearError() {
      h.show(f.error, false);
      form.querySelectorAll(".invalid").forEach(function (x) { x.classList.remove("invalid"); });
    }
    function fail(text, name, keepFocus) {
      f.error.replaceChildren.apply(f.error, h.daysWhole(text));  // "2026-11-05" never split
      h.show(f.error, true);
      const box = name && form.querySelector(".rf-" + name);
      // the message right under the field it is about (a lookup's error by the ticket number,
      // not three rows down by the save button); one without a field sits above the buttons
      const anchor = box ? box.closest(".rf-row, .rf-contact") || box : f.buttons;
      if (anchor === f.buttons) anchor.before(f.error); else anchor.after(f.error);
      // under the field it is about, not at the row's left edge (hallq.placeUnder)
      h.placeUnder(f.error, box && box !== anchor ? box : null, anchor);
      if (box) {
        box.classList.add("invalid");
        const input = box.querySelector("input, select, textarea");
        if (input && !input.disabled && !keepFocus) input.focus();
        box.scrollIntoView({ block: "nearest" });
      } else {
        f.error.scrollIntoView({ block: "nearest" });
      }
    }

    // ------------------------------------------------------------ saving
    function body() {
      const b = { channel: (form.querySelector("input[name=rf-channel]:checked") || {}).value };
      const l = level();
      if (l === "complaint") b.kind = "complaint";
      else if (l) b.level = parseInt(l, 10);
      const visit = f.visit.value.trim();
      if (visit) {
        b.visit = visit;
        if (f.day.value.trim()) b.day = h.parseDay(f.day.value) || f.day.value.trim();
      } else {
        if (f.service.value) b.service = f.service.value;
        if (f.window.value) b.window = parseInt(f.window.value, 10);
        if (f.staff.value) b.staff_id = parseInt(f.staff.value, 10);
        if (f.day.value.trim()) b.visit_day = h.parseDay(f.day.value) || f.day.value.trim();
      }
      const reasons = Array.from(form.querySelectorAll("input[name=rf-reason]:checked")).map(function (i) { return i.value; });
      if (reasons.length) b.reasons = reasons;
      if (f.text.value.trim()) b.comment = f.text.value.trim();
      if (isBad() && f.phone.value.trim()) { b.phone = f.phone.value.trim(); b.consent = f.consent.checked; }
      return b;
    }
    function check(b) {  // the server checks again; these say it before the round trip
      if (!b.channel) return [h.t("请选择渠道：12345热线、意见箱、现场或其他", "Choose the channel: 12345 hotline, suggestion box, in person or other"), "channel"];
      const dayWrong = f.day.disabled ? null : dayProblem();
      if (dayWrong) return [dayWrong, "day"];
      if (!b.level && !b.kind) return [h.t("请选择评价等级，或选「投诉」", "Choose a rating, or Complaint"), "level"];
      if (b.kind === "complaint" && !b.comment) return [h.t("请填写投诉内容", "Write down what the complaint is about"), "text"];
      if (!b.visit && !b.service && !b.window && !b.staff_id && !b.comment && !b.reasons)
        return [h.t("请至少填写业务、窗口、工作人员或内容之一", "Name a service, window or staff member, or write what was said"), "service"];
      if (b.phone && !b.consent) return [h.t("留下电话需群众同意用于回访，请勾选", "Tick that the resident agrees to be called back"), "consent"];
      return null;
    }
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      if (st.busy) return;
      clearError();
      const b = body();
      const bad = check(b);
      if (bad) { fail(bad[0], bad[1]); return; }
      st.busy = true;
      f.save.disabled = true;
      // one key per record: pressing save again after a lost answer gets the first record back,
      // never a second record and a second case
      if (!st.key) st.key = "record-" + Date.now() + "-" + Math.random().toString(36).slice(2, 10);
      try {
        const r = await h.api("POST", h.hallPath("/ratings/recorded"), b, { idempotencyKey: st.key });
        st.key = null;
        reset();
        close();
        if (opts.onSaved) opts.onSaved(r);
      } catch (err) {
        if (err.status) st.key = null;  // the server answered: the next save is a new request
        if (err.status === 401 && opts.onExpired && opts.onExpired(err)) return;
        fail(err.message || h.t("保存失败，请重试", "Could not save; try again"), FIELD_OF[err.code]);
      } finally {
        st.busy = false;
        f.save.disabled = false;
      }
    });
    f.cancel.addEventListener("click", function () { reset(); close(); });

    function reset() {
      form.reset();
      st.visit = null;
      f.found.className = "rf-found hidden";
      [f.service, f.window, f.staff, f.day].forEach(function (x) { x.disabled = false; });
      h.show(f.contact, false);
      form.classList.remove("is-complaint");
      clearError();
      defaultChannel();
    }
    function defaultChannel() {  // the page's own channel, unless one is chosen
      if (!opts.channel || form.querySelector("input[name=rf-channel]:checked")) return;
      const c = form.querySelector('input[name=rf-channel][value="' + opts.channel + '"]');
      if (c) c.checked = true;
    }
    async function open() {
      h.show(panel, true);
      h.applyLang(panel);
      if (!st.choices) {
        // what the clerk types while the choices load stays, and so does their cursor
        try { await loadChoices(); defaultChannel(); } catch (e) { fail(e.message); return; }
      }
      if (!panel.contains(document.activeElement)) {
        (form.querySelector("input[name=rf-channel]:checked") ? f.visit : form.querySelector("input[name=rf-channel]") || f.visit).focus();
      }
      panel.scrollIntoView({ block: "start" });
      document.body.dataset.recordForm = "open";
    }
    function close() {
      h.show(panel, false);
      document.body.dataset.recordForm = "closed";
      if (opts.onClose) opts.onClose();
    }
    function relabel() {  // the language changed
      h.applyLang(panel);
      if (st.choices) { fillChips(); fillSelects(); }
    }
    return { open: open, close: close, relabel: relabel, isOpen: function () { return !panel.classList.contains("hidden"); } };
  }

  window.hallqRecordForm = { mount: mount };
}());
