// Hall display (叫号屏): the latest call of every window, the newest call large and flashing,
// recent calls, waiting counts, hall name, clock and a scrolling notice. Read-only.
// Live through the hall's event stream; after a drop it resumes with the last event id, so
// every call made meanwhile is shown, and it refetches the state now and then, so it never
// needs a reload, not even after days.
// URL options: ?hall=main  ?layout=portrait|landscape  ?lang=en  ?voice=1 (play the
// server's WAV of each call, in order)  ?flash=8 (seconds the newest call flashes)
// ?device=NAME (this screen's name in /admin's heartbeat list).
(function () {
  "use strict";
  const $ = hallq.$;
  const el = hallq.el;
  const params = new URLSearchParams(location.search);
  const MAX_CALLS = 40;          // calls kept in memory (the page runs for days)
  const REFRESH_MS = 30000;      // state refetch + stalled-stream check

  const state = {
    hall: null,                  // GET /halls/{hall}
    windows: new Map(),          // number -> window dict (from GET …/windows, updated by events)
    services: [],
    calls: [],                   // newest first: {event_id, number, window, type, at}
    shownIds: new Set(),
    clockSkewMs: 0,              // server clock - this screen's clock
    flashMs: 8000,
    flashTimer: null,
    baselineEventId: null,       // the hall's newest event id when this page first looked
    liveIds: new Set(),
    refreshing: 0,               // state fetches in flight ...
    replay: [],                  // ... and the events that arrived meanwhile          // calls that came through the stream (flashed, voiced)
    staleChecks: 0,
  };
  // For tests and the benchmark: when each call reached the screen (epoch ms).
  const probe = window.hallqDisplay = { shown: [], connected: false, reconnects: 0 };

  if (params.get("lang") === "en" || params.get("lang") === "zh") {
    localStorage.setItem(hallq.langKey, params.get("lang"));
  }
  function portrait() {
    const p = params.get("layout");
    if (p === "portrait") return true;
    if (p === "landscape") return false;
    return window.innerHeight > window.innerWidth;
  }
  function applyLayout() { document.documentElement.classList.toggle("portrait", portrait()); }
  applyLayout();
  window.addEventListener("resize", applyLayout);

  // ------------------------------------------------------------ clock and date (hall time)
  function hallTz() { return (state.hall && state.hall.timezone) || "Asia/Shanghai"; }
  function tick() {
    const now = new Date(Date.now() + state.clockSkewMs);
    const en = hallq.lang() === "en";
    try {
      $("clock").textContent = new Intl.DateTimeFormat("zh-CN", { timeZone: hallTz(),
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(now);
      $("date").textContent = hallq.fmtDate(now) + " " + new Intl.DateTimeFormat(en ? "en-GB" : "zh-CN",
        { timeZone: hallTz(), weekday: en ? "short" : "long" }).format(now);
    } catch (e) {
      $("clock").textContent = now.toTimeString().slice(0, 8);
    }
  }
  setInterval(tick, 1000);
  tick();

  // ------------------------------------------------------------ rendering
  function windowLabel(n) { return hallq.t(n + " 号窗口", "Window " + n); }

  function renderHero(flash) {
    const hero = $("hero");
    const call = state.calls[0];
    hero.classList.toggle("idle", !call);
    if (!call) return;
    const en = hallq.lang() === "en";
    $("hero-please").textContent = en ? "Number" : "请";
    $("hero-hao").textContent = en ? "" : "号";
    $("hero-number").textContent = call.number;
    $("hero-number").classList.toggle("long", call.number.length > 4);
    $("hero-number").dataset.eventId = call.event_id;
    const w = $("hero-window");
    w.textContent = "";
    if (en) w.append("please go to window ", el("span", { class: "win-no" }, String(call.window)));
    else w.append("到", el("span", { class: "win-no" }, String(call.window)), "号窗口办理");
    if (flash) {
      hero.classList.remove("flash");
      void hero.offsetWidth;  // restart the animation for a call that follows another
      hero.classList.add("flash");
      clearTimeout(state.flashTimer);
      state.flashTimer = setTimeout(function () { hero.classList.remove("flash"); }, state.flashMs);
    }
  }

  function renderRecent() {
    const list = $("recent");
    list.textContent = "";
    state.calls.slice(1, 7).forEach(function (c) {
      list.append(el("li", { dataset: { eventId: c.event_id } },
        el("span", { class: "num" }, c.number),
        el("span", { class: "to" }, "→ " + windowLabel(c.window)),
        el("span", { class: "at" }, hallq.fmtTime(c.at))));
    });
  }

  const STATUS = {
    called: ["呼叫中", "Calling"], serving: ["办理中", "Serving"], idle: ["空闲", "Free"],
    paused: ["暂停服务", "Paused"], closed: ["未开放", "Closed"],
  };
  function windowClass(w) {
    if (w.status === "paused") return "paused";
    if (w.current && w.current.status === "called") return "called";
    if (w.current) return "serving";
    if (w.status === "closed" || !w.staff) return "closed";
    return "idle";
  }
  function renderWindows(freshWindow) {
    const grid = $("windows");
    grid.textContent = "";
    const list = Array.from(state.windows.values()).sort(function (a, b) { return a.number - b.number; });
    list.forEach(function (w) {
      const cls = windowClass(w);
      let status = hallq.t(STATUS[cls][0], STATUS[cls][1]);
      if ((cls === "serving" || cls === "called" || cls === "idle") && w.staff && w.staff.name) {
        status += " · " + w.staff.name;
      }
      const number = w.current ? w.current.number : "—";
      grid.append(el("div", { class: "win " + cls + (freshWindow === w.number ? " fresh" : ""),
                              dataset: { window: w.number } },
        el("div", { class: "win-badge" }, hallq.lang() === "en" ? el("span", { class: "l" }, "Window") : null,
           el("span", { class: "n" }, String(w.number)),
           hallq.lang() === "en" ? null : el("span", { class: "l" }, "号窗口")),
        cls === "paused"
          // a pause reason is read whole (it may take two lines); the tile says what it handles
          ? el("div", { class: "win-body" }, el("div", { class: "win-status" }, status),
              w.pause_reason ? el("div", { class: "win-reason" + (w.pause_reason.length > 8 ? " long" : "") },
                w.pause_reason) : null)
          : el("div", { class: "win-body" },
              el("div", { class: "win-number" + (number.length > 4 ? " long" : "") }, number),
              el("div", { class: "win-status" }, status)),
        el("div", { class: "win-business" }, business(w))));
    });
  }

  // What a window handles, from its services ("社会事务综合、公共服务" / "Social affairs · Public services").
  function business(w) {
    const names = (w.services || []).map(function (code) {
      const s = state.services.find(function (x) { return x.code === code; });
      return s ? hallq.name(s) : code;
    });
    return names.join(hallq.t("、", " · "));
  }

  // The server's current estimate for a newcomer to this service, as its 80% range (never computed
  // here; worded as on the ticket and the phone page).
  function estimate(s) {
    if (s.open === false) return hallq.t("暂停取号", "closed now");
    if (!s.waiting) return hallq.t("无需等候", "no wait");
    const r = s.estimated_wait_range_s;
    return hallq.fmtWaitRange(r && r.length === 2 ? r : null, s.estimated_wait_s);
  }

  function renderWaiting() {
    const box = $("waiting");
    box.textContent = "";
    state.services.forEach(function (s) {
      const name = hallq.lang() === "en" ? (s.name_en || s.name) : s.name;
      box.append(el("div", { class: "svc" + (s.open === false ? " closed" : ""), dataset: { service: s.code } },
        el("span", { class: "name" }, name),
        el("span", { class: "count" }, String(s.waiting), el("small", null, hallq.t("人", "waiting"))),
        el("span", { class: "est" }, estimate(s))));
    });
  }

  function renderHall() {
    const h = state.hall;
    if (!h) return;
    const en = hallq.lang() === "en";
    $("hall-name").textContent = en ? (h.name_en || h.name) : h.name;
    document.title = (en ? (h.name_en || h.name) : h.name) + " · hallq";
    const text = en ? (h.notice_en || h.notice) : h.notice;
    const n = $("notice");
    if (n.textContent !== (text || "")) {
      n.textContent = text || "";
      // scroll speed independent of length: ~ one screen width in 12 s
      n.style.animationDuration = Math.max(15, Math.round((text || "").length * 0.45 + 12)) + "s";
    }
  }

  function renderAll() {
    hallq.applyLang(document);
    document.body.classList.toggle("lang-en", hallq.lang() === "en");
    renderHall();
    renderHero(false);
    renderRecent();
    renderWindows();
    renderWaiting();
    tick();
  }

  // ------------------------------------------------------------ state from the server
  function addCall(c) {
    if (state.shownIds.has(c.event_id)) return false;
    state.shownIds.add(c.event_id);
    state.calls.push(c);
    state.calls.sort(function (a, b) { return b.event_id - a.event_id; });
    if (state.calls.length > MAX_CALLS) {
      state.calls.splice(MAX_CALLS).forEach(function (old) { state.shownIds.delete(old.event_id); });
    }
    return true;
  }

  // One state fetch at a time (a periodic refresh and a reconnect may ask together).
  const refresh = hallq.singleFlight(loadState);
  async function loadState() {
    state.refreshing += 1;
    const results = await Promise.allSettled([
      hallq.api("GET", hallq.hallPath("")),
      hallq.api("GET", hallq.hallPath("/windows")),
      hallq.api("GET", hallq.hallPath("/services")),
      hallq.api("GET", hallq.hallPath("/announcements?limit=10")),
    ]);
    const [hall, windows, services, recent] = results.map(function (r) {
      return r.status === "fulfilled" ? r.value : null;
    });
    if (hall) {
      state.hall = hallq.useHall(hall);
      if (hall.local_time) {
        const server = Date.parse(hall.local_time);
        if (!isNaN(server)) state.clockSkewMs = server - Date.now();
      }
      const flash = parseInt(params.get("flash") || (hall.announce && hall.announce.flash_s) || 8, 10);
      state.flashMs = (isNaN(flash) ? 8 : flash) * 1000;
    }
    if (windows) {
      const keep = new Map();
      windows.forEach(function (w) {
        keep.set(w.number, w);
      });
      state.windows = keep;
    }
    if (services) state.services = services;
    try {
      state.replay.forEach(applyEvent);
    } catch (e) {
      console.error(e);  // one bad event must not leave the display stuck in "refreshing"
    } finally {
      state.refreshing -= 1;
      if (state.refreshing === 0) state.replay = [];
    }
    if (recent) {
      (recent.items || []).slice().reverse().forEach(function (a) {
        addCall({ event_id: a.event_id, number: a.number, window: a.window, type: a.type, at: a.at });
      });
      checkStalled(recent.last_event_id || 0);
    }
    renderAll();
  }

  // An event stream can die without an error (a NAT or Wi-Fi drop): when the server has newer
  // events than we got, twice in a row, open a new stream from the last event we saw.
  function checkStalled(serverLast) {
    const mine = sub && sub.lastId !== null ? sub.lastId : state.baselineEventId;
    if (mine === null) { state.baselineEventId = serverLast; return; }  // the first look
    if (serverLast > mine) {
      state.staleChecks += 1;
      if (state.staleChecks >= 2) {
        state.staleChecks = 0;
        sub.close();
        probe.reconnects += 1;
        sub = subscribe(mine);
      }
    } else {
      state.staleChecks = 0;
    }
  }

  // ------------------------------------------------------------ live events
  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 300);
  }

  // What an event does to the windows and waiting counts (no drawing). Also replayed on top of
  // a snapshot fetched while events were arriving: the snapshot may be older than they are.
  function applyEvent(ev) {
    const t = ev.ticket || {};
    if (ev.waiting) {
      state.services.forEach(function (s) { if (s.code in ev.waiting) s.waiting = ev.waiting[s.code]; });
    }
    const w = ev.window ? state.windows.get(ev.window) : null;
    if (!w) return;
    switch (ev.type) {
      case "ticket.called":
      case "ticket.recalled":
        w.current = Object.assign({}, t, { status: "called" });
        if (w.status !== "paused") w.status = "open";
        break;
      case "ticket.started":
        if (w.current && w.current.number === t.number) w.current.status = "serving";
        break;
      case "ticket.finished":
      case "ticket.no_show":
      case "ticket.transferred":
      case "ticket.cancelled":
        if (w.current && w.current.number === t.number) w.current = null;
        break;
      default:
        break;
    }
  }

  // The queue changed: the server's estimates did too. Ask for them at most every 5 s.
  let estimatesTimer = null;
  function estimatesSoon() {
    if (estimatesTimer) return;
    estimatesTimer = setTimeout(async function () {
      estimatesTimer = null;
      try {
        const fresh = await hallq.api("GET", hallq.hallPath("/services"));
        const by = new Map(fresh.map(function (s) { return [s.code, s]; }));
        state.services.forEach(function (s) {  // counts stay as the events left them
          const f = by.get(s.code);
          if (f) { s.estimated_wait_s = f.estimated_wait_s; s.estimated_wait_range_s = f.estimated_wait_range_s; s.open = f.open; }
        });
        renderWaiting();
      } catch (e) { /* the 30 s refresh brings them */ }
    }, 5000);
  }

  function onEvent(ev) {
    if (state.refreshing > 0) state.replay.push(ev);
    applyEvent(ev);
    const t = ev.ticket || {};
    if (ev.type === "ticket.called" || ev.type === "ticket.recalled") {
      addCall({ event_id: ev.id, number: t.number, window: ev.window, type: ev.type, at: ev.at });
      if (!state.liveIds.has(ev.id)) {
        state.liveIds.add(ev.id);
        if (state.liveIds.size > 2000) state.liveIds.clear();
        probe.shown.push({ event_id: ev.id, number: t.number, window: ev.window, at: Date.now() });
        if (probe.shown.length > 500) probe.shown.splice(0, 250);
        renderHero(state.calls[0] && state.calls[0].event_id === ev.id);
        renderRecent();
        voice.enqueue(ev.id);
      }
      renderWindows(ev.window);
    } else if (ev.window) {
      renderWindows();
    }
    if (ev.waiting) { renderWaiting(); estimatesSoon(); }
    if (ev.type.indexOf("window.") === 0) refreshSoon();
  }

  function subscribe(from) {
    return hallq.subscribe({
      lastId: from,
      onEvent: onEvent,
      onReconnect: refresh,  // also the first connection: state after the stream is open
      // the server's database was restored: calls we showed may never have happened there, and
      // event ids we saw may come again for new calls; forget them and redraw from the server
      onReset: function () {
        state.calls = [];
        state.shownIds.clear();
        state.liveIds.clear();
        state.baselineEventId = null;
        refresh();
      },
      onStatus: function (up) {
        probe.connected = up;
        $("conn").className = "conn-dot " + (up ? "on" : "off");
      },
    });
  }

  // ------------------------------------------------------------ voice (?voice=1)
  // Plays the server's WAV of each call, one after another; none cut off, none dropped.
  const voice = (function () {
    const on = params.get("voice") === "1";
    const queue = [];
    let playing = false;
    let blocked = false;
    function next() {
      if (playing || blocked || !queue.length) return;
      const id = queue[0];
      const audio = new Audio(hallq.hallPath("/announcements/" + id + ".wav"));
      playing = true;
      const done = function () { playing = false; queue.shift(); next(); };
      audio.addEventListener("ended", done);
      audio.addEventListener("error", done);
      audio.play().then(function () {
        probe.audio = probe.audio || [];
        probe.audio.push({ event_id: id, at: Date.now() });
        if (probe.audio.length > 500) probe.audio.splice(0, 250);
      }).catch(function (err) {
        playing = false;
        if (err && err.name === "NotAllowedError") {  // autoplay blocked: wait for a click
          blocked = true;
          $("sound").classList.remove("hidden");
        } else { queue.shift(); next(); }
      });
    }
    $("sound").addEventListener("click", function () {
      blocked = false;
      $("sound").classList.add("hidden");
      next();
    });
    return {
      enqueue: function (id) {
        if (!on) return;
        if (queue.length > 50) queue.splice(1, queue.length - 50);  // hours behind: keep the newest
        queue.push(id);
        next();
      },
    };
  })();

  // ------------------------------------------------------------ start
  $("lang").addEventListener("click", function () {
    hallq.setLang(hallq.lang() === "en" ? "zh" : "en");
    renderAll();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "l" || e.key === "L") $("lang").click();
  });
  let sub = subscribe(null);
  setInterval(refresh, REFRESH_MS);
  // ?device=NAME tells this screen apart from the hall's other screens in /admin
  probe.heartbeat = hallq.heartbeat("display-page", { name: params.get("device") || "叫号屏" });
  renderAll();
})();
