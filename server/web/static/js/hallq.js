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

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }
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
        throw new ApiError(0, "network", hallq.t("网络连接失败,请稍候重试", "Network error, retrying soon"));
      }
      try { data = await resp.json(); } catch (e) { data = null; }
    } finally {
      clearTimeout(timer);
    }
    if (!resp.ok) {
      throw new ApiError(resp.status, (data && data.error) || "http_" + resp.status,
        (data && data.message) || resp.statusText);
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
    "appointment.booked", "appointment.cancelled", "appointment.checked_in"];

  hallq.subscribe = function (opts) {
    const state = { lastId: opts.lastId || null, es: null, closed: false, connected: false, retryMs: 1000 };
    const seen = new Set();
    function url() {
      let u = hallq.hallPath("/events");
      if (state.lastId !== null) u += "?last_event_id=" + encodeURIComponent(state.lastId);
      return u;
    }
    function handle(msg) {
      const id = parseInt(msg.lastEventId, 10);
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

  hallq.fmtMinutes = function (seconds) {
    const m = Math.max(0, Math.round((seconds || 0) / 60));
    return hallq.t("约 " + m + " 分钟", "about " + m + " min");
  };
  hallq.localTime = function (iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleTimeString("zh-CN", { hour12: false, hour: "2-digit", minute: "2-digit" });
  };

  global.hallq = hallq;
})(window);
