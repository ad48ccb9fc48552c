// The evaluator at a window (/evaluator/{n}): idle it shows who serves here; when this window
// finishes a ticket it asks for one rating of that ticket (一次一评). A bad rating asks for
// reasons. Nothing is rated by default: a prompt left alone times out and the ticket stays unrated.
(function () {
  "use strict";
  const h = window.hallq;
  const $ = hallq.$;
  h.tokenKey = "hallq.evaluator.token";  // a device token, apart from any staff sign-in in this browser
  const PROMPT_S = 120;  // a prompt nobody answers goes back to idle after this
  const THANKS_S = 5;
  const windowNo = parseInt(location.pathname.split("/").filter(Boolean).pop(), 10);
  const st = { win: null, pending: null, level: null, reasons: new Set(), timer: null, sending: false, done: new Set() };

  function view(name) {
    ["token-view", "idle-view", "prompt-view", "reasons-view", "thanks-view"].forEach(function (v) {
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
  function renderIdle() {
    const w = st.win;
    $("ev-window").textContent = w ? h.t(w.number + " 号窗口 · " + w.name, "Window " + w.number) : "";
    const staff = w && w.staff;
    $("staff-card").classList.toggle("hidden", !staff);
    $("no-staff").classList.toggle("hidden", !!staff);
    if (staff) {
      const src = "/api/v1/staff/" + staff.id + "/photo";
      if ($("staff-photo").getAttribute("src") !== src) $("staff-photo").setAttribute("src", src);
      $("staff-photo").alt = staff.name;
      $("staff-name").textContent = staff.name;
      $("staff-no").textContent = staff.staff_no || "—";
      $("staff-duties").textContent = staff.duties || (w ? w.name : "");
    }
  }
  function idle() {
    st.pending = null; st.level = null; st.reasons.clear();
    clearTimeout(st.timer);
    renderIdle();
    view("idle-view");
  }

  // ------------------------------------------------------------ the prompt
  function prompt(ticket) {
    if (st.done.has(ticket.id)) return;
    st.pending = ticket; st.level = null; st.reasons.clear();
    document.querySelectorAll(".tag").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    $("prompt-number").textContent = ticket.number;
    view("prompt-view");
    after(PROMPT_S, idle);
  }

  function choose(level) {
    if (!st.pending || st.sending) return;
    st.level = level;
    if (level <= 2) {
      view("reasons-view");
      after(PROMPT_S, idle);
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
      await h.api("POST", h.hallPath("/tickets/" + ticket.id + "/rating"), body);
      thanks(ticket);
    } catch (e) {
      if (e.code === "already_rated") thanks(ticket);
      else if (e.status === 401) { h.setToken(null); view("token-view"); error(e.message); }
      else { error(e.message); }
    } finally {
      st.sending = false;
    }
  }

  function thanks(ticket) {
    st.done.add(ticket.id);
    st.pending = null;
    view("thanks-view");
    after(THANKS_S, idle);
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
    if (document.body.dataset.view === "thanks") return;
    if (lf && !lf.rated && !st.done.has(lf.id) && (Date.now() - new Date(lf.finished_at)) / 1000 < PROMPT_S) {
      renderIdle();
      return prompt({ id: lf.id, number: lf.number });
    }
    idle();
  }

  function onEvent(ev) {
    if (ev.window !== windowNo) return;
    if (ev.type === "ticket.finished" && ev.ticket) {
      prompt({ id: ev.ticket.id, number: ev.ticket.number });
    } else if (ev.type === "ticket.rated") {
      const id = ev.ticket_id || (ev.ticket && ev.ticket.id);
      st.done.add(id);
      if (st.pending && st.pending.id === id) thanks(st.pending);
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

  function begin() {
    view("idle-view");
    load();
    h.subscribe({ onEvent: onEvent, onReconnect: load, onStatus: setConn });
  }

  document.addEventListener("DOMContentLoaded", function () {
    h.applyLang(document);
    $("lang").textContent = h.lang() === "en" ? "中文" : "English";
    $("lang").addEventListener("click", function () {
      h.setLang(h.lang() === "en" ? "zh" : "en");
      $("lang").textContent = h.lang() === "en" ? "中文" : "English";
      renderIdle();
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
    $("token-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      const t = $("token-input").value.trim();
      if (t) { h.setToken(t); begin(); }
    });
    if (!windowNo) { error(h.t("地址应为 /evaluator/窗口号", "The address must be /evaluator/<window number>")); return; }
    document.body.dataset.window = String(windowNo);
    if (takeToken()) begin(); else view("token-view");
  });
})();
