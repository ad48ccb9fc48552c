// The evaluator at a window (/evaluator/{n}): idle it shows who serves here; when this window
// finishes a ticket it asks for one rating of that ticket (一次一评). A bad rating asks for
// reasons, and once it is sent offers to keep a phone for the 回访 (evaluator-phone.js). Nothing is rated by default: a prompt left alone times out and the ticket stays unrated.
// The prompt is spoken (the server's offline speech, like the call announcements). The device
// token is checked on load; a missing or wrong one shows a notice for staff, never a form.
(function () {
  "use strict";
  const h = window.hallq;
  const $ = hallq.$;
  h.tokenKey = "hallq.evaluator.token";  // a device token, apart from any staff sign-in in this browser
  const PROMPT_S = 120;  // a prompt nobody answers goes back to idle after this
  const THANKS_S = 5;
  const windowNo = parseInt(location.pathname.split("/").filter(Boolean).pop(), 10);
  const st = { win: null, pending: null, level: null, reasons: new Set(), timer: null, sending: false,
    done: new Set(), sub: null, voice: null };
  // For tests: how often the prompt was spoken (played to its end or started).
  const probe = window.hallqEvaluator = { spoken: 0, played: 0 };

  function view(name) {
    ["setup-view", "idle-view", "prompt-view", "reasons-view", "phone-view", "thanks-view"].forEach(function (v) {
      $(v).classList.toggle("hidden", v !== name);
    });
    document.body.dataset.view = name.replace("-view", "");
  }
  function error(text) {
    const box = $("ev-error");
    box.textContent = text;
    box.classList.remove("hidden");
    setTimeout(function () { box.classList.add("hidden"); }, 6000);
  }
  function after(seconds, fn) { clearTimeout(st.timer); st.timer = setTimeout(fn, seconds * 1000); }

  // ------------------------------------------------------------ token from ?token=, then stored
  function takeToken() {
    const url = new URL(location.href);
    const t = url.searchParams.get("token");
    if (t) {
      h.setToken(t);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + (url.search || "") + url.hash);
    }
    return h.token();
  }

  // ------------------------------------------------------------ idle: the staff card
  // A window's English name: the services it handles (windows have no English name of their own).
  function windowEn(w) {
    const names = (w.services || []).map(function (code) {
      const s = (st.services || []).find(function (x) { return x.code === code; });
      return s && s.name_en;
    }).filter(Boolean);
    return names.length ? " · " + names.join(", ") : "";
  }

  function renderIdle() {
    const w = st.win;
    $("ev-window").textContent = w ? h.t(w.number + " 号窗口 · " + w.name, "Window " + w.number + windowEn(w)) : "";
    const staff = w && w.staff;
    $("staff-card").classList.toggle("hidden", !staff);
    $("no-staff").classList.toggle("hidden", !!staff);
    if (staff) {
      const src = "/api/v1/staff/" + staff.id + "/photo";
      if ($("staff-photo").getAttribute("src") !== src) {
        $("staff-photo").classList.remove("hidden");
        $("staff-initial").classList.add("hidden");
        $("staff-photo").setAttribute("src", src);
      }
      $("staff-photo").alt = staff.name;
      $("staff-initial").textContent = (staff.name || "").slice(0, 1);
      $("staff-name").textContent = staff.name;
      $("staff-no").textContent = staff.staff_no || "—";
      $("staff-duties").textContent = staff.duties || (w ? w.name : "");
    }
  }
  function idle() {
    st.pending = null; st.level = null; st.reasons.clear(); st.masked = null;
    window.hallqEvaluatorPhone.forget();
    clearTimeout(st.timer);
    // a resident's switch of language lasts for their own rating: the next resident (often an
    // elderly one) is met in the device's language again, not in the last visitor's English
    if (st.homeLang && h.lang() !== st.homeLang) {
      h.setLang(st.homeLang);
      $("lang").textContent = h.lang() === "en" ? "中文" : "English";
      relabel();
    }
    renderIdle();
    view("idle-view");
  }

  // ------------------------------------------------------------ the prompt
  // a resident in the middle of a rating (its reasons, the call-back phone, the rating on its way):
  // the next ticket's prompt waits until they are done or walk away (flowDone)
  function busyRating() {
    const v = document.body.dataset.view;
    return st.sending || v === "reasons" || v === "phone";
  }

  function prompt(ticket) {
    if (st.done.has(ticket.id)) return;
    if (busyRating()) {  // (the same visit asked again, e.g. by the case system: nothing new)
      if (!(st.pending && st.pending.id === ticket.id)) st.next = ticket;
      return;
    }
    show(ticket);
  }

  function show(ticket) {
    window.hallqEvaluatorPhone.forget();
    st.pending = ticket; st.level = null; st.reasons.clear();
    document.querySelectorAll(".tag").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    $("prompt-number").textContent = ticket.number;
    view("prompt-view");
    speak();
    after(PROMPT_S, idle);
  }

  // 请对我的服务进行评价, as WAV from the server (rendered offline there, cached by the browser).
  function speak() {
    if (!st.voice) st.voice = new Audio(h.hallPath("/speech/rate.wav"));
    const a = st.voice;
    try { a.pause(); a.currentTime = 0; } catch (e) { /* not loaded yet */ }
    probe.spoken += 1;
    a.play().then(function () { probe.played += 1; document.body.dataset.spoken = String(probe.played); })
      .catch(function (e) { console.warn("evaluator: the prompt could not play: " + e); });
  }

  function choose(level) {
    if (!st.pending || st.sending) return;
    st.level = level;
    if (level <= 2) {
      // the reasons screen says which rating was tapped (Back changes it)
      $("reasons-chosen").textContent = h.t("您的评价：", "Your rating: ") + h.label("level", level);
      $("reasons-chosen").dataset.level = String(level);
      view("reasons-view");
      after(PROMPT_S, flowDone);
      return;
    }
    send();
  }

  async function send() {
    const ticket = st.pending;
    if (!ticket || st.sending) return;
    st.sending = true;
    const body = { level: st.level };
    if (st.level <= 2 && st.reasons.size) body.reasons = Array.from(st.reasons);
    try {
      const r = await h.api("POST", h.hallPath("/tickets/" + ticket.id + "/rating"), body);
      if (r.bad && r.review_case) askPhone(ticket);
      else thanks(ticket);
    } catch (e) {
      if (e.code === "already_rated") thanks(ticket);
      else if (e.status === 401) { setup("rejected"); }
      else { error(e.message); }
    } finally {
      st.sending = false;
    }
  }

  // the rating is in; the resident may leave a phone for the call back, or skip (or walk away)
  function askPhone(ticket) {
    st.done.add(ticket.id);
    st.pending = null;
    window.hallqEvaluatorPhone.open(ticket, function () { after(PROMPT_S, flowDone); }, function (masked) {
      thanks(ticket, masked);
    });
    view("phone-view");
    after(PROMPT_S, flowDone);
  }

  function thanksPhone() {
    const box = $("thanks-phone");
    box.classList.toggle("hidden", st.masked === null);
    box.classList.toggle("missed", st.masked === false);
    box.textContent = st.masked === false
      ? h.t("电话未能保存（已超时），如需回访请告诉窗口工作人员", "The number came too late to be kept; please tell the staff at the window")
      : st.masked ? h.t("工作人员会拨打 " + st.masked + " 回访您", "Staff will call you back on " + st.masked) : "";
  }

  function thanks(ticket, masked) {
    st.done.add(ticket.id);
    st.pending = null;
    st.masked = masked === undefined ? null : masked;  // only ever the masked number (or false: not kept)
    thanksPhone();
    view("thanks-view");
    after(st.masked === null ? THANKS_S : 2 * THANKS_S, flowDone);
  }

  // a resident's rating is over (thanked, or they walked away): the prompt that waited, or idle
  function flowDone() {
    const next = st.next;
    st.next = null;
    idle();  // the last resident's language and choices go
    if (next && !st.done.has(next.id)) show(next);
  }

  // ------------------------------------------------------------ live state
  async function load() {
    try {
      st.win = await h.api("GET", h.hallPath("/windows/" + windowNo));
    } catch (e) {
      if (e.status === 404) { error(e.message); }
      return;
    }
    const lf = st.win.last_finished;
    if (st.pending) {
      // rated meanwhile (serial evaluator, another tablet): stop asking
      if (lf && lf.id === st.pending.id && lf.rated) thanks(st.pending);
      return;
    }
    if (document.body.dataset.view === "thanks" || document.body.dataset.view === "phone") return;
    if (lf && !lf.rated && !st.done.has(lf.id) && (Date.now() - new Date(lf.finished_at)) / 1000 < PROMPT_S) {
      renderIdle();
      return prompt({ id: lf.id, number: lf.number });
    }
    idle();
  }

  function onEvent(ev) {
    if (ev.window !== windowNo) return;
    if ((ev.type === "ticket.finished" || ev.type === "rating.prompt") && ev.ticket) {
      prompt({ id: ev.ticket.id, number: ev.ticket.number });
    } else if (ev.type === "ticket.rated") {
      const id = ev.ticket_id || (ev.ticket && ev.ticket.id);
      st.done.add(id);
      if (st.pending && st.pending.id === id && !st.sending) thanks(st.pending);  // rated elsewhere
    } else if (ev.type === "window.signed_in" || ev.type === "window.signed_out") {
      h.api("GET", h.hallPath("/windows/" + windowNo)).then(function (w) {
        st.win = w;
        renderIdle();
      }).catch(function () {});
    }
  }

  function setConn(up) {
    $("conn-dot").className = "conn-dot " + (up ? "on" : "off");
    document.body.dataset.live = up ? "1" : "0";
  }

  // ------------------------------------------------------------ the device token, checked on load
  const FIX = ["请在管理页「设备」中为 " + windowNo + " 号窗口登记评价器并生成令牌，再用令牌地址（/evaluator/" + windowNo + "?token=…）打开本页。",
    "In the admin page (Devices) register an evaluator for window " + windowNo + ", make its token and open this page with /evaluator/" + windowNo + "?token=…"];
  const PROBLEMS = {
    missing: ["本评价器没有设备令牌。", "This evaluator has no device token."],
    rejected: ["设备令牌无效或已被重置。", "The device token is not valid (or was reset)."],
    kind: ["该令牌不是评价器的令牌。", "This token does not belong to an evaluator."],
    window: ["该评价器没有登记在本窗口。", "This evaluator is not registered for this window."],
    address: ["地址应为 /evaluator/窗口号。", "The address must be /evaluator/<window number>."],
  };
  function setup(problem) {
    clearTimeout(st.timer);
    st.pending = null;
    window.hallqEvaluatorPhone.forget();
    if (st.sub) { st.sub.close(); st.sub = null; }
    document.body.dataset.problem = problem;
    const p = PROBLEMS[problem];
    $("setup-reason").textContent = h.t(p[0], p[1]);
    $("setup-fix").textContent = h.t(FIX[0], FIX[1]);
    if (windowNo) $("ev-window").textContent = h.t(windowNo + " 号窗口", "Window " + windowNo);
    view("setup-view");
  }

  async function check() {
    if (!windowNo) return setup("address");
    if (!h.token()) return setup("missing");
    let me;
    try {
      me = await h.api("GET", "/api/v1/auth/me");
    } catch (e) {
      if (e.status === 401 || e.status === 403) return setup("rejected");
      error(e.message);  // the server is away: try again, the resident sees the idle screen
      setTimeout(check, 5000);
      return;
    }
    if (me.kind !== "device" || me.role !== "evaluator") return setup("kind");
    if (me.windows && me.windows.length && me.windows.indexOf(windowNo) < 0) return setup("window");
    delete document.body.dataset.problem;
    begin();
  }

  function begin() {
    view("idle-view");
    h.loadHall().catch(function () { /* names only */ });
    h.api("GET", h.hallPath("/services")).then(function (list) { st.services = list; renderIdle(); })
      .catch(function () { /* the English window name only */ });
    load();
    if (!st.sub) st.sub = h.subscribe({ onEvent: onEvent, onReconnect: load, onStatus: setConn });
    if (!probe.heartbeat) probe.heartbeat = h.heartbeat("evaluator-page", { token: h.token });
  }

  function relabel() {
    renderIdle();
    if (st.level) $("reasons-chosen").textContent = h.t("您的评价：", "Your rating: ") + h.label("level", st.level);
    window.hallqEvaluatorPhone.relabel();
    thanksPhone();
    if (document.body.dataset.problem) setup(document.body.dataset.problem);
  }

  document.addEventListener("DOMContentLoaded", function () {
    h.applyLang(document);
    st.homeLang = h.lang();
    h.langButton("lang", function () {
      // switched by staff while the tablet stands idle: the device's language from now on
      if (["idle", "setup", "starting"].indexOf(document.body.dataset.view) >= 0) st.homeLang = h.lang();
      relabel();
    });
    document.querySelectorAll(".level").forEach(function (b) {
      b.addEventListener("click", function () { choose(parseInt(b.dataset.level, 10)); });
    });
    document.querySelectorAll(".tag").forEach(function (b) {
      b.addEventListener("click", function () {
        const r = b.dataset.reason;
        if (st.reasons.has(r)) st.reasons.delete(r); else st.reasons.add(r);
        b.setAttribute("aria-pressed", st.reasons.has(r) ? "true" : "false");
        after(PROMPT_S, idle);
      });
    });
    $("reasons-submit").addEventListener("click", send);
    $("reasons-back").addEventListener("click", function () { if (st.pending) { view("prompt-view"); } });
    $("staff-photo").addEventListener("error", function () {
      $("staff-photo").classList.add("hidden");
      $("staff-initial").classList.remove("hidden");
    });
    if (windowNo) document.body.dataset.window = String(windowNo);
    takeToken();
    check();
  });
})();
