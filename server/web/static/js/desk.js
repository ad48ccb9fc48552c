// 导办台 (/desk): staff at the hall's entrance issue a ticket for any service, with a priority
// group (from the hall config) and a note for the window, and hand it out: shown on screen,
// printed at this desk (the browser's printer), or printed at a chosen kiosk (a print job the
// kiosk fetches; the page follows it until printed or failed). The queues are live beside it.
(function () {
  "use strict";
  const h = window.hallq;
  const $ = h.$;
  const el = h.el;
  const st = { hall: null, services: [], windows: [], service: null, priority: null, last: null, sub: null,
    jobTimer: null, key: null };

  const session = h.session({ loginView: "login-view", mainView: "desk-view", logoutButton: "logout",
    onSignedIn: signedIn, onSignedOut: function () { $("who").textContent = ""; } });

  async function signedIn(me) {
    $("who").textContent = me.name;
    h.show("record-open", true);
    try {
      st.hall = h.useHall(await h.api("GET", h.hallPath("")));
      $("hall-name").textContent = h.name(st.hall);
      const kiosks = await h.api("GET", h.hallPath("/desk/printers"));
      $("kiosk").replaceChildren.apply($("kiosk"), kiosks.map(function (k) { return el("option", { value: k.id }, k.name); }));
      $("kiosk").disabled = !kiosks.length;
      document.querySelector('input[value="kiosk"]').disabled = !kiosks.length;
    } catch (e) { if (!session.expired(e)) error(e.message); }
    renderPriorities();
    load();
    if (!st.sub) st.sub = h.subscribe({ staff: true, onEvent: function (ev) { if (ev.waiting || ev.type.indexOf("window.") === 0) load(); },
      onReconnect: load, onStatus: function (up) { $("conn-dot").className = "conn-dot " + (up ? "on" : "off"); } });
  }

  function error(msg) { $("error").textContent = msg || ""; h.show("error", !!msg); }

  const load = h.singleFlight(async function () {
    try {
      const res = await Promise.all([h.api("GET", h.hallPath("/services")), h.api("GET", h.hallPath("/windows"))]);
      st.services = res[0]; st.windows = res[1];
      renderServices(); renderQueues();
      document.body.dataset.loaded = String(Date.now());
    } catch (e) { if (!session.expired(e) && e.status) error(e.message); }
  });

  function estimate(s) {
    if (!s.waiting) return h.t("无需等候", "no wait");
    return h.fmtMinutes(s.estimated_wait_s);
  }

  function renderServices() {
    const box = $("services");
    // redrawn by every live event (the counts) and by a choice: a service button reached with
    // the keyboard keeps the focus (hallq.keepPlace)
    h.keepPlace(box, function () { box.replaceChildren.apply(box, st.services.map(function (s) {
      return el("button", { type: "button", class: "svc", role: "radio", dataset: { code: s.code },
        "aria-checked": st.service === s.code ? "true" : "false",
        onclick: function () { st.service = s.code; error(""); renderServices(); } },
        el("span", { class: "prefix" }, s.prefix), el("span", { class: "name" }, h.name(s)),
        el("span", { class: "n" }, h.t(s.waiting + " 人等候", s.waiting + " waiting")));
    })); });
  }

  function renderPriorities() {
    const groups = (st.hall && st.hall.priority_groups) || [];
    const box = $("priorities");
    const chip = function (key, text) {
      return el("button", { type: "button", class: "chip", role: "radio", dataset: { priority: key || "" },
        "aria-checked": (st.priority || "") === (key || "") ? "true" : "false",
        onclick: function () { st.priority = key; renderPriorities(); } }, text);
    };
    h.keepPlace(box, function () {  // a chip chosen with the keyboard keeps the focus
      box.replaceChildren.apply(box, [chip(null, h.t("无", "None"))].concat(groups.map(function (g) {
        return chip(g, h.label("priority", g));
      })));
    });
  }

  function renderQueues() {
    const rows = st.services.map(function (s) {
      const wins = st.windows.filter(function (w) { return (w.services || []).indexOf(s.code) >= 0; })
        .map(function (w) { return w.number + (w.status === "open" ? "" : w.status === "paused" ? h.t("（暂停）", " (paused)") : h.t("（未开）", " (closed)")); });
      return el("tr", { dataset: { service: s.code } }, el("td", null, s.prefix + " · " + h.name(s)),
        el("td", { class: "num" }, String(s.waiting)), el("td", null, estimate(s)),
        el("td", null, wins.join(h.t("、", ", ")) || "—"));
    });
    $("queue-rows").replaceChildren.apply($("queue-rows"), rows);
  }

  // ------------------------------------------------------------ issuing
  function output() { return document.querySelector('input[name="output"]:checked').value; }

  async function issue() {
    if (!st.service) { error(h.t("请先选择业务", "Choose a service first")); return; }
    const body = { service: st.service };
    if (st.priority) body.priority = st.priority;
    const note = $("note").value.trim();
    if (note) body.note = note;
    const how = output();
    if (how === "kiosk") body.print_at = parseInt($("kiosk").value, 10);
    // one key per attempt: a retry after a network error returns the same ticket, never a second
    if (!st.key) st.key = "desk-" + Date.now() + "-" + Math.random().toString(36).slice(2, 10);
    $("issue").disabled = true;
    try {
      const tk = await h.api("POST", h.hallPath("/desk/tickets"), body, { idempotencyKey: st.key });
      st.key = null;
      st.last = tk;
      error("");
      $("note").value = "";
      st.priority = null;
      renderPriorities();
      showTicket(tk, how);
      if (how === "desk") printHere();
      load();
    } catch (e) {
      if (!session.expired(e)) error(e.message);
      if (e.status) st.key = null;  // the server answered: the next press is a new request
    } finally {
      $("issue").disabled = false;
    }
  }

  function aheadText(tk) {
    return h.t("前面 " + tk.ahead + " 人 · " + h.fmtMinutes(tk.estimated_wait_s),
      tk.ahead + " ahead · " + h.fmtMinutes(tk.estimated_wait_s));
  }

  function showTicket(tk, how) {
    h.show("no-ticket", false);
    h.show("ticket", true);
    const svc = st.services.find(function (s) { return s.code === tk.service; });
    $("t-number").textContent = tk.number;
    $("t-service").textContent = svc ? h.name(svc) : tk.service_name;
    $("t-prio").textContent = tk.priority ? h.label("priority", tk.priority) : "";
    h.show("t-prio", !!tk.priority);
    $("t-ahead").textContent = aheadText(tk);
    $("t-note").textContent = tk.note ? h.t("备注：", "Note: ") + tk.note : "";
    if (tk.qr_svg) $("t-qr").src = tk.qr_svg;
    h.show("t-qr", !!tk.qr_svg);  // no public address configured: no QR a phone could not open
    h.show("p-qr", !!tk.qr_svg);
    // the printable copy
    $("p-hall").textContent = st.hall ? h.name(st.hall) : "";
    $("p-service").textContent = $("t-service").textContent;
    $("p-number").textContent = tk.number;
    $("p-prio").textContent = $("t-prio").textContent;
    $("p-ahead").textContent = aheadText(tk);
    if (tk.qr_svg) $("p-qr").src = tk.qr_svg;
    $("p-time").textContent = h.fmtDateTime(tk.issued_at);
    const pr = $("t-print");
    pr.className = "t-print";
    clearTimeout(st.jobTimer);
    if (how === "kiosk" && tk.print_job) {
      pr.textContent = h.t("已发送到「" + tk.print_job.kiosk + "」，等待打印…", "Sent to " + tk.print_job.kiosk + ", waiting for it to print…");
      followJob(tk.print_job.id, tk.print_job.kiosk);
    } else if (how === "desk") {
      pr.textContent = h.t("已交本台打印机打印", "Sent to this desk's printer");
    } else {
      pr.textContent = tk.qr_svg ? h.t("请告知群众号码，或让其扫码", "Tell the resident the number, or let them scan the code")
                                 : h.t("请告知群众号码", "Tell the resident the number");
    }
    document.body.dataset.ticket = tk.number;
  }

  function followJob(id, kiosk) {
    st.jobTimer = setTimeout(async function () {
      try {
        const j = await h.api("GET", h.hallPath("/desk/print-jobs/" + id));
        const pr = $("t-print");
        if (j.status === "printed") {
          pr.className = "t-print printed";
          pr.textContent = h.t("「" + kiosk + "」已打印，请群众到取号机取票", kiosk + " printed it: the resident takes it there");
        } else if (j.status === "failed") {
          pr.className = "t-print failed";
          pr.textContent = h.t("「" + kiosk + "」打印失败：" + (j.error || "") + "。请本台打印或告知号码",
            kiosk + " could not print (" + (j.error || "") + "): print here or tell the number");
        } else followJob(id, kiosk);
        document.body.dataset.printJob = j.status;
      } catch (e) { followJob(id, kiosk); }
    }, 1500);
  }

  function printHere() { window.print(); }

  document.addEventListener("DOMContentLoaded", function () {
    h.applyLang(document);
    h.langButton("lang", function () {
      if (st.hall) $("hall-name").textContent = h.name(st.hall);
      renderServices(); renderPriorities(); renderQueues();
      if (st.last) showTicket(st.last, "show");
      if (st.record) st.record.relabel();
    });
    $("issue").addEventListener("click", issue);
    // 现场: a complaint or rating a resident makes at the desk (record-form.js); a bad one becomes
    // a review case on /manager/cases
    st.record = window.hallqRecordForm.mount($("record-box"), { channel: "onsite",
      onExpired: function (e) { return session.expired(e); },
      onSaved: function (r) {
        // the same words as the cases page; the link only when there is a case to look at
        $("record-done-text").textContent = r.review_case
          ? h.t("已登记，已开启差评件 #" + r.review_case.id, "Recorded: case #" + r.review_case.id + " opened")
          : h.t("已登记（好评、基本满意不进入整改）", "Recorded (a good rating opens no case)");
        h.show("record-done-link", !!r.review_case);
        h.show("record-done", true);
        document.body.dataset.recorded = String(r.id);
      } });
    $("record-open").addEventListener("click", function () {
      h.show("record-done", false);
      if (st.record.isOpen()) st.record.close(); else st.record.open();
    });
    $("reprint").addEventListener("click", printHere);
    $("kiosk").addEventListener("change", function () { document.querySelector('input[value="kiosk"]').checked = true; });
    session.start();
  });
})();
