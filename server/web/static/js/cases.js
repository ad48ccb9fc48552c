// The manager's follow-up page (/manager/cases): bad-review cases (verify 核实 -> rectify 整改 ->
// call back 回访, or void on appeal 申诉) and promised cases (承诺件) until delivered.
(function () {
  "use strict";
  const h = window.hallq;
  const CB = window.hallqCallback;  // 回访 phone and call record (cases-callback.js, loaded first)
  const $ = hallq.$;
  const FILTERS = {
    review: [["open", "未办结", "Open"], ["overdue", "已超期", "Overdue"], ["closed", "已办结", "Closed"]],
    promised: [["open", "未送达", "Open"], ["overdue", "已超期", "Overdue"], ["delivered", "已送达", "Delivered"]],
  };
  const STEPS = [["verify", "核实", "Verify"], ["rectify", "整改", "Rectify"], ["callback", "回访", "Call back"]];
  // how a rating or complaint reached the hall: its 渠道 (channel), never called 来源, which the
  // 堵点 analysis uses for what the record is (评价 or 投诉)
  const CHANNELS = { evaluator: ["窗口评价器", "Window evaluator"], keypad: ["窗口评价器", "Window evaluator"],
    kiosk: ["自助终端", "Kiosk"], ticket: ["手机", "Phone"], hotline: ["12345热线", "12345 hotline"],
    box: ["意见箱", "Suggestion box"], onsite: ["现场", "In person"], other: ["其他", "Other"] };
  const st = { me: null, tab: "review", filter: { review: "open", promised: "open" }, items: [], sub: null,
    drafts: {}, steps: {}, form: null, fresh: null };

  function tr(a) { return a ? h.t(a[0], a[1]) : ""; }
  function message(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = "message " + (kind === "ok" ? "ok-box" : "error-box");
    setTimeout(function () { box.classList.add("hidden"); }, 8000);
  }
  const fmtAt = h.fmtDateTime;  // hall-local, 2026-11-30 15:49
  function dueText(item) {
    if (item.working_days_left === null || item.working_days_left === undefined) return "";
    if (item.overdue) return h.t("超期 " + (-item.working_days_left) + " 个工作日", (-item.working_days_left) + " working days overdue");
    if (item.working_days_left === 0) return h.t("今日到期", "Due today");
    return h.t("剩余 " + item.working_days_left + " 个工作日", item.working_days_left + " working days left");
  }

  // ------------------------------------------------------------ sign in
  const session = h.session({ loginView: "login-view", mainView: "cases-view", logoutButton: "logout",
    roles: ["manager", "admin", "staff"], onSignedIn: signedIn, onError: function (m) { message(m); } });

  async function signedIn(me) {
    st.me = me;
    $("who").textContent = me.name;
    document.body.dataset.role = me.role;
    try { h.useHall(await h.api("GET", h.hallPath(""))); } catch (e) { /* times fall back to the default zone */ }
    renderTabs();
    load();
    if (window.hallqPainPoints) window.hallqPainPoints.load();  // this month's 堵点 (cases-painpoints.js)
    if (!st.sub) st.sub = h.subscribe({ staff: true, onEvent: onEvent, onReconnect: load, onStatus: function (up) {
      $("conn-dot").className = "conn-dot " + (up ? "on" : "off");
    } });
  }
  function isManager() { return st.me && (st.me.role === "manager" || st.me.role === "admin"); }

  // ------------------------------------------------------------ lists
  // One load at a time; one asked for meanwhile runs once more after it (never lost, never stuck).
  const load = h.singleFlight(async function () {
    const tab = st.tab, filter = st.filter[tab];
    const path = tab === "review" ? "/review-cases?status=" : "/promised?status=";
    try {
      const res = await Promise.all([h.api("GET", h.hallPath(path + filter)),
        h.api("GET", h.hallPath("/cases/summary"))]);
      if (tab !== st.tab || filter !== st.filter[tab]) { load(); return; }  // the tab changed: load again
      st.items = res[0];
      renderCounts(res[1]);
      render();
      document.body.dataset.loaded = String(Date.now());
    } catch (e) {
      if (!session.expired(e) && e.status) message(e.message);
    }
  });

  // what the manager typed and chose on a case's card (kept through redraws) goes once used
  function forgetChoices(id) {
    delete st.drafts[id]; delete st.steps[id];
    if (CB) CB.forget(id);
  }

  function onEvent(ev) {
    if (ev.type === "review.contact_shown") return;  // a look at a phone changes no case
    if (/^review\.|^promised\./.test(ev.type) || (ev.type === "ticket.rated" && ev.bad) ||
        (ev.type === "ticket.finished" && ["promised", "escalated", "proxy"].indexOf(ev.outcome) >= 0)) load();
  }

  function renderCounts(s) {
    $("count-review").textContent = s.review_cases.open + (s.review_cases.overdue ? " / " + h.t("超期 ", "late ") + s.review_cases.overdue : "");
    $("count-promised").textContent = s.promised.open + (s.promised.overdue ? " / " + h.t("超期 ", "late ") + s.promised.overdue : "");
    $("count-review").classList.toggle("late", s.review_cases.overdue > 0);
    $("count-promised").classList.toggle("late", s.promised.overdue > 0);
  }

  function renderTabs() {
    document.querySelectorAll(".tab").forEach(function (b) {
      b.setAttribute("aria-selected", b.dataset.tab === st.tab ? "true" : "false");
    });
    const f = $("filters");
    h.keepPlace(f, function () {  // a filter chosen with the keyboard keeps the focus
      f.textContent = "";
      FILTERS[st.tab].forEach(function (x) {
        f.append(h.el("button", { type: "button", class: "filter" + (st.filter[st.tab] === x[0] ? " on" : ""),
          dataset: { status: x[0] }, onclick: function () { st.filter[st.tab] = x[0]; renderTabs(); load(); } },
          h.t(x[1], x[2])));
      });
    });
  }

  function render() {
    const list = $("list");
    // live events redraw the list: the step text being typed keeps the focus and the caret
    // (hallq.keepPlace), so the next keys still go into it
    h.keepPlace(list, function () {
      list.textContent = "";
      list.className = "list tab-" + st.tab;  // review cards side by side on a wide screen
      if (!st.items.length) {
        list.append(h.el("p", { class: "empty muted" }, h.t("没有记录", "Nothing here")));
        return;
      }
      st.items.forEach(function (it) { list.append(st.tab === "review" ? reviewCard(it) : promisedRow(it)); });
    });
  }

  function reviewCard(c) {
    const tk = c.ticket || {};
    const r = c.rating || {};
    const recorded = !!r.recorded_by;  // written down by staff (12345, 意见箱, 现场)
    const svc = c.ticket ? h.t(tk.service_name, tk.service_name_en) : (r.service_name ? h.t(r.service_name, r.service_name_en) : "—");
    const status = c.status === "voided" ? h.t("已作废（申诉）", "Voided (appeal)") :
      c.status === "closed" ? h.t("已办结", "Closed") : (c.overdue ? h.t("已超期", "Overdue") : h.t("未办结", "Open"));
    const card = h.el("article", { class: "case" + (c.overdue ? " overdue" : "") + " " + c.status + (st.fresh === c.id ? " fresh" : ""), dataset: { caseId: c.id } },
      h.el("header", { class: "case-head" },
        h.el("span", { class: "case-no" }, h.t("差评件 #", "Case #") + c.id),
        c.ticket ? h.el("span", { class: "tnum" }, tk.number) : h.el("span", { class: "no-visit" }, h.t("无办事记录", "No visit named")),
        h.el("span", { class: "level l" + (r.level || "c") }, h.t(r.label, r.label_en)),
        h.el("span", { class: "status-tag " + c.status + (c.overdue ? " late" : "") }, status)),
      h.el("div", { class: "case-meta" },
        h.el("span", null, h.t("业务：", "Service: ") + svc),
        h.el("span", null, h.t("窗口：", "Window: ") + (tk.window || r.window || "—")),
        h.el("span", null, h.t("工作人员：", "Staff: ") + (tk.staff_name || r.staff_name || "—")),
        (!c.ticket && r.visit_day) ? h.el("span", null, h.t("办事日期：", "Visit day: ") + r.visit_day) : null,
        r.channel ? h.el("span", { class: "channel" }, h.t("渠道：", "Channel: ") + tr(CHANNELS[r.channel] || [r.channel, r.channel])) : null,
        h.el("span", null, (recorded ? h.t("登记时间：", "Recorded: ") : h.t("评价时间：", "Rated: ")) + fmtAt(r.created_at) +
          (recorded && r.recorded_by_name ? " · " + r.recorded_by_name : "")),
        h.el("span", { class: "due" }, h.t("整改期限：", "Due: ") + c.due_date + (c.status === "open" ? h.t("（", " (") + dueText(c) + h.t("）", ")") : ""))),
      (r.reasons && r.reasons.length) ? h.el("div", { class: "reasons" }, h.t("原因：", "Reasons: "),
        r.reasons.map(function (x) { return h.el("span", { class: "reason" }, h.label("reason", x)); })) : null,
      r.comment ? h.el("div", { class: "comment" }, r.comment) : null,
      CB ? CB.contactLine(c, isManager()) : null,  // 回访 phone (cases-callback.js)
      h.el("ol", { class: "steps" }, STEPS.map(function (s) {
        const done = c.steps_done.indexOf(s[0]) >= 0;
        return h.el("li", { class: done ? "done" : (c.next_step === s[0] ? "next" : "") },
          (done ? "✓ " : "") + h.t(s[1], s[2]));
      })),
      h.el("ul", { class: "history" }, c.history.map(function (x) {
        return h.el("li", { class: "hstep " + x.step },
          h.el("span", { class: "hlabel" }, h.t(x.label, x.label_en)),
          h.el("span", { class: "htext" }, x.text),
          h.el("span", { class: "hwho muted" }, (x.user_name || "") + " · " + fmtAt(x.at)));
      }).concat(CB ? CB.history(c) : [])));
    if (c.status === "open" && isManager()) card.append(stepForm(c));
    return card;
  }

  function stepForm(c) {
    const select = h.el("select", { class: "step-select", "aria-label": h.t("步骤", "Step") },
      STEPS.map(function (s) {
        const i = STEPS.indexOf(s), ok = STEPS.slice(0, i).every(function (p) { return c.steps_done.indexOf(p[0]) >= 0; });
        return h.el("option", { value: s[0], disabled: !ok, selected: c.next_step === s[0] }, h.t(s[1], s[2]));
      }));
    // a step already done chosen for a further note stays chosen through redraws (else the note
    // would be recorded under the next step)
    const chosen = st.steps[c.id] && select.querySelector('option[value="' + st.steps[c.id] + '"]:not([disabled])');
    if (chosen) select.value = st.steps[c.id];
    select.addEventListener("change", function () { st.steps[c.id] = select.value; });
    const text = h.el("textarea", { class: "step-text", rows: "2", maxlength: "2000",
      placeholder: h.t("填写核实情况、整改措施或回访结果", "What was found, what was fixed, what the resident said") });
    // live updates re-render the list: what the manager is typing survives them
    text.value = st.drafts[c.id] || "";
    text.addEventListener("input", function () { st.drafts[c.id] = text.value; });
    const add = h.el("button", { type: "button", class: "primary add-step" }, h.t("记录", "Record"));
    const cb = CB ? CB.fields(select, c.id) : null;  // the callback step's channel, result, satisfaction
    const voidBtn = h.el("button", { type: "button", class: "secondary void" }, h.t("申诉作废", "Void on appeal"));
    add.addEventListener("click", async function () {
      if (!text.value.trim()) { message(h.t("请填写说明", "Write what was done")); text.focus(); return; }
      add.disabled = true;
      try {
        const r = await h.api("POST", h.hallPath("/review-cases/" + c.id + "/steps"), { step: select.value, text: text.value.trim(), callback: cb ? cb.value() : undefined });
        forgetChoices(c.id);
        message(r.status === "closed" ? h.t("差评件 #" + c.id + " 已办结", "Case #" + c.id + " closed")
          : h.t("已记录", "Recorded"), "ok");
        await load();
      } catch (e) { message(e.message); add.disabled = false; }
    });
    voidBtn.addEventListener("click", async function () {
      const reason = text.value.trim();
      if (!reason) { message(h.t("请在说明框填写申诉理由", "Write the reason for the appeal in the text box")); text.focus(); return; }
      if (!confirm(h.t("确认作废该差评？理由将记入档案。", "Void this review? The reason is kept on record."))) return;
      try {
        await h.api("POST", h.hallPath("/review-cases/" + c.id + "/void"), { reason: reason });
        forgetChoices(c.id);
        message(h.t("已作废", "Voided"), "ok");
        await load();
      } catch (e) { message(e.message); }
    });
    return h.el("div", { class: "step-form" }, select, text, h.el("div", { class: "step-buttons" }, add, voidBtn),
      cb ? cb.node : null);
  }

  async function recorded(r) {
    const caseId = r.review_case ? r.review_case.id : null;
    if (window.hallqPainPoints) window.hallqPainPoints.load();  // its tags count in the month's 堵点
    message(caseId ? h.t("已登记，已开启差评件 #" + caseId, "Recorded: case #" + caseId + " opened")
      : h.t("已登记（好评、基本满意不进入整改）", "Recorded (a good rating opens no case)"), "ok");
    if (!caseId) return;
    st.fresh = caseId;
    st.tab = "review";
    st.filter.review = "open";
    renderTabs();
    await load();
    const card = document.querySelector('article[data-case-id="' + caseId + '"]');
    if (card) card.scrollIntoView({ block: "center" });
  }

  function promisedRow(p) {
    const row = h.el("article", { class: "promised" + (p.overdue ? " overdue" : "") + " " + p.status, dataset: { ticketId: p.id } },
      h.el("span", { class: "tnum" }, p.number),
      h.el("div", { class: "pmain" },
        h.el("div", null, h.el("span", { class: "kind" }, h.label("outcome", p.outcome)), " ",
          h.t(p.service_name, p.service_name_en) + " · " + h.t(p.window + " 号窗口", "window " + p.window) +
          " · " + (p.staff_name || "")),
        h.el("div", { class: "muted" }, h.t("受理：", "Accepted: ") + fmtAt(p.finished_at) + (p.id_masked ? " · " + p.id_masked : ""))),
      h.el("div", { class: "pdue" },
        h.el("div", { class: "due-date" }, h.t("办结期限：", "Due: ") + p.due_date),
        h.el("div", { class: "due-left" + (p.overdue ? " late" : "") },
          p.status === "delivered" ? h.t("已送达 ", "Delivered ") + fmtAt(p.delivered_at) + " · " + (p.delivered_by_name || "") : dueText(p))));
    if (p.status === "open") {
      const btn = h.el("button", { type: "button", class: "primary deliver" }, h.t("标记已送达", "Mark delivered"));
      btn.addEventListener("click", async function () {
        btn.disabled = true;
        try {
          await h.api("POST", h.hallPath("/promised/" + p.id + "/deliver"), {});
          message(h.t(p.number + " 已送达", p.number + " delivered"), "ok");
          await load();
        } catch (e) { message(e.message); btn.disabled = false; }
      });
      row.append(btn);
    }
    return row;
  }

  // ------------------------------------------------------------ wiring
  document.addEventListener("DOMContentLoaded", function () {
    h.langButton("lang", function () {
      renderTabs();
      render();
      if (st.form) st.form.relabel();
    });
    // 登记投诉/评价 (record-form.js): any signed-in member of staff records what came by 12345,
    // the suggestion box or in person; a bad one opens a case, which this page then shows
    st.form = window.hallqRecordForm.mount($("record-box"), { onSaved: recorded,
      onExpired: function (e) { return session.expired(e); },
      onClose: function () { h.show("record-open", true); } });
    $("record-open").addEventListener("click", function () { h.show("record-open", false); st.form.open(); });
    document.querySelectorAll(".tab").forEach(function (b) {
      b.addEventListener("click", function () { st.tab = b.dataset.tab; st.items = []; renderTabs(); render(); load(); });
    });
    h.applyLang(document);
    session.start();
  });
})();
