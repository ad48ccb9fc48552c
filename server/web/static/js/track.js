// The ticket on the resident's phone (/t/{token}): number, people ahead, estimated wait (a range), live from
// the hall's event stream; when called, which window, with vibration and a beep (WebAudio, no file).
(function () {
  "use strict";
  const $ = hallq.$;
  const t = hallq.t;
  const token = decodeURIComponent(location.pathname.split("/t/")[1] || "").replace(/\/$/, "");
  const FINAL = ["done", "no_show", "cancelled"];
  let ticket = null, sub = null, refetchTimer = null, audio = null, lastCall = null;
  let alerts = 0, alerted = false;  // alerted: the event already rang for the coming refetch

  // ------------------------------------------------------------ sound + vibration
  function audioContext() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!audio) audio = new AC();
    return audio;
  }
  function beep() {
    const ctx = audioContext();
    if (!ctx) return false;
    if (ctx.state === "suspended") ctx.resume();
    const now = ctx.currentTime;
    for (let i = 0; i < 3; i++) {  // three short high beeps
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now + i * 0.4);
      gain.gain.exponentialRampToValueAtTime(0.5, now + i * 0.4 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.4 + 0.28);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + i * 0.4);
      osc.stop(now + i * 0.4 + 0.3);
    }
    return ctx.state === "running";
  }
  function alertCalled() {
    alerts += 1;
    document.body.dataset.alerts = String(alerts);
    if (navigator.vibrate) navigator.vibrate([500, 200, 500, 200, 500]);
    const ok = beep();
    document.body.dataset.beeped = ok ? "yes" : "blocked";
    if (!ok) {
      $("sound").classList.remove("hidden");
      const ctx = audioContext();  // a context that was only waking up: record it once it runs
      if (ctx) ctx.resume().then(function () {
        if (ctx.state === "running") { document.body.dataset.beeped = "yes"; checkSoundAllowed(); }
      });
    }
  }
  function checkSoundAllowed() {
    const ctx = audioContext();
    // a finished ticket is never called again: no sound to turn on
    const over = ticket !== null && FINAL.includes(ticket.status);
    $("sound").classList.toggle("hidden", over || !ctx || ctx.state === "running");
  }

  // ------------------------------------------------------------ rendering
  // After the window: a time-limited case (承诺件, 上报件, 代办件) shows its due date until the result
  // is ready (办结/出件).
  function caseText(c) {
    if (!c || !c.tracked) return "";
    const kind = hallq.label("outcome", c.outcome);
    if (c.delivered) return kind + t(" · 已办结，结果已交付", " · done, result handed over");
    if (c.overdue) return kind + t(" · 已超过办结期限 " + c.due_date + "，请联系大厅", " · past its due date " + c.due_date + ", please contact the hall");
    return kind + t(" · 办理中，办结期限 " + c.due_date, " · in progress, due by " + c.due_date);
  }
  function statusText(tk) {
    const w = tk.window;
    switch (tk.status) {
      case "waiting": return tk.ahead > 0 ? t("排队等候中", "Waiting") : t("下一位就是您，请留意叫号", "You are next");
      case "called": return t("请到 " + w + " 号窗口办理", "Please go to window " + w);
      case "serving": return t("正在 " + w + " 号窗口办理", "Being served at window " + w);
      case "done": return caseText(tk.case) || (tk.rating && tk.rating.open ? t("已办结", "Done")
        : t("已办结，感谢您的评价", "Done. Thank you for your rating"));
      case "no_show": return t("已过号，请到咨询台重新取号", "Missed. Please ask at the help desk");
      case "cancelled": return t("号票已取消", "Ticket cancelled");
      default: return tk.status;
    }
  }
  function render(tk) {
    document.documentElement.dataset.hall = tk.hall;
    hallq.useHall({ timezone: tk.timezone });  // times on this page are the hall's, not the phone's
    $("hall-name").textContent = hallq.t(tk.hall_name, tk.hall_name_en || tk.hall_name);
    // a priority resident is told so (老年人优先 ...), so they know why they may be called sooner
    $("priority").textContent = tk.priority ? hallq.label("priority", tk.priority) : "";
    $("priority").classList.toggle("hidden", !tk.priority);
    $("service").textContent = hallq.lang() === "en" ? (tk.service_name_en || tk.service_name) : tk.service_name;
    $("number").textContent = tk.number;
    $("status").textContent = statusText(tk);
    $("ahead").textContent = tk.status === "waiting" ? String(tk.ahead) : "-";
    // The 80% range (约 8–15 分钟), following the queue: every event of our service refetches it.
    const waiting = tk.status === "waiting";
    $("wait").textContent = waiting ? hallq.fmtWaitRange(tk.estimated_wait_range_s, tk.estimated_wait_s)
      .replace(/^约 |^about /, "") : "-";
    $("wait").dataset.seconds = waiting ? String(tk.estimated_wait_s) : "";
    $("wait").classList.toggle("long", $("wait").textContent.length > 9);  // "25–120 分钟" still fits
    $("wait-point").textContent = waiting && tk.estimated_wait_range_s && tk.estimated_wait_range_s[1] >= 60
      ? t("最可能 ", "most likely ") + hallq.fmtMinutes(tk.estimated_wait_s).replace(/^约 |^about /, "") : "";
    const called = tk.status === "called";
    $("called").classList.toggle("hidden", !called);
    $("called-window").textContent = called ? t(tk.window + " 号窗口", "Window " + tk.window) : "";
    document.body.dataset.state = tk.status;
    document.title = tk.number + " · " + (called ? t("请到 " + tk.window + " 号窗口", "Window " + tk.window) : t("我的号票", "My ticket"));
    $("updated").textContent = t("更新于 ", "Updated ") + hallq.fmtTime(new Date(), true);
    $("card").classList.remove("hidden");
    if (window.hallqTrackRating) window.hallqTrackRating.render(tk, token);  // 好差评 after the visit
  }

  async function refresh() {
    try {
      const tk = await hallq.api("GET", "/api/v1/track/" + encodeURIComponent(token), undefined, { token: null });
      const first = ticket === null;
      ticket = tk;
      $("error").classList.add("hidden");
      render(tk);
      if (tk.status === "called" && tk.called_at !== lastCall) {  // called or recalled
        if (alerted) alerted = false; else alertCalled();
      }
      if (tk.status === "called") lastCall = tk.called_at;
      if (first) subscribe();
      if (FINAL.includes(tk.status) && sub) { sub.close(); sub = null; }
      if (FINAL.includes(tk.status)) checkSoundAllowed();
    } catch (e) {
      if (e.status === 404) return unknown();
      const box = $("error");
      box.textContent = e.message;
      box.classList.remove("hidden");
    }
  }

  // No such ticket (a mistyped address, or a ticket of an earlier day): say what to do next.
  function unknown() {
    $("card").classList.add("hidden");
    $("hall-name").textContent = t("我的号票", "My ticket");
    document.title = t("我的号票", "My ticket");
    document.body.dataset.state = "unknown";
    $("unknown").classList.remove("hidden");
  }
  function soon() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(refresh, 150);
  }

  // An event concerns us when it is about our ticket, or it moves our service's queue.
  function concerns(ev) {
    if (!ticket) return false;
    if (ev.ticket_id === ticket.id) return true;
    const tk = ev.ticket;
    if (!tk) return false;
    return tk.service === ticket.service || ev.from_service === ticket.service || ev.to_service === ticket.service;
  }

  function subscribe() {
    if (sub || FINAL.includes(ticket.status)) return;
    sub = hallq.subscribe({
      onEvent: function (ev) {
        if (ev.type === "ticket.recalled" && ev.ticket_id === ticket.id && ticket.status === "called") {
          alertCalled(); alerted = true;  // a recall may carry the same minute as the first call
        }
        if (concerns(ev)) soon();
      },
      onReconnect: soon,
      onStatus: function (on) { $("conn").className = "conn-dot " + (on ? "on" : "off"); },
    });
  }

  function setLangButton() { $("lang").textContent = hallq.lang() === "en" ? "中文" : "EN"; }

  document.addEventListener("DOMContentLoaded", function () {
    hallq.applyLang(document); setLangButton();
    $("lang").addEventListener("click", function () {
      hallq.setLang(hallq.lang() === "en" ? "zh" : "en"); setLangButton();
      if (ticket) render(ticket);
    });
    $("sound").addEventListener("click", function () {
      const ctx = audioContext();
      if (ctx) ctx.resume().then(checkSoundAllowed);
      beep();
    });
    checkSoundAllowed();
    refresh();
    setInterval(function () { if (!ticket || !FINAL.includes(ticket.status)) refresh(); }, 30000);  // safety net
  });
})();
