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
    $("calendar-national").replaceChildren.apply($("calendar-national"), groups.map(function (g) {
      return el("li", { dataset: { holiday: g.name } }, el("strong", {}, t(g.name_zh || g.name, g.name)), " ",
        g.holidays.length ? span(g.holidays) + t(" 放假", " off") : "",
        g.workdays.length ? t(" · 调休上班 ", " · make-up workdays ") + g.workdays.join(t("、", ", ")) : "");
    }));
  }

  async function load(isAdmin, failed) {
    state.admin = isAdmin;
    try {
      state.data = await H.api("GET", H.hallPath("/calendar"));
      render();
    } catch (e) { if (failed) failed(e); }
  }

  function formError(msg) {
    const box = $("calendar-form-error");
    box.textContent = msg || "";
    box.classList.toggle("hidden", !msg);
  }

  async function save(ev) {
    ev.preventDefault();
    formError("");
    const first = $("c-from").value, last = $("c-to").value;
    if (!first) { formError(t("请选择第一天", "Choose the first day")); return; }
    if (last && last < first) { formError(t("最后一天不能早于第一天", "The last day cannot be before the first")); return; }
    const days = last && last !== first ? first + ".." + last : first;
    const body = { days: days, kind: $("c-kind").value, name: $("c-name").value.trim() || null };
    try {
      state.data = await H.api("POST", H.hallPath("/calendar"), body);
      $("c-from").value = ""; $("c-to").value = "";
      render();
    } catch (e) { formError(e.message); }
  }

  async function remove(day) {
    try {
      state.data = await H.api("DELETE", H.hallPath("/calendar/" + encodeURIComponent(day)));
      render();
    } catch (e) { formError(e.message); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("calendar-form").addEventListener("submit", save);
    $("lang").addEventListener("click", render);
  });
  window.hallqAdminCalendar = { load: load };
}());
