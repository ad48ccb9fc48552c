// The admin page's working-day calendar tab: the hall's own holidays and make-up workdays
// (放假/调休) for years the holiday package does not know. Admins enter them; managers read.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const $ = function (id) { return document.getElementById(id); };
  const KIND = { holiday: ["放假", "Holiday"], workday: ["调休上班", "Make-up workday"] };
  const SOURCE = { admin: ["管理页录入", "Entered here"], config: ["大厅配置文件", "Hall config file"] };
  const state = { data: null, admin: false };

  function label(map, key) { const v = map[key]; return v ? t(v[0], v[1]) : key; }

  function render() {
    const d = state.data;
    if (!d) return;
    const warn = $("calendar-warning");
    warn.textContent = d.warning ? t(d.warning.message, d.warning.message_en) : "";
    warn.classList.add("link-like");
    warn.title = t("打开工作日历", "Open the calendar");
    warn.classList.toggle("hidden", !d.warning);
    $("count-calendar").classList.toggle("hidden", !d.warning);
    $("calendar-years").replaceChildren.apply($("calendar-years"), d.years.map(function (y) {
      const how = y.package ? t("国家放假安排已内置", "national holidays built in")
        : y.overrides ? t("已录入本大厅的放假安排", "entered by this hall")
          : t("未录入：暂按周一至周五计算", "not entered: counting Monday to Friday");
      return el("li", { class: y.known ? "ok" : "warn" }, el("strong", {}, String(y.year)), " ", how);
    }));
    const rows = d.days.map(function (day) {
      const actions = el("td", { class: "admin-only" });
      if (state.admin && day.source === "admin") {
        actions.append(el("button", { type: "button", class: "danger", dataset: { day: day.date },
          onclick: function () { remove(day.date); } }, t("删除", "Remove")));
      }
      return el("tr", { dataset: { date: day.date } }, el("td", { class: "nowrap" }, day.date),
        el("td", {}, label(KIND, day.kind)), el("td", {}, day.name || "—"),
        el("td", {}, label(SOURCE, day.source)), actions);
    });
    renderNational(d.national || []);
    const body = document.querySelector("#calendar-table tbody");
    body.replaceChildren.apply(body, rows.length ? rows
      : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("没有录入的日期", "No days entered")))]);
  }

  // This year's national holidays, built in from the chinese-calendar package (nothing to enter).
  function renderNational(groups) {
    const year = groups.length ? (groups[0].holidays[0] || groups[0].workdays[0]).slice(0, 4) : "";
    $("national-title").textContent = groups.length
      ? t(year + " 年国家放假安排（已内置）", "National holidays " + year + " (built in)") : "";
    const span = function (list) {
      return list.length > 1 ? list[0] + t(" 至 ", " to ") + list[list.length - 1] : list[0];
    };
    // a narrow screen wraps between the parts, never inside 调休上班 or a day
    const whole = function (text) { return el("span", { class: "nowrap" }, text); };
    $("calendar-national").replaceChildren.apply($("calendar-national"), groups.map(function (g) {
      const workdays = [];
      g.workdays.forEach(function (day, i) {
        workdays.push(i ? t("、", ", ") : " · ", whole(i ? day : t("调休上班 ", "make-up workdays ") + day));
      });
      return el("li", { dataset: { holiday: g.name } }, el("strong", {}, t(g.name_zh || g.name, g.name)), " ",
        g.holidays.length ? whole(span(g.holidays) + t(" 放假", " off")) : "", workdays);
    }));
  }

  async function load(isAdmin, failed) {
    state.admin = isAdmin;
    try {
      state.data = await H.api("GET", H.hallPath("/calendar"));
      render();
    } catch (e) { if (failed) failed(e); }
  }

  // ------------------------------------------------------------ the days
  // Typed as 2026-11-05 in either language (a type=date picker shows the browser's own format,
  // 11/05/2026 in an English browser); hallq.parseDay also reads 2026/11/5, 2026年11月5日 and
  // full-width digits, and refuses month-first dates.
  // which field a refusal from the server is about (a range of more than 60 days: the last day)
  const FIELD_OF = { invalid_date: "c-to", name_required: "c-name" };
  const shown = { text: null, id: null };  // the message on show, said again on a language switch

  function clearError() {
    shown.text = null;
    const box = $("calendar-form-error");
    box.textContent = "";
    box.classList.add("hidden");
    document.querySelectorAll("#calendar-form .invalid").forEach(function (x) { x.classList.remove("invalid"); });
    document.querySelectorAll("#calendar-form [aria-describedby]").forEach(function (x) {
      x.removeAttribute("aria-describedby");
    });
  }
  // The message right under the field it is about (`id`), inside that field's cell of the grid, so
  // it stays with its field however the fields wrap; the field marked; text: () => words in the
  // page's language. Without a field it sits above the buttons across the form.
  function fail(text, id, keepFocus) {
    clearError();
    shown.text = text; shown.id = id;
    const box = $("calendar-form-error"), input = id ? $(id) : null;
    const cell = input ? input.closest(".field") : null;
    box.replaceChildren.apply(box, H.daysWhole(text()));
    box.classList.remove("hidden");
    if (cell) {
      cell.append(box);
      input.closest("label").classList.add("invalid");
      input.setAttribute("aria-describedby", box.id);
    } else {
      $("calendar-form").querySelector(".buttons").before(box);
    }
    if (input && !keepFocus) input.focus();
  }
  function sayAgain() { if (shown.text) fail(shown.text, shown.id, true); }
  function dayWrong(id) {
    const text = $(id).value.trim();
    return text && !H.parseDay(text) ? function () { return t(H.DAY_WRONG[0], H.DAY_WRONG[1]); } : null;
  }
  // a day the hall reads is rewritten the one way (2026/11/5 -> 2026-11-05); a wrong one is said
  // under its field when left. Left for this form's button: the button says it on saving, and no
  // message appears under the pointer mid-click (it would push the button away).
  function leftDay(e) {
    const input = e.target, day = H.parseDay(input.value);
    if (day) input.value = day;
    if (e.relatedTarget && e.relatedTarget.tagName === "BUTTON" && $("calendar-form").contains(e.relatedTarget)) return;
    const wrong = dayWrong(input.id);
    if (wrong) fail(wrong, input.id, true);
    else if (input.closest(".invalid")) clearError();
  }
  // the field a message pointed at was changed: the message has been seen to
  function settle(e) { if (e.target.closest && e.target.closest(".invalid")) clearError(); }

  async function save(ev) {
    ev.preventDefault();
    clearError();
    if (!$("c-from").value.trim()) { fail(function () { return t("请填写第一天", "Type the first day"); }, "c-from"); return; }
    const wrong = dayWrong("c-from") ? "c-from" : dayWrong("c-to") ? "c-to" : null;
    if (wrong) { fail(dayWrong(wrong), wrong); return; }
    const first = H.parseDay($("c-from").value), last = H.parseDay($("c-to").value);
    $("c-from").value = first;
    if (last) $("c-to").value = last;
    if (last && last < first) {
      fail(function () { return t("最后一天不能早于第一天", "The last day cannot be before the first"); }, "c-to");
      return;
    }
    const days = last && last !== first ? first + ".." + last : first;
    const body = { days: days, kind: $("c-kind").value, name: $("c-name").value.trim() || null };
    try {
      state.data = await H.api("POST", H.hallPath("/calendar"), body);
      $("c-from").value = ""; $("c-to").value = "";
      render();
    } catch (e) {
      const id = FIELD_OF[e.code] === "c-to" && !last ? "c-from" : FIELD_OF[e.code];
      fail(function () { return e.text ? e.text() : e.message; }, id || null);
    }
  }

  async function remove(day) {
    try {
      state.data = await H.api("DELETE", H.hallPath("/calendar/" + encodeURIComponent(day)));
      render();
    } catch (e) { fail(function () { return e.text ? e.text() : e.message; }, null); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("calendar-form").addEventListener("submit", save);
    $("calendar-form").addEventListener("input", settle);
    $("c-from").addEventListener("blur", leftDay);
    $("c-to").addEventListener("blur", leftDay);
    $("lang").addEventListener("click", function () { render(); sayAgain(); });
  });
  window.hallqAdminCalendar = { load: load };
}());
