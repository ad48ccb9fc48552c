// The staff caller page (/caller): sign in, pick a window, then call / recall / start / finish /
// no-show / transfer / pause / resume. State always comes from the server: every event of this
// window and every (re)connection of the event stream refetches it, so a dropped network or a
// restarted server never leaves a stale screen.
(function () {
  "use strict";
  const h = window.hallq;
  const $ = h.$;
  const WINDOW_KEY = "hallq.caller.window";
  const STATUS = {
    called: ["已叫号，等候到窗", "Called, coming to the window"], serving: ["办理中", "Serving"],
  };
  const KEYS = { F1: "call-next", F2: "recall", F3: "start", F4: "finish", F5: "no-show",
    F6: "transfer", F7: "pause", F8: "resume", F9: "finish-next" };

  const st = { me: null, hall: null, windowNo: null, win: null, services: [], today: null, queue: [], selecting: null, detail: null,
    sub: null, busy: false, msgTimer: null, retryTimer: null };

  function tr(pair) { return pair ? h.t(pair[0], pair[1]) : ""; }
  function show(view) {
    ["login-view", "pick-view", "work-view"].forEach(function (v) { $(v).classList.toggle("hidden", v !== view); });
    $("logout").classList.toggle("hidden", view === "login-view");
    $("switch-window").classList.toggle("hidden", view !== "work-view");
  }
  function message(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = "message " + (kind === "ok" ? "ok-box" : kind === "info" ? "info-box" : "error-box");
    clearTimeout(st.msgTimer);
    st.msgTimer = setTimeout(function () { box.classList.add("hidden"); }, kind === "error" ? 10000 : 5000);
  }
  function clearMessage() { $("message").classList.add("hidden"); }
  const fmtDuration = h.fmtDuration;
  function since(iso, until) {
    if (!iso) return null;
    return ((until ? new Date(until) : new Date()) - new Date(iso)) / 1000;
  }

  // ------------------------------------------------------------ sign in, pick a window
  const session = h.session({ loginView: "login-view", onSignedIn: signedIn,
    onSignedOut: function () { stopStream(); show("login-view"); $("who").textContent = ""; },
    onError: function (msg) { message(msg, "error"); } });

  async function signedIn(me) {
    st.me = me;
    try { st.hall = h.useHall(await h.api("GET", h.hallPath(""))); } catch (e) { st.hall = null; }
    if (st.hall) $("hall-name").textContent = h.name(st.hall);
    const saved = parseInt(localStorage.getItem(WINDOW_KEY), 10);
    if (saved && st.me.windows.indexOf(saved) >= 0) {
      try {
        const w = await h.api("GET", h.hallPath("/windows/" + saved));
        if (w.staff && w.staff.id === st.me.id) return enterWindow(saved);
      } catch (e) { /* fall through to the picker */ }
    }
    showPicker();
  }

  async function showPicker() {
    stopStream();
    show("pick-view");
    $("who").textContent = st.me ? st.me.name : "";
    const list = $("window-list");
    list.textContent = "";
    let wins = [];
    try { wins = await h.api("GET", h.hallPath("/windows")); } catch (e) { message(e.message, "error"); }
    const mine = wins.filter(function (w) { return st.me.windows.indexOf(w.number) >= 0; });
    if (!mine.length) {
      list.append(h.el("p", { class: "muted" }, h.t("您没有可签到的窗口，请联系管理员", "You are not assigned to any window; ask the hall manager")));
    }
    mine.forEach(function (w) {
      const other = w.staff && w.staff.id !== st.me.id ? w.staff.name : null;
      list.append(h.el("button", { type: "button", class: "window-choice", dataset: { window: w.number },
        onclick: function () { signIn(w.number); } },
        h.el("span", { class: "wnum" }, h.t(w.number + " 号窗口", "Window " + w.number)),
        h.el("span", { class: "wname" }, w.name),
        // like the dashboard: nobody signed in is 未签到, not 空闲 (free to be called)
        h.el("span", { class: "wstate muted" }, other ? h.t("已签到：" + other, "Signed in: " + other) :
          (w.staff ? h.t("已签到：您本人", "Signed in: you") : h.t("未签到", "Not signed in")))));
    });
  }

  async function signIn(n) {
    try {
      await h.api("POST", h.hallPath("/windows/" + n + "/sign-in"));
      enterWindow(n);
    } catch (e) { message(e.message, "error"); }
  }

  async function signOutWindow() {
    if (st.windowNo) {
      try { await h.api("POST", h.hallPath("/windows/" + st.windowNo + "/sign-out")); }
      catch (e) { message(e.message, "error"); return false; }
    }
    localStorage.removeItem(WINDOW_KEY);
    st.windowNo = null;
    return true;
  }

  async function logout() {
    if (st.windowNo && !(await signOutWindow())) return;
    st.me = null;
    await session.signOut();
  }

  // ------------------------------------------------------------ the window
  function enterWindow(n) {
    st.windowNo = n;
    localStorage.setItem(WINDOW_KEY, String(n));
    document.body.dataset.window = String(n);
    show("work-view");
    clearMessage();
    refresh();
    stopStream();
    h.show("conn", true);  // the live indicator means something only once a stream is open
    st.sub = h.subscribe({ staff: true, onEvent: onEvent, onReconnect: refresh, onStatus: setConn });
  }

  function stopStream() { if (st.sub) { st.sub.close(); st.sub = null; } h.show("conn", false); }

  function setConn(up) {
    $("conn-dot").className = "conn-dot " + (up ? "on" : "off");
    $("conn-text").dataset.zh = up ? "已连接" : "连接中断，正在重连";
    $("conn-text").dataset.en = up ? "Live" : "Offline, reconnecting";
    $("conn-text").textContent = h.t($("conn-text").dataset.zh, $("conn-text").dataset.en);
    document.body.dataset.live = up ? "1" : "0";
  }

  // One refresh at a time; a request for another while one runs makes exactly one more.
  const refresh = h.singleFlight(function () { return loadState(); });

  async function loadState() {
    const n = st.windowNo;
    if (!n) return;
    try {
      const res = await Promise.all([
        h.api("GET", h.hallPath("/windows/" + n)),
        h.api("GET", h.hallPath("/services")),
        h.api("GET", h.hallPath("/staff/me/today")),
        h.api("GET", h.hallPath("/windows/" + n + "/waiting")),
      ]);
      if (n !== st.windowNo) return;
      st.win = res[0]; st.services = res[1]; st.today = res[2]; st.queue = res[3].tickets;
      const cur = st.win.current;
      if (cur && (!st.detail || st.detail.id !== cur.id)) {  // the front desk's note (staff-only read)
        try { st.detail = await h.api("GET", h.hallPath("/tickets/" + cur.id)); } catch (e) { st.detail = null; }
      }
      if (!st.win.staff || st.win.staff.id !== st.me.id) {
        const who = st.win.staff ? st.win.staff.name : null;
        localStorage.removeItem(WINDOW_KEY);
        st.windowNo = null;
        message(who ? h.t("您已被 " + who + " 接班，已退出 " + n + " 号窗口", who + " took over window " + n)
          : h.t("您已退出 " + n + " 号窗口", "You are signed out of window " + n), "info");
        return showPicker();
      }
      render();
      document.body.dataset.synced = String(Date.now());
    } catch (e) {
      if (session.expired(e)) return;
      if (e.status) message(e.message, "error");
      if (st.win) render();  // never leave the buttons as they were during a request
      // try again soon (the stream's reconnect also refreshes when the server was away)
      clearTimeout(st.retryTimer);
      st.retryTimer = setTimeout(refresh, 1500);
    }
  }

  function onEvent(ev) {
    if (!st.windowNo) return;
    if (ev.waiting && st.win) {
      applyWaiting(ev.waiting);
      refresh.again();  // a refresh in flight may carry older counts: read once more
    }
    if (ev.window === st.windowNo || (ev.type === "window.signed_in" && ev.staff_id === st.me.id)) refresh();
    else if (ev.waiting && st.win && st.win.services.some(function (c) { return ev.waiting[c] !== undefined; })) refresh();
  }

  function applyWaiting(waiting) {
    st.services.forEach(function (s) { if (waiting[s.code] !== undefined) s.waiting = waiting[s.code]; });
    renderWaiting();
  }

  // ------------------------------------------------------------ rendering
  function allowed() {
    const w = st.win, cur = w && w.current;
    const a = {};
    if (!w || st.busy) return a;
    if (w.status === "paused") { a.resume = true; return a; }
    if (!cur) { a["call-next"] = true; a.pause = true; a.select = true; return a; }
    if (cur.status === "called") {
      a.recall = !(st.hall && cur.recalls >= st.hall.max_recalls);
      a.start = true; a.finish = true; a["no-show"] = true; a.transfer = true; a["finish-next"] = true;
    } else if (cur.status === "serving") {
      a.finish = true; a.transfer = true; a["finish-next"] = true;
    }
    return a;
  }

  function render() {
    const w = st.win;
    if (!w) return;
    $("who").textContent = h.t(w.number + " 号窗口 · " + w.name + " · " + st.me.name,
      "Window " + w.number + " · " + st.me.name);
    const badge = $("win-status");
    const cur = w.current;
    const state = w.status === "paused" ? "paused" : !cur ? "idle" : cur.status;
    badge.className = "badge " + state;
    badge.title = w.status === "paused" ? (w.pause_reason || "") : "";
    badge.textContent = w.status === "paused" ? h.t("暂停中：" + (w.pause_reason || ""), "Paused: " + (w.pause_reason || ""))
      : state === "idle" ? h.t("空闲，可叫号", "Free: call next") : state === "called" ? h.t("已叫号", "Called") : h.t("办理中", "Serving");
    $("current").classList.toggle("hidden", !cur);
    $("current-empty").classList.toggle("hidden", !!cur);
    if (!cur) {
      $("empty-text").textContent = w.status === "paused" ? h.t("窗口已暂停，按「恢复」继续叫号", "Paused: press Resume to call again")
        : h.t("按「叫号」呼叫下一位", "Press Call next for the next resident");
    } else {
      $("cur-number").textContent = cur.number;
      const marks = $("cur-marks");
      marks.textContent = "";
      if (cur.appointment) marks.append(h.el("span", { class: "mark appt" }, h.t("预约", "Appointment")));
      if (cur.source === "staff") marks.append(h.el("span", { class: "mark" }, h.t("导办台", "Front desk")));
      if (cur.priority) marks.append(h.el("span", { class: "mark prio" }, h.label("priority", cur.priority)));
      if (cur.transfers) {  // 首问负责: the window that first took the case stays responsible
        marks.append(h.el("span", { class: "mark", dataset: { firstWindow: String(cur.first_window || "") } },
          cur.first_window ? h.t("转入 · 首问 " + cur.first_window + " 号窗口", "Transferred · first asked at window " + cur.first_window)
            : h.t("转入", "Transferred")));
      }
      const svc = st.services.find(function (s) { return s.code === cur.service; });
      $("cur-service").textContent = svc ? h.t(svc.name, svc.name_en || svc.name) : cur.service_name;
      $("cur-status").textContent = tr(STATUS[cur.status]) || cur.status;
      $("cur-id").textContent = cur.id_masked || h.t("未登记", "not given");
      $("cur-recalls").textContent = String(cur.recalls) + (st.hall ? " / " + st.hall.max_recalls : "");
      $("cur-note").textContent = (st.detail && st.detail.id === cur.id && st.detail.note) || "—";
      tick();
    }
    const a = allowed();
    document.querySelectorAll("button.act").forEach(function (b) { b.disabled = !a[b.dataset.action]; });
    renderWaiting();
    renderQueue();
    renderToday();
  }

  function tick() {
    const cur = st.win && st.win.current;
    if (!cur) return;
    $("cur-waited").textContent = fmtDuration(since(cur.issued_at, cur.called_at));
    $("cur-serving").textContent = cur.started_at ? fmtDuration(since(cur.started_at)) : "—";
  }
  function tickQueue() {
    document.querySelectorAll("#queue .q-waited").forEach(function (el) {
      el.textContent = fmtDuration(since(el.dataset.since));
    });
  }

  function renderWaiting() {
    const ul = $("waiting");
    if (!st.win) return;
    ul.textContent = "";
    st.win.services.forEach(function (code) {
      const s = st.services.find(function (x) { return x.code === code; });
      if (!s) return;
      ul.append(h.el("li", { dataset: { service: code } },
        h.el("span", { class: "prefix" }, s.prefix),
        h.el("span", { class: "sname" }, h.name(s)),
        h.el("span", { class: "count" }, String(s.waiting)),
        h.el("span", { class: "unit" }, h.t("人", "waiting"))));
    });
  }

  // The window's waiting tickets in queue order; 选呼 calls one of them out of turn (audited).
  function renderQueue() {
    const ol = $("queue");
    const can = !!allowed().select;
    h.show("queue-empty", !st.queue.length);
    // redrawn by every event of this window's services: a 选呼 button reached with the keyboard
    // keeps the focus, the list its scroll (hallq.keepPlace)
    h.keepPlace(ol, function () { ol.replaceChildren.apply(ol, st.queue.map(function (tk) {
      const svc = st.services.find(function (s) { return s.code === tk.service; });
      return h.el("li", { dataset: { ticket: tk.id } },
        h.el("span", { class: "q-number" }, tk.number),
        h.el("span", { class: "q-what" },
          h.el("span", { class: "q-service" }, svc ? h.name(svc) : tk.service_name),
          tk.priority ? h.el("span", { class: "mark prio" }, h.label("priority", tk.priority)) : null,
          tk.appointment ? h.el("span", { class: "mark appt" }, h.t("预约", "Appointment")) : null),
        h.el("span", { class: "q-waited", dataset: { since: tk.queued_at || tk.issued_at } },
          fmtDuration(since(tk.queued_at || tk.issued_at))),
        h.el("button", { type: "button", class: "q-call", disabled: !can,
          onclick: function () { openSelect(tk); } }, h.t("选呼", "Call")));
    })); });
  }

  function openSelect(tk) {
    if (!allowed().select) return;
    st.selecting = tk;
    $("select-number").textContent = tk.number + " · " + (tk.service_name || tk.service);
    openDialog("select-dialog");
    $("select-ok").focus();
  }
  async function selectOk() {
    const tk = st.selecting;
    closeDialogs();
    if (tk) await act("call", { ticket_id: tk.id });
  }

  function renderToday() {
    const f = st.today;
    if (!f) return;
    $("t-served").textContent = String(f.served);
    $("t-mean").textContent = f.mean_service_s === null ? "—" : fmtDuration(f.mean_service_s);
    $("t-rated").textContent = String(f.ratings.count);
    $("t-sat").textContent = f.ratings.satisfaction === null ? "—" : Math.round(f.ratings.satisfaction * 100) + "%";
    $("t-bad").textContent = String(f.ratings.bad);
  }

  // ------------------------------------------------------------ actions
  async function act(action, body) {
    if (st.busy || !st.win) return;  // nothing to act on before the window's state is known
    st.busy = true;
    try {
      render();
      const r = await h.api("POST", h.hallPath("/windows/" + st.windowNo + "/" + action), body);
      const called = action === "call-next" || action === "call" || action === "finish-and-call-next";
      if (called && r && r.ticket === null) message(h.t("当前无人等候", "Nobody is waiting"), "info");
      else if (action === "finish-and-call-next" && r.finished) {
        message(h.t(r.finished.number + " 已办结（" + h.label("outcome", r.finished.outcome) + "），已呼叫 " + r.ticket.number,
          r.finished.number + " finished (" + h.label("outcome", r.finished.outcome) + "), called " + r.ticket.number), "ok");
      } else if (action === "finish" && r.ticket) {
        const o = h.label("outcome", r.ticket.outcome);
        message(h.t(r.ticket.number + " 已办结（" + o + "）" + (r.ticket.due_date ? "，承诺办结日期 " + r.ticket.due_date : ""),
          r.ticket.number + " finished (" + o + ")" + (r.ticket.due_date ? ", promised by " + r.ticket.due_date : "")), "ok");
      } else clearMessage();
      // 退回补正: the one-time notice of missing papers (notice-dialog.js)
      const returned = action === "finish" ? r && r.ticket : r && r.finished;
      if (returned && returned.outcome === "returned" && window.hallqNotice) window.hallqNotice.open(returned);
      return r;
    } catch (e) {
      message(e.message, "error");
      return null;
    } finally {
      st.busy = false;
      render();
      await refresh();
    }
  }

  function press(action) {
    const btn = document.querySelector('button.act[data-action="' + action + '"]');
    if (!btn || btn.disabled) return;
    if (action === "finish") return openDialog("finish-dialog");
    if (action === "transfer") return openTransfer();
    if (action === "pause") return openDialog("pause-dialog");
    if (action === "finish-next") return act("finish-and-call-next", { outcome: "immediate" });
    act(action);
  }

  function openDialog(id) {
    closeDialogs();
    $("dialog-backdrop").classList.remove("hidden");
    const d = $(id);
    d.classList.remove("hidden");
    if (id === "finish-dialog") {
      d.querySelector('input[value="immediate"]').checked = true;
      $("promise-row").classList.add("hidden");
      // the service's promised time limit (hall config promise_days) is the default
      const cur = st.win && st.win.current;
      const svc = cur && st.services.find(function (s) { return s.code === cur.service; });
      $("promise-days").value = String((svc && svc.promise_days) || 3);
      d.querySelector('input[value="immediate"]').focus();
    }
    if (id === "pause-dialog") { $("pause-reason").value = ""; $("pause-reason").focus(); }
  }
  function closeDialogs() {
    document.querySelectorAll(".dialog").forEach(function (d) { d.classList.add("hidden"); });
    $("dialog-backdrop").classList.add("hidden");
  }
  function openDialogId() {
    const d = document.querySelector(".dialog:not(.hidden)");
    return d ? d.id : null;
  }

  function openTransfer() {
    const sel = $("transfer-service");
    sel.textContent = "";
    const cur = st.win.current;
    st.services.filter(function (s) { return !cur || s.code !== cur.service; }).forEach(function (s) {
      sel.append(h.el("option", { value: s.code }, s.prefix + " · " + h.t(s.name, s.name_en || s.name)));
    });
    openDialog("transfer-dialog");
    sel.selectedIndex = 0;
    sel.focus();
  }

  async function finishOk(andNext) {
    const outcome = document.querySelector('input[name="outcome"]:checked').value;
    const body = { outcome: outcome };
    if (outcome === "promised") {
      const days = parseInt($("promise-days").value, 10);
      if (!(days >= 1 && days <= 365)) { message(h.t("请填写 1–365 个工作日", "Enter 1-365 working days"), "error"); return; }
      body.promise_days = days;
    }
    closeDialogs();
    await act(andNext === true ? "finish-and-call-next" : "finish", body);
  }
  async function transferOk() {
    const code = $("transfer-service").value;
    if (!code) return;
    closeDialogs();
    await act("transfer", { service: code });
  }
  async function pauseOk() {
    const reason = $("pause-reason").value.trim();
    if (!reason) { message(h.t("请填写暂停原因", "A pause needs a reason"), "error"); $("pause-reason").focus(); return; }
    closeDialogs();
    await act("pause", { reason: reason });
  }

  function onKey(ev) {
    const dlg = openDialogId();
    if (dlg) {
      if (ev.key === "Escape") { ev.preventDefault(); closeDialogs(); }
      else if (ev.key === "Enter" && ev.target.tagName !== "BUTTON") {
        ev.preventDefault();
        ({ "finish-dialog": finishOk, "transfer-dialog": transferOk, "pause-dialog": pauseOk, "select-dialog": selectOk })[dlg]();
      }
      return;
    }
    const action = KEYS[ev.key];
    if (action && !$("work-view").classList.contains("hidden")) {
      ev.preventDefault();  // F5 is 过号 here, not reload: the page never needs a reload
      press(action);
    }
  }

  // ------------------------------------------------------------ wiring
  document.addEventListener("DOMContentLoaded", function () {
    $("logout").addEventListener("click", logout);
    $("switch-window").addEventListener("click", async function () {
      if (await signOutWindow()) showPicker();
    });
    h.langButton("lang", function () {
      if (st.hall) $("hall-name").textContent = h.name(st.hall);
      if (st.win && st.windowNo) render();
      else if (!$("pick-view").classList.contains("hidden")) showPicker();
    });
    document.querySelectorAll("button.act").forEach(function (b) {
      b.addEventListener("click", function () { press(b.dataset.action); });
    });
    document.querySelectorAll("[data-close]").forEach(function (b) { b.addEventListener("click", closeDialogs); });
    $("dialog-backdrop").addEventListener("click", closeDialogs);
    document.querySelectorAll('input[name="outcome"]').forEach(function (r) {
      r.addEventListener("change", function () {
        $("promise-row").classList.toggle("hidden", r.value !== "promised" || !r.checked);
      });
    });
    $("finish-ok").addEventListener("click", finishOk);
    $("finish-next-ok").addEventListener("click", function () { finishOk(true); });
    $("select-ok").addEventListener("click", selectOk);
    $("transfer-ok").addEventListener("click", transferOk);
    $("transfer-service").addEventListener("dblclick", transferOk);
    $("pause-ok").addEventListener("click", pauseOk);
    document.querySelectorAll("#pause-reasons .chip").forEach(function (c) {
      c.addEventListener("click", function () { $("pause-reason").value = c.textContent; $("pause-reason").focus(); });
    });
    document.addEventListener("keydown", onKey);
    setInterval(function () { tick(); tickQueue(); }, 1000);
    h.applyLang(document);
    session.start();
  });
})();
