// hallq page helpers shared by every page: API calls, the live event stream, language switch.
// No framework and nothing from the internet: pages must work on a hall LAN.
(function (global) {
  "use strict";

  const hallq = {};

  // ------------------------------------------------------------ API
  hallq.hall = function () {
    const p = new URLSearchParams(location.search);
    return p.get("hall") || document.documentElement.dataset.hall || "main";
  };

  hallq.tokenKey = "hallq.token";
  hallq.token = function () { return localStorage.getItem(hallq.tokenKey); };
  hallq.setToken = function (t) {
    if (t) localStorage.setItem(hallq.tokenKey, t); else localStorage.removeItem(hallq.tokenKey);
  };

  // the server's English halves start in lower case ("an 11-digit mobile number is required");
  // on a page they read as sentences. A first word like public_url or iOS is left as it is.
  function sentence(text) {
    return typeof text === "string" && /^[a-z]+(?=[\s,:;.]|$)/.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }
  // An API error: `message` is the text in the page's current language, from the server's
  // message_zh / message_en (never split "中文 (English)" here); both kept for a later switch.
  class ApiError extends Error {
    constructor(status, code, message, messageZh, messageEn) {
      const zh = messageZh || message, en = sentence(messageEn || messageZh || message);
      super(hallq.t(zh, en));
      this.status = status; this.code = code; this.message_zh = zh; this.message_en = en;
    }
    text() { return hallq.t(this.message_zh, this.message_en); }
  }
  // An ApiError from a failed response's JSON body (data may be null).
  ApiError.fromBody = function (status, data, fallback) {
    data = data || {};
    return new ApiError(status, data.error || "http_" + status, data.message || fallback,
                        data.message_zh, data.message_en);
  };
  hallq.ApiError = ApiError;

  // fetch JSON; throws ApiError with the server's message for a non-2xx answer.
  hallq.api = async function (method, path, body, opts) {
    opts = opts || {};
    const headers = { "Accept": "application/json" };
    const token = opts.token !== undefined ? opts.token : hallq.token();
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    // A request that hangs (a half-open connection after a network drop or a server kill) must
    // not freeze the page: give up after timeoutMs, so the page's retry asks again.
    const abort = new AbortController();
    const timer = setTimeout(function () { abort.abort(); }, opts.timeoutMs || 20000);
    let resp, data = null;
    try {
      try {
        resp = await fetch(path, { method, headers, signal: abort.signal,
                                   body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        throw new ApiError(0, "network", hallq.t("网络连接失败，请稍候重试", "Network error, retrying soon"));
      }
      try { data = await resp.json(); } catch (e) { data = null; }
    } finally {
      clearTimeout(timer);
    }
    if (!resp.ok) {
      throw ApiError.fromBody(resp.status, data, resp.statusText);
    }
    return data;
  };
  hallq.hallPath = function (path) { return "/api/v1/halls/" + encodeURIComponent(hallq.hall()) + path; };

  // ------------------------------------------------------------ live events
  // Subscribes to the hall's SSE stream; reconnects forever (also after a server restart) and
  // resumes from the last event id, so no event is missed. onEvent(ev) gets each parsed event;
  // onReconnect() runs after every (re)connection so a page can refetch the true state.
  hallq.EVENT_TYPES = ["ticket.issued", "ticket.called", "ticket.recalled", "ticket.started",
    "ticket.finished", "ticket.no_show", "ticket.transferred", "ticket.cancelled", "ticket.rated",
    "window.paused", "window.resumed", "window.signed_in", "window.signed_out", "device.fault",
    "device.cleared", "review.opened", "review.step", "review.closed", "promised.delivered",
    "appointment.booked", "appointment.cancelled", "appointment.checked_in", "stream.reset"];

  hallq.subscribe = function (opts) {
    const state = { lastId: opts.lastId || null, es: null, closed: false, connected: false, retryMs: 1000 };
    const seen = new Set();
    function url() {
      const q = [];
      if (state.lastId !== null) q.push("last_event_id=" + encodeURIComponent(state.lastId));
      // staff pages: the full stream (EventSource cannot send an Authorization header)
      const token = opts.staff ? (opts.token || hallq.token()) : null;
      if (token) q.push("token=" + encodeURIComponent(token));
      return hallq.hallPath("/events") + (q.length ? "?" + q.join("&") : "");
    }
    function handle(msg) {
      const id = parseInt(msg.lastEventId, 10);
      if (msg.type === "stream.reset") {
        // the server's database was restored or swapped: what we saw is gone; start again from
        // this id and let the page redraw from the server's state
        seen.clear();
        if (!isNaN(id)) state.lastId = id;
        try { (opts.onReset || opts.onReconnect || function () {})(); } catch (e) { console.error(e); }
        return;
      }
      if (!isNaN(id)) {
        if (seen.has(id)) return;
        seen.add(id);
        if (seen.size > 5000) seen.clear();
        state.lastId = id;
      }
      let ev;
      try { ev = JSON.parse(msg.data); } catch (e) { return; }
      try { opts.onEvent && opts.onEvent(ev); } catch (e) { console.error(e); }
    }
    function connect() {
      if (state.closed) return;
      const es = new EventSource(url());
      state.es = es;
      hallq.EVENT_TYPES.forEach(function (t) { es.addEventListener(t, handle); });
      es.onmessage = handle;
      es.onopen = function () {
        state.connected = true; state.retryMs = 1000;
        opts.onStatus && opts.onStatus(true);
        try { opts.onReconnect && opts.onReconnect(); } catch (e) { console.error(e); }
      };
      es.onerror = function () {
        state.connected = false;
        opts.onStatus && opts.onStatus(false);
        // The browser's own retry gives up after an HTTP error (server restarting), so we always
        // open a new stream ourselves, carrying the last id we saw.
        es.close();
        setTimeout(connect, state.retryMs);
        state.retryMs = Math.min(state.retryMs * 2, 10000);
      };
    }
    // Start from the newest event when asked: the page fetches the state first, then listens.
    connect();
    return {
      close: function () { state.closed = true; if (state.es) state.es.close(); },
      get connected() { return state.connected; },
      get lastId() { return state.lastId; },
    };
  };

  // ------------------------------------------------------------ language (Chinese by default)
  hallq.langKey = "hallq.lang";
  hallq.lang = function () { return localStorage.getItem(hallq.langKey) || "zh"; };
  hallq.setLang = function (lang) {
    localStorage.setItem(hallq.langKey, lang);
    hallq.applyLang(document);
  };
  hallq.t = function (zh, en) { return hallq.lang() === "en" ? (en || zh) : zh; };
  // Elements with data-zh / data-en get their text from the current language.
  hallq.applyLang = function (root) {
    const lang = hallq.lang();
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    (root || document).querySelectorAll("[data-zh]").forEach(function (el) {
      el.textContent = lang === "en" ? (el.dataset.en || el.dataset.zh) : el.dataset.zh;
    });
    // placeholders in one language at a time: data-ph-zh / data-ph-en
    (root || document).querySelectorAll("[data-ph-zh]").forEach(function (el) {
      el.placeholder = lang === "en" ? (el.dataset.phEn || el.dataset.phZh) : el.dataset.phZh;
    });
  };

  // ------------------------------------------------------------ small DOM helpers
  // el("div", {class: "x"}, "text", child...) builds elements; text is always text (never HTML).
  hallq.el = function (tag, attrs) {
    const node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        const v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "class") node.className = v;
        else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
        else if (k === "dataset") Object.assign(node.dataset, v);
        else node.setAttribute(k, v === true ? "" : v);
      });
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) node.append(x); });
      else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  };

  // $("id"): the element with that id (every page's shorthand, defined once here).
  hallq.$ = function (id) { return document.getElementById(id); };
  hallq.show = function (id, on) {
    const node = typeof id === "string" ? hallq.$(id) : id;
    if (node) node.classList.toggle("hidden", !on);
  };

  // A language button (text "English" / "中文", or short "EN"): toggles, re-applies data-zh/data-en
  // and calls onChange so the page redraws what it built itself.
  hallq.langButton = function (id, onChange, short) {
    const b = hallq.$(id);
    if (!b) return;
    const label = function () { b.textContent = hallq.lang() === "en" ? "中文" : (short ? "EN" : "English"); };
    label();
    b.addEventListener("click", function () {
      hallq.setLang(hallq.lang() === "en" ? "zh" : "en");
      label();
      if (onChange) onChange();
    });
  };

  // ------------------------------------------------------------ one refresh at a time
  // singleFlight(fn) returns run(): while fn runs, a call to run() asks for exactly one more run
  // after it (the newest state wins, no pile-up). An error (even a synchronous throw) is logged and
  // never leaves run() stuck. run.busy() tells whether a run is in flight; run.again() asks for one
  // more if so (an event arrived that the running fetch may have missed).
  hallq.singleFlight = function (fn) {
    let running = null, again = false;
    function run() {
      if (running) { again = true; return running; }
      running = (async function () {
        await null;  // `running` is set before fn starts, even if fn throws at once
        try {
          do {
            again = false;
            try { await fn(); } catch (e) { console.error(e); }
          } while (again);
        } finally {
          running = null;
        }
      })();
      return running;
    }
    run.busy = function () { return running !== null; };
    run.again = function () { if (running) again = true; };
    return run;
  };

  // ------------------------------------------------------------ redraws that keep one's place
  // Live events redraw parts of pages every few seconds in a busy hall. hallq.keepPlace(box, draw)
  // runs draw() (which rebuilds what is inside box) and puts back what the person was doing there:
  // the focused control, found again by what names it (id, name, data-*, aria-label, else its
  // classes) under its data-* ancestors, e.g. li[data-ticket="7"] button.q-call; the caret or
  // selection in it; the scroll of box and of the scrolled boxes inside it.
  function placeOf(node, box) {
    const parts = [];
    for (let n = node; n && n !== box; n = n.parentElement) {
      let s = "";
      if (n.id) s += "#" + CSS.escape(n.id);
      Object.keys(n.dataset).forEach(function (k) {
        s += "[data-" + k.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); }) + '="' + CSS.escape(n.dataset[k]) + '"]';
      });
      if (n === node) {
        ["name", "aria-label"].forEach(function (a) {
          if (n.hasAttribute(a)) s += "[" + a + '="' + CSS.escape(n.getAttribute(a)) + '"]';
        });
        if (!s) s = Array.from(n.classList).map(function (c) { return "." + CSS.escape(c); }).join("");
      }
      if (s || n === node) parts.unshift(n.tagName.toLowerCase() + s);
    }
    return parts.join(" ");
  }
  hallq.keepPlace = function (box, draw) {
    const was = document.activeElement;
    const focused = was && was !== box && box.contains(was) ? placeOf(was, box) : null;
    const caret = focused && typeof was.selectionStart === "number"
      ? [was.selectionStart, was.selectionEnd, was.selectionDirection] : null;
    const scrolls = [];
    [box].concat(Array.from(box.querySelectorAll("*"))).forEach(function (n) {
      if (n.scrollTop || n.scrollLeft) scrolls.push([n === box ? null : placeOf(n, box), n.scrollTop, n.scrollLeft]);
    });
    draw();
    scrolls.forEach(function (s) {
      const n = s[0] === null ? box : box.querySelector(s[0]);
      if (n) { n.scrollTop = s[1]; n.scrollLeft = s[2]; }
    });
    if (focused && !was.isConnected) {
      const again = box.querySelector(focused);
      if (again && !again.disabled) {
        again.focus({ preventScroll: true });
        if (caret) try { again.setSelectionRange(caret[0], caret[1], caret[2]); } catch (e) { /* no caret here */ }
      }
    }
  };

  // ------------------------------------------------------------ staff session
  // The sign-in every staff page shares: the stored token is checked with /auth/me; without one,
  // or when it ends (401), the login form shows. The page passes the ids of its two views and
  // what to do once someone is signed in; the form is #login-form with #username, #password and
  // an optional #login-error box.
  //   const s = hallq.session({ loginView: "login-view", mainView: "main", roles: ["manager"],
  //     denied: ["仅限…", "… only"], onSignedIn: function (me) {...}, onSignedOut: function () {...} });
  //   s.start();  s.expired(err) -> true when err was a 401 (the login form is showing now)
  // The staff pages' small navigation (dashboard, cases, assist desk, admin): links the signed-in
  // role may open, into a <nav id="staff-nav"> on the page's top bar; the page itself is marked.
  hallq.STAFF_PAGES = [
    ["/dashboard", "看板", "Dashboard", ["manager", "admin"]],
    ["/manager/cases", "差评与承诺件", "Cases", ["manager", "admin", "staff"]],
    ["/manager/assist", "帮办代办", "Assist", ["manager", "admin", "staff", "agent"]],
    ["/admin", "系统管理", "Admin", ["admin", "manager"]],
  ];
  hallq.staffNav = function (me) {
    const nav = document.getElementById("staff-nav");
    if (!nav || !me) return;
    const links = hallq.STAFF_PAGES.filter(function (p) { return p[3].indexOf(me.role) >= 0; });
    nav.replaceChildren.apply(nav, links.length < 2 ? [] : links.map(function (p) {
      const a = hallq.el("a", { href: p[0] + location.search, dataset: { zh: p[1], en: p[2] } }, hallq.t(p[1], p[2]));
      if (location.pathname === p[0]) a.setAttribute("aria-current", "page");
      return a;
    }));
  };

  hallq.session = function (o) {
    const $ = hallq.$;
    const s = { me: null };
    function allowed(who) {
      return who && (who.kind === undefined || who.kind === "user") &&
        (!o.roles || o.roles.indexOf(who.role) >= 0);
    }
    function deniedText() { return o.denied ? hallq.t(o.denied[0], o.denied[1]) : hallq.t("无权使用本页面", "Not allowed here"); }
    function loginError(msg) {
      const box = $("login-error");
      if (box) { box.textContent = msg || ""; hallq.show(box, !!msg); }
      else if (msg && o.onError) o.onError(msg);
    }
    s.showLogin = function (msg) {
      s.me = null;
      hallq.show(o.mainView, false);
      hallq.show(o.loginView, true);
      if (o.logoutButton) hallq.show(o.logoutButton, false);
      loginError(msg);
      if (o.onSignedOut) o.onSignedOut();
      const u = $("username");
      if (u) u.focus();
    };
    s.start = async function () {
      if (!hallq.token()) return s.showLogin();
      let me;
      try {
        me = await hallq.api("GET", "/api/v1/auth/me");
      } catch (e) {
        if (e.status === 401 || e.status === 403) { hallq.setToken(null); return s.showLogin(); }
        loginError(e.message);  // the server is away: ask again soon
        setTimeout(s.start, 3000);
        return;
      }
      // a sign-in of another role in this browser (e.g. the caller's) stays as it is
      if (!allowed(me)) return s.showLogin(deniedText());
      s.me = me;
      hallq.staffNav(me);
      loginError(null);
      hallq.show(o.loginView, false);
      hallq.show(o.mainView, true);
      if (o.logoutButton) hallq.show(o.logoutButton, true);
      await o.onSignedIn(me);
    };
    s.expired = function (e) {
      if (!e || e.status !== 401) return false;
      hallq.setToken(null);
      s.showLogin(e.message);
      return true;
    };
    s.signOut = async function () {
      try { await hallq.api("POST", "/api/v1/auth/logout"); } catch (e) { /* it ends anyway */ }
      hallq.setToken(null);
      s.showLogin();
    };
    async function submit(ev) {
      ev.preventDefault();
      const btn = ev.target.querySelector('button[type="submit"]');
      if (btn) btn.disabled = true;
      try {
        const r = await hallq.api("POST", "/api/v1/auth/login",
          { username: $("username").value.trim(), password: $("password").value }, { token: null });
        if (!allowed({ kind: "user", role: r.role })) {
          try { await hallq.api("POST", "/api/v1/auth/logout", undefined, { token: r.token }); } catch (e) { /* ends anyway */ }
          loginError(deniedText());
          return;
        }
        hallq.setToken(r.token);
        $("password").value = "";
        await s.start();
      } catch (e) {
        loginError(e.message);
      } finally {
        if (btn) btn.disabled = false;
      }
    }
    let wired = false;
    function wire() {
      if (wired) return;
      wired = true;
      if ($("login-form")) $("login-form").addEventListener("submit", submit);
      if (o.logoutButton) $(o.logoutButton).addEventListener("click", s.signOut);
    }
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
    else wire();
    return s;
  };

  // ------------------------------------------------------------ labels (one table for every page)
  hallq.LABELS = {
    priority: { elderly: ["老年人优先", "Elderly"], disabled: ["残疾人优先", "Disabled"],
      pregnant: ["孕妇优先", "Pregnant"], veteran: ["军人优先", "Veteran"] },
    outcome: { immediate: ["即办件", "Done on the spot"], promised: ["承诺件", "Promised"],
      escalated: ["上报件", "Escalated"], returned: ["退回补正", "Returned for papers"],
      proxy: ["代办件", "Handled on behalf"] },
    level: { 5: ["非常满意", "Very satisfied"], 4: ["满意", "Satisfied"], 3: ["基本满意", "Fairly satisfied"],
      2: ["不满意", "Dissatisfied"], 1: ["非常不满意", "Very dissatisfied"] },
    reason: { attitude: ["态度", "Attitude"], efficiency: ["效率", "Efficiency"], process: ["流程", "Process"],
      environment: ["环境", "Environment"], other: ["其他", "Other"] },
    role: { staff: ["窗口工作人员", "Window staff"], manager: ["大厅管理人员", "Hall manager"],
      admin: ["系统管理员", "Administrator"], agent: ["帮办员", "Assistance agent"] },
    device: { kiosk: ["取号机", "Kiosk"], display: ["显示屏", "Display"], evaluator: ["评价器", "Evaluator"],
      keypad: ["呼叫器", "Keypad"], casesys: ["办件系统", "Case system"] },
    ticket: { waiting: ["等候中", "Waiting"], called: ["已叫号", "Called"], serving: ["办理中", "Serving"],
      done: ["已办结", "Done"], no_show: ["已过号", "Missed"], cancelled: ["已取消", "Cancelled"] },
  };
  // label("priority", "elderly") -> "老年人优先" / "Elderly"; an unknown key comes back as it is.
  hallq.label = function (kind, key) {
    const pair = hallq.LABELS[kind] && hallq.LABELS[kind][key];
    return pair ? hallq.t(pair[0], pair[1]) : (key === null || key === undefined ? "" : String(key));
  };
  // A hall's name in the current language (hall, service and window records carry name / name_en).
  hallq.name = function (rec) { return rec ? hallq.t(rec.name, rec.name_en || rec.name) : ""; };

  // ------------------------------------------------------------ hall time and formats
  // Times in pages are the hall's local time, whatever the browser's time zone: the zone comes
  // from the server (GET /halls/{hall}). Dates read 2026-11-30 everywhere.
  hallq.tz = null;
  hallq.hallInfo = null;
  hallq.useHall = function (info) {
    hallq.hallInfo = info;
    if (info && info.timezone) hallq.tz = info.timezone;
    return info;
  };
  hallq.loadHall = async function () {
    return hallq.useHall(await hallq.api("GET", hallq.hallPath(""), undefined, { token: null }));
  };
  function parts(iso) {
    const d = iso instanceof Date ? iso : new Date(iso);
    if (isNaN(d)) return null;
    const out = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: hallq.tz || "Asia/Shanghai", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
      .formatToParts(d).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  // "2026-11-30" (a date-only string is shown as it is: it already is a hall day)
  hallq.fmtDate = function (iso) {
    if (!iso) return "";
    if (typeof iso === "string" && /^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
    const p = parts(iso);
    return p ? p.year + "-" + p.month + "-" + p.day : "";
  };
  // A day typed by hand, in the one form both languages read, "2026-11-05" (a date picker shows the
  // browser's own format instead, 11/05/2026 in an English browser); null if it is not a real day.
  // Takes 2026/11/5, 2026.11.5, 20261105, 2026年11月5日 and full-width digits; never a day-month
  // order (5/11/2026 is 5 November in one country and May 11 in another).
  hallq.parseDay = function (text) {
    const s = String(text == null ? "" : text).trim()
      .replace(/[\uFF10-\uFF19\uFF0D\uFF0E\uFF0F]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); });
    const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(s) || /^(\d{4})(\d{2})(\d{2})$/.exec(s);
    if (!m) return null;
    const y = +m[1], mo = +m[2], d = +m[3];
    const dt = new Date(Date.UTC(y, mo - 1, d));
    if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
    return m[1] + "-" + String(mo).padStart(2, "0") + "-" + String(d).padStart(2, "0");
  };
  // What a page says under a day parseDay could not read (zh, en): one wording on every page.
  hallq.DAY_WRONG = ["日期请写成 2026-11-05（年-月-日）", "Write the day as 2026-11-05 (year-month-day)"];
  // Words with each day in them (2026-11-05) kept whole: a narrow message wraps between words,
  // never after a day's hyphen. Returns nodes for append()/replaceChildren().
  hallq.daysWhole = function (words) {
    return String(words).split(/(\d{4}-\d{2}-\d{2})/).map(function (part, i) {
      if (!(i % 2)) return part;
      const span = hallq.el("span", null, part);
      span.style.whiteSpace = "nowrap";
      return span;
    });
  };
  // A form's message starts under the field it is about (not at the row's left edge, a screen's
  // width away) and keeps inside the row; without a field it spans the row as before.
  // message: the box, placed right after `row` (or `row` is the message box itself, as wide as
  // the page's content); field: the field's box, or null.
  hallq.placeUnder = function (message, field, row) {
    message.style.width = ""; message.style.marginLeft = "";
    if (!field || !row) return;
    const room = row.getBoundingClientRect(), at = field.getBoundingClientRect();
    message.style.width = "fit-content";
    const left = Math.min(at.left - room.left, room.width - message.getBoundingClientRect().width);
    if (left > 0) message.style.marginLeft = left + "px";
  };
  hallq.fmtTime = function (iso, seconds) {  // "15:49" in the hall
    const p = iso ? parts(iso) : null;
    return p ? p.hour + ":" + p.minute + (seconds ? ":" + p.second : "") : "";
  };
  hallq.fmtDateTime = function (iso) {  // "2026-11-30 15:49"
    const p = iso ? parts(iso) : null;
    return p ? p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute : "";
  };
  hallq.localTime = hallq.fmtTime;
  // A duration that never wraps mid-way: "4秒", "3分05秒", "1小时02分" / "4 s", "3 min 05 s", "1 h 02 min"
  hallq.fmtDuration = function (s) {
    s = Math.max(0, Math.round(s || 0));
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    const two = function (n) { return String(n).padStart(2, "0"); };
    if (h) return hallq.t(h + "小时" + two(m) + "分", h + " h " + two(m) + " min");
    if (m) return hallq.t(m + "分" + two(sec) + "秒", m + " min " + two(sec) + " s");
    return hallq.t(sec + "秒", sec + " s");
  };
  hallq.fmtMinutes = function (seconds) {
    const m = Math.max(0, Math.round((seconds || 0) / 60));
    return hallq.t("约 " + m + " 分钟", "about " + m + " min");
  };
  // An estimate's 80% range [low, high] seconds as 约 8–15 分钟 / about 8–15 min (low rounded down,
  // high up); "即将叫号" when even the high end is under a minute; the point estimate without a range.
  hallq.fmtWaitRange = function (range, seconds) {
    if (!range) return hallq.fmtMinutes(seconds);
    const lo = Math.max(0, Math.floor(range[0] / 60)), hi = Math.max(lo, Math.ceil(range[1] / 60));
    if (hi < 1) return hallq.t("即将叫号", "any moment");
    if (lo === hi) return hallq.t("约 " + hi + " 分钟", "about " + hi + " min");
    return hallq.t("约 " + lo + "–" + hi + " 分钟", "about " + lo + "–" + hi + " min");
  };
  // A share 0..1 as a whole percent: "97%"
  hallq.fmtPercent = function (x) {
    return x === null || x === undefined ? "—" : Math.round(x * 100) + "%";
  };

  // ------------------------------------------------------------ device heartbeat
  // Tells the server every 30 s that this page is alive: /admin shows when it was last seen and
  // the dashboard raises 设备离线 after 2 minutes of silence. opts.token (a string or a function):
  // the page's device token, by which the server knows it; without one, opts.name names it.
  hallq.heartbeat = function (program, opts) {
    opts = opts || {};
    const probe = { sent: 0, failed: 0, everyMs: 30000 };
    async function beat() {
      const token = typeof opts.token === "function" ? opts.token() : opts.token;
      const body = { program: program };
      if (!token) body.name = opts.name || program;
      try {
        const r = await hallq.api("POST", hallq.hallPath("/devices/heartbeat"), body,
          { token: token || null, timeoutMs: 10000 });
        if (r && r.every_s) probe.everyMs = r.every_s * 1000;
        probe.sent += 1;
      } catch (e) {
        probe.failed += 1;  // the next beat tries again
      }
      setTimeout(beat, probe.everyMs);
    }
    beat();
    return probe;
  };

  global.hallq = hallq;
})(window);
