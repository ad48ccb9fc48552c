// /manager/assist: 帮办代办 requests for agents (帮办员), desk staff and managers. Take a request,
// assign it, move it 受理 -> 办理中 -> 办结 -> 送达, see the phone only when calling (audited).
(function () {
  "use strict";
  const H = window.hallq;
  const $ = H.$;
  const el = H.el;
  const t = H.t;
  const FILTERS = [["open", "未办结", "Open"], ["overdue", "已超期", "Overdue"], ["mine", "我的", "Mine"],
    ["closed", "已送达/撤销", "Closed"], ["all", "全部", "All"]];
  const STATUS = { in_progress: ["开始办理", "Start"], done: ["办结", "Done"], delivered: ["已送达", "Delivered"],
    cancelled: ["撤销", "Cancel"] };
  const DELIVERY = { pickup: ["窗口领取", "Collect at the hall"], home: ["上门送达", "Home visit"], post: ["邮寄", "By post"] };
  const SOURCE = { desk: ["导办台", "Front desk"], kiosk: ["取号机", "Kiosk"], phone: ["手机", "Phone"], hotline: ["电话", "Telephone"] };
  const state = { filter: "open", rows: [], services: [], agents: [], phones: {} };
  const lbl = function (map, k) { const v = map[k]; return v ? t(v[0], v[1]) : k; };

  function message(msg) {
    $("message").textContent = msg || "";
    $("message").className = "message error-box" + (msg ? "" : " hidden");
  }
  function failed(e) { if (!session.expired(e)) message(e.message); }

  const refresh = H.singleFlight(async function () {
    try {
      state.rows = await H.api("GET", H.hallPath("/assist?status=" + state.filter));
      render();
    } catch (e) { failed(e); }
  });

  async function act(path, body) {
    message("");
    try { await H.api("POST", H.hallPath(path), body); } catch (e) { failed(e); }
    refresh();
  }

  function card(r) {
    const status = el("div", { class: "as-status" + (r.overdue ? " overdue" : "") },
      t(r.status_label, r.status_label_en) + (r.overdue ? " · " + t("已超期", "overdue") : ""));
    const due = r.working_days_left !== null && r.working_days_left !== undefined
      ? t("剩 " + r.working_days_left + " 个工作日", r.working_days_left + " working days left") : "";
    const actions = el("div", { class: "as-actions" });
    // What this person may do (the server refuses the rest with a 403): a manager everything; desk
    // staff assign; an agent takes an unassigned request (assigns it to themselves) and works only
    // their own; work (status, phone) is for the assigned one.
    const me = session.me || {};
    const manager = me.role === "manager" || me.role === "admin";
    const own = r.agent_id !== null && r.agent_id !== undefined && r.agent_id === me.id;
    const open = r.status === "accepted" || r.status === "in_progress";
    const mayWork = manager || own;
    if (open && me.role === "agent" && !r.agent_id) {
      actions.append(el("button", { type: "button", class: "primary", dataset: { action: "take" },
        onclick: function () {
          const self = state.agents.find(function (a) { return a.id === me.id; });
          if (self) act("/assist/" + r.id + "/assign", { agent: self.username });
        } }, t("认领", "Take it")));
    }
    if (open && me.role !== "agent") {
      const pick = el("select", { "aria-label": t("指派帮办员", "Assign an agent") },
        el("option", { value: "" }, t("指派给…", "Assign to…")));
      state.agents.forEach(function (a) { pick.append(el("option", { value: a.username }, a.name)); });
      pick.addEventListener("change", function () { if (pick.value) act("/assist/" + r.id + "/assign", { agent: pick.value }); });
      actions.append(pick);
    }
    (mayWork ? r.next : []).forEach(function (s) {
      actions.append(el("button", { type: "button", class: s === "cancelled" ? "danger" : "primary",
        dataset: { action: s }, onclick: function () {
          let note = null;
          if (s === "cancelled") {
            note = window.prompt(t("撤销原因", "Reason for cancelling"));
            if (!note) return;
          }
          act("/assist/" + r.id + "/status", { status: s, note: note });
        } }, lbl(STATUS, s)));
    });
    if (mayWork && r.next.length) {
      const phone = state.phones[r.id];
      actions.append(phone ? el("span", { class: "as-phone" }, phone)
        : el("button", { type: "button", class: "ghost", dataset: { action: "contact" }, onclick: async function () {
          try {
            const c = await H.api("POST", H.hallPath("/assist/" + r.id + "/contact"));
            state.phones[r.id] = c.phone;
            render();
          } catch (e) { failed(e); }
        } }, t("查看电话 " + r.phone_masked, "Show phone " + r.phone_masked)));
    }
    return el("article", { class: "as-card" + (r.overdue ? " overdue" : ""), dataset: { id: String(r.id) } },
      el("div", {},
        el("h3", {}, "#" + r.id + " " + r.matter),
        el("div", { class: "as-meta" }, t(r.service_name, r.service_name_en) + " · " + r.name_masked + " · " +
          lbl(DELIVERY, r.delivery) + (r.village ? " · " + r.village : "") + " · " +
          t("渠道：", "Channel: ") + lbl(SOURCE, r.source)),
        el("div", { class: "as-meta" }, t("受理 ", "Taken ") + H.fmtDateTime(r.created_at) + " · " +
          t("办结期限 ", "Due ") + r.due_date + (due ? " · " + due : "") +
          (r.agent ? " · " + t("帮办员 ", "Agent ") + r.agent : " · " + t("未指派", "not assigned"))),
        r.note ? el("div", { class: "as-meta as-note" }, t("备注：", "Note: ") + r.note) : null,
        r.cancel_reason ? el("div", { class: "as-meta" }, t("撤销原因：", "Cancelled: ") + r.cancel_reason) : null),
      status, actions);
  }

  function render() {
    H.applyLang(document);
    const nav = $("filters");
    nav.replaceChildren.apply(nav, FILTERS.map(function (f) {
      return el("button", { type: "button", role: "tab", class: "tab", "aria-selected": state.filter === f[0] ? "true" : "false",
        dataset: { filter: f[0] }, onclick: function () { state.filter = f[0]; refresh(); } }, t(f[1], f[2]));
    }));
    const list = $("list");
    list.replaceChildren.apply(list, state.rows.length ? state.rows.map(card)
      : [el("p", { class: "muted" }, t("没有帮办申请", "No requests"))]);
    const svc = $("n-service");
    if (!svc.options.length || svc.dataset.lang !== H.lang()) {
      svc.replaceChildren.apply(svc, state.services.map(function (s) { return el("option", { value: s.code }, H.name(s)); }));
      const d = $("n-delivery");
      d.replaceChildren.apply(d, Object.keys(DELIVERY).map(function (k) { return el("option", { value: k }, lbl(DELIVERY, k)); }));
      svc.dataset.lang = H.lang();
    }
    if (session.me) $("who").textContent = session.me.name + " · " + H.label("role", session.me.role);
    document.body.dataset.loaded = "1";
  }

  async function take(ev) {
    ev.preventDefault();
    const box = $("new-error");
    H.show(box, false);
    const body = { service: $("n-service").value, matter: $("n-matter").value.trim(), name: $("n-name").value.trim(),
      phone: $("n-phone").value.replace(/[\s-]/g, ""), delivery: $("n-delivery").value,
      village: $("n-village").value.trim() || null, source: $("n-source").value,
      note: $("n-note").value.trim() || null };
    try {
      await H.api("POST", H.hallPath("/assist"), body);
      ["n-matter", "n-name", "n-phone", "n-village", "n-note"].forEach(function (id) { $(id).value = ""; });
      refresh();
    } catch (e) {
      if (!session.expired(e)) { box.textContent = e.message; H.show(box, true); }
    }
  }

  const session = H.session({ loginView: "login-view", mainView: "assist-view", logoutButton: "logout",
    roles: ["staff", "agent", "manager", "admin"], onSignedIn: async function () {
      try {
        await H.loadHall();
        const r = await Promise.all([H.api("GET", H.hallPath("/services")), H.api("GET", H.hallPath("/assist/agents"))]);
        state.services = r[0];
        state.agents = r[1];
      } catch (e) { failed(e); }
      await refresh();
    } });

  document.addEventListener("DOMContentLoaded", function () {
    H.langButton("lang", render);
    $("new-form").addEventListener("submit", take);
    session.start();
  });
}());
