// The hall manager's dashboard: live hall, KPIs with alerts, SVG charts, reports and exports.
// Data from /api/v1 (stats, stats/live, reports, overview); live updates from the event stream.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const $ = hallq.$;
  const SVGNS = "http://www.w3.org/2000/svg";

  const state = { today: null, live: null, stats: null, report: null, estimates: null, tab: "services",
    fetchedAt: 0, sub: null, liveTimer: null, statsTimer: null, overview: null };

  // ------------------------------------------------------------ formatting
  function mins(s) {
    if (s === null || s === undefined) return "—";
    return (Math.round(s / 6) / 10).toFixed(1) + t(" 分钟", " min");
  }
  // Whole minutes, for estimates (an estimate of "0.0 分钟" claims a precision it does not have).
  function wholeMins(s) {
    if (s === null || s === undefined) return "—";
    return Math.round(s / 60) + t(" 分钟", " min");
  }
  // English names for what the API names in Chinese: services by code or name (from the live
  // answer's name_en); a window by the services it handles (windows have no English name).
  function serviceEn(codeOrName) {
    const list = (state.live && state.live.services) || [];
    const s = list.find(function (x) { return x.code === codeOrName || x.name === codeOrName; });
    return s ? (s.name_en || s.name) : null;
  }
  function svcText(codeOrName, zh) {
    if (H.lang() !== "en") return zh || codeOrName;
    return serviceEn(codeOrName) || serviceEn(zh) || zh || codeOrName;
  }
  function windowName(w) {
    if (H.lang() !== "en") return w.name;
    const names = (w.services || []).map(function (c) { return serviceEn(c); }).filter(Boolean);
    return names.length ? names.join(" · ") : w.name;
  }
  function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%"; }
  function clock(s) {
    if (s === null || s === undefined) return "";
    s = Math.max(0, Math.round(s));
    const m = Math.floor(s / 60), r = s % 60;
    return m + ":" + String(r).padStart(2, "0");
  }
  function cellText(v, kind) {
    if (v === null || v === undefined || v === "") return "";
    if (kind === "pct") return (v * 100).toFixed(1) + "%";
    if (kind === "min" || kind === "h") return Number(v).toFixed(1);
    return String(v);
  }

  // ------------------------------------------------------------ range
  // the range the figures are for: what was last read right, not what is in the fields while a
  // day is being typed (or typed wrong)
  function range() { return state.range || { from: state.today, to: state.today }; }
  function rangeQuery() { const r = range(); return "?from=" + r.from + "&to=" + r.to; }
  function includesToday() { const r = range(); return r.from <= state.today && state.today <= r.to; }
  function setRange(from, to) {
    $("from").value = from; $("to").value = to;
    state.range = { from: from, to: to };
    const p = new URLSearchParams(location.search);
    p.set("from", from); p.set("to", to);
    history.replaceState(null, "", location.pathname + "?" + p.toString());
    loadFigures();
  }

  // ------------------------------------------------------------ sign-in
  const session = H.session({ loginView: "login", mainView: "main", logoutButton: "logout",
    roles: ["manager", "admin"], denied: ["仅限大厅管理人员", "Managers only"], onSignedIn: start });

  // ------------------------------------------------------------ errors
  function handle(e) {
    state.dayWrong = null;
    if (session.expired(e)) return;
    if (e && e.status === 403) { session.showLogin(e.message); return; }
    const box = $("error");
    box.textContent = (e && e.message) || String(e);
    box.classList.remove("hidden");
    H.placeUnder(box, null);
  }
  function clearError() { state.dayWrong = null; $("error").classList.add("hidden"); }
  // a day typed wrong in the from/to field `which`: said under that field, not at the page's far
  // left edge, and again in the other language on a switch
  function sayDayWrong(which) {
    handle(new H.ApiError(400, "invalid_day", H.DAY_WRONG[0], H.DAY_WRONG[0], H.DAY_WRONG[1]));
    state.dayWrong = which;
    H.placeUnder($("error"), $(which).closest("label"), $("error"));
  }

  // ------------------------------------------------------------ live hall
  async function loadLive() {
    try {
      state.live = await H.api("GET", H.hallPath("/stats/live"));
      state.fetchedAt = Date.now();
      renderLive();
    } catch (e) { handle(e); }
  }
  // Throttled, not debounced: a busy hall sends events all the time and must still refresh.
  function scheduleLive(ms) {
    if (state.liveTimer) return;
    state.liveTimer = setTimeout(function () { state.liveTimer = null; loadLive(); }, ms);
  }
  function scheduleStats(ms) {
    if (!includesToday() || state.statsTimer) return;
    state.statsTimer = setTimeout(function () { state.statsTimer = null; loadFigures(); }, ms);
  }
  function windowClass(w) {
    if (w.status === "paused") return "paused";
    if (w.status === "closed") return "closed";
    return w.current ? "busy" : "open";
  }
  function statusText(w) {
    if (w.status === "paused") return t("暂停", "Paused");
    if (w.status === "closed") return t("未签到", "Closed");
    if (!w.current) return t("空闲", "Free");
    return w.current.status === "serving" ? t("办理中", "Serving") : t("已叫号", "Called");
  }
  function renderWindow(w) {
    const since = (Date.now() - state.fetchedAt) / 1000;
    const cur = w.current;
    let time = "";
    if (cur && w.serving_s !== null && w.serving_s !== undefined)
      time = (cur.status === "serving" ? t("办理 ", "serving ") : t("已叫 ", "called ")) + clock(w.serving_s + since);
    else if (w.status === "paused")
      time = (w.pause_reason || "") + " " + clock((w.paused_s || 0) + since);
    return el("div", { class: "win " + windowClass(w), dataset: { window: w.number } },
      el("div", { class: "w-head" }, el("span", { class: "w-no" }, w.number + t(" 号", " ")),
        el("span", { class: "w-status" }, statusText(w))),
      el("div", { class: "w-name" }, windowName(w)),
      el("div", { class: "w-ticket" }, cur ? cur.number : "—"),
      el("div", { class: "w-staff" }, w.staff ? w.staff.name : t("无人签到", "nobody signed in")),
      el("div", { class: "w-time" }, time));
  }
  function renderLive() {
    const L = state.live;
    if (!L) return;
    $("live-time").textContent = L.local_time.slice(11, 16) + " " + t("更新", "updated");
    $("windows").replaceChildren.apply($("windows"), L.windows.map(renderWindow));
    const rows = L.services.map(function (s) {
      return el("tr", { class: s.over_target ? "over" : null, dataset: { service: s.code } },
        el("td", null, t(s.name, s.name_en || s.name)),
        el("td", { class: "waiting" }, String(s.waiting)),
        el("td", null, s.waiting ? mins(s.longest_wait_s) : "—"),
        el("td", null, s.waiting ? wholeMins(s.estimated_wait_s) : "—"),
        el("td", null, Math.round(s.target_wait_s / 60) + t(" 分钟", " min")));
    });
    const tb = $("queues").tBodies[0];
    tb.replaceChildren.apply(tb, rows);
    const alerts = L.alerts.map(function (a) {
      return el("div", { class: "alert " + a.level, dataset: { kind: a.kind } }, t(a.message, a.message_en));
    });
    if (!alerts.length) alerts.push(el("div", { class: "alert none" }, t("当前无告警", "No alerts")));
    $("alerts").replaceChildren.apply($("alerts"), alerts);
  }
  function tick() {  // the serving / paused clocks move every second between fetches
    if (state.live) $("windows").replaceChildren.apply($("windows"), state.live.windows.map(renderWindow));
  }
  function onEvent(ev) {
    if (!state.live) return;
    if (ev.type === "ticket.called" && ev.ticket) {  // show the call at once, then refetch the truth
      const w = state.live.windows.find(function (x) { return x.number === ev.window; });
      if (w) { w.current = ev.ticket; w.serving_s = 0; renderLive(); }
      const card = document.querySelector('.win[data-window="' + ev.window + '"]');
      if (card) card.classList.add("flash");
    }
    scheduleLive(250);
    scheduleStats(3000);
  }

  // ------------------------------------------------------------ KPIs
  function kpi(key, label, value, note, cls) {
    return el("div", { class: "kpi " + (cls || ""), dataset: { kpi: key } },
      el("div", { class: "label" }, label), el("div", { class: "value" }, value),
      note ? el("div", { class: "note" }, note) : null);
  }
  function renderKpis() {
    const S = state.stats;
    if (!S) return;
    const r = range();
    $("kpi-title").textContent = r.from === r.to && r.from === state.today ? t("今日指标", "Today") : t("指标", "Figures");
    $("kpi-range").textContent = r.from === r.to ? r.from : r.from + " — " + r.to;
    const tk = S.tickets, w = S.wait_s, sv = S.service_s, R = S.ratings;
    const cards = [
      kpi("issued", t("取号", "Issued"), String(tk.issued)),
      kpi("served", t("办结", "Served"), String(tk.served)),
      kpi("no_show", t("过号", "No-shows"), String(tk.no_show)),
      kpi("cancelled", t("取消", "Cancelled"), String(tk.cancelled)),
      kpi("mean_wait", t("平均等候", "Mean wait"), mins(w.mean),
        t("中位 ", "median ") + mins(w.median)),
      kpi("p90_wait", t("90%等候", "P90 wait"), mins(w.p90)),
      kpi("mean_service", t("平均办理", "Mean service"), mins(sv.mean),
        t("中位 ", "median ") + mins(sv.median)),
      kpi("within_target", t("目标内叫号", "Called within target"), pct(S.within_target.share),
        S.within_target.count + " / " + S.within_target.of),
      kpi("completion", t("办结率", "Completion rate"), pct(S.completion.rate),
        S.completion.completed + " / " + S.completion.cases),
      kpi("idle", t("窗口空闲占比", "Window idle share"), pct(S.idle.share)),
      kpi("satisfaction", t("满意度", "Satisfaction"), pct(R.satisfaction),
        t("评价 ", "ratings ") + R.count, "good"),
      kpi("good_rate", t("好评率", "Good-review rate"), pct(R.good_rate)),
      kpi("bad", t("差评", "Bad reviews"), String(R.bad), null, R.bad ? "bad" : ""),
      kpi("promised_overdue", t("限时办结件逾期", "Time-limited overdue"), String(S.promised.overdue),
        t("共 " + S.promised.total + " 件 · 办理中 " + S.promised.pending,
          S.promised.total + " in all · " + S.promised.pending + " pending"),
        S.promised.overdue ? "bad" : ""),
      kpi("reviews_open", t("差评整改中", "Review cases open"), String(S.review_cases.open)),
      kpi("reviews_overdue", t("差评整改逾期", "Review cases overdue"), String(S.review_cases.overdue),
        null, S.review_cases.overdue ? "bad" : ""),
      S.notices !== undefined ? kpi("notices", t("一次性告知", "One-time notices"), String(S.notices),
        t("退回补正时出具", "given with returned cases")) : null,
      S.assist ? kpi("assist", t("帮办代办", "Assisted cases"), String(S.assist.requested),
        t("按期办结 ", "done in time ") + S.assist.done_in_time + " / " + S.assist.done +
        t("，超期 ", ", overdue ") + S.assist.overdue, S.assist.overdue ? "bad" : "") : null,
    ];
    $("kpis").replaceChildren.apply($("kpis"), cards.filter(Boolean));
  }

  // ------------------------------------------------------------ charts (SVG)
  function svg(tag, attrs) {
    const n = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === null || c === undefined) continue;
      n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }
  // The axis top for counts: four equal whole-number steps (0, 5, 10, 15, 20), never 18.75 or 0.5.
  function niceMax(v) {
    const need = Math.max(1, Math.ceil(v / 4));
    const p = Math.pow(10, Math.floor(Math.log10(need)));
    const steps = [1, 2, 5, 10];
    for (let i = 0; i < steps.length; i++) if (steps[i] * p >= need) return steps[i] * p * 4;
    return 40 * p;
  }
  // Vertical bars: labels[i], series = [{cls, values, name}], yFmt for the axis.
  function barChart(labels, series, opts) {
    opts = opts || {};
    const W = 520, Hh = 230, L = 40, R = 10, T = 14, B = 34;
    const max = opts.max || niceMax(Math.max.apply(null, [0].concat(series.flatMap(function (s) { return s.values; }))));
    const g = svg("svg", { viewBox: "0 0 " + W + " " + Hh, role: "img" });
    const iw = W - L - R, ih = Hh - T - B;
    for (let k = 0; k <= 4; k++) {
      const y = T + ih - ih * k / 4;
      g.append(svg("line", { x1: L, x2: W - R, y1: y, y2: y, class: k ? "gridline" : "axis" }));
      g.append(svg("text", { x: L - 5, y: y + 4, "text-anchor": "end" }, (opts.yFmt || String)(max * k / 4)));
    }
    const n = labels.length || 1, slot = iw / n, bw = Math.min(48, Math.max(2, slot * 0.8 / series.length));
    // every k-th label, so that labels (about 7 px a character at 12 px) never run into each other:
    // 70 days of "03-11" get one label a week, not 35 labels drawn over one another
    const longest = Math.max.apply(null, [1].concat(labels.map(function (l) { return String(l).length; })));
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(iw / (longest * 7 + 10)))));
    labels.forEach(function (lab, i) {
      series.forEach(function (s, j) {
        const v = s.values[i] || 0, h = ih * v / max;
        const x = L + slot * i + (slot - bw * series.length) / 2 + bw * j;
        const cls = s.clsOf ? s.clsOf(v, i) : s.cls;
        g.append(svg("rect", { x: x.toFixed(1), y: (T + ih - h).toFixed(1), width: bw.toFixed(1),
          height: h.toFixed(1), class: cls }, svg("title", {}, lab + " " + (s.name || "") + ": " + (s.fmt || String)(v))));
        if (v && opts.values) g.append(svg("text", { x: (x + bw / 2).toFixed(1), y: (T + ih - h - 3).toFixed(1),
          "text-anchor": "middle", class: "val" }, (s.fmt || String)(v)));
      });
      if (i % every === 0)
        g.append(svg("text", { x: (L + slot * i + slot / 2).toFixed(1), y: Hh - B + 16, "text-anchor": "middle" }, lab));
    });
    return g;
  }
  function legend(items) {
    return el("div", { class: "legend" }, items.map(function (it) {
      return el("span", null, el("span", { class: "sw " + it[0] }), it[1]);
    }));
  }
  function renderCharts() {
    const S = state.stats;
    if (!S) return;
    // hours the hall saw anything, at least 8-18
    let lo = 8, hi = 18;
    S.arrivals_by_hour.forEach(function (v, h) { if (v || S.calls_by_hour[h]) { lo = Math.min(lo, h); hi = Math.max(hi, h); } });
    const hours = [];
    for (let h = lo; h <= hi; h++) hours.push(h);
    $("chart-hours").replaceChildren(
      barChart(hours.map(function (h) { return String(h); }), [
        { cls: "s1", name: t("取号", "arrivals"), values: hours.map(function (h) { return S.arrivals_by_hour[h]; }) },
        { cls: "s2", name: t("叫号", "calls"), values: hours.map(function (h) { return S.calls_by_hour[h]; }) }],
        { values: true }),
      legend([["s1", t("取号", "Arrivals")], ["s2", t("叫号", "Calls")]]));
    const labels = S.wait_histogram.map(function (b) {
      return b.to_min === null ? "≥" + b.from_min : b.from_min + "-" + b.to_min;
    });
    $("chart-wait").replaceChildren(
      barChart(labels, [{ cls: "s1", name: t("人次", "tickets"), values: S.wait_histogram.map(function (b) { return b.count; }),
        clsOf: function (v, i) { return S.wait_histogram[i].from_min >= 15 ? "s2" : "s1"; } }], { values: true }),
      el("div", { class: "legend" }, t("单位：分钟（橙色为 15 分钟以上）", "minutes (orange: 15 min or more)")));
    const wins = S.windows;
    $("chart-windows").replaceChildren(
      barChart(wins.map(function (w) { return String(w.number); }), [
        { cls: "s3", name: t("办结", "served"), values: wins.map(function (w) { return w.served; }) }], { values: true }),
      el("div", { class: "legend" }, t("横轴：窗口号", "x: window number")));
    const days = S.by_day;
    $("chart-sat").replaceChildren(
      barChart(days.map(function (d) { return d.day.slice(5); }), [
        { cls: "s1", name: t("满意度", "satisfaction"), fmt: function (v) { return Math.round(v) + "%"; },
          values: days.map(function (d) { return d.ratings.satisfaction === null ? 0 : d.ratings.satisfaction * 100; }),
          clsOf: function (v) { return v && v < 90 ? "warn" : "s1"; } }],
        { max: 100, yFmt: function (v) { return v + "%"; }, values: days.length <= 16 }),
      el("div", { class: "legend" }, t("红色：低于 90%", "red: below 90%")));
  }

  // ------------------------------------------------------------ reports
  function renderReport() {
    const rep = state.report;
    if (!rep) return;
    const tabs = rep.tables.filter(function (tb) { return tb.key !== "summary"; });
    // redrawn by live events (today's figures) and by a tab's click: a tab reached with the
    // keyboard keeps the focus, the table its scroll (hallq.keepPlace)
    H.keepPlace($("report-tabs"), function () {
      $("report-tabs").replaceChildren.apply($("report-tabs"), tabs.map(function (tb) {
        return el("button", { type: "button", role: "tab", class: tb.key === state.tab ? "active" : null,
          dataset: { table: tb.key }, onclick: function () { state.tab = tb.key; renderReport(); } },
          t(tb.title, tb.title_en) + " (" + tb.rows.length + ")");
      }));
    });
    const tb = rep.tables.find(function (x) { return x.key === state.tab; }) || tabs[0];
    const stateCol = tb.columns.findIndex(function (c) { return c.key === "state_text"; });
    const flagCol = tb.columns.findIndex(function (c) { return c.key === "flag_text"; });
    const honourCol = tb.columns.findIndex(function (c) { return c.key === "honour"; });
    const en = tb.text_en || {};  // the English of a table's Chinese words (honours, rules)
    // the honours' rule is the same sentence on every row of a kind: on the page it is said once,
    // under the table (the xlsx keeps the column), so the table fits the office screen
    const ruleCol = honourCol >= 0 ? tb.columns.findIndex(function (c) { return c.key === "rule"; }) : -1;
    const head = el("tr", null, tb.columns.map(function (c, i) {
      return i === ruleCol ? null : el("th", { class: c.kind === "text" ? "text" : null }, t(c.zh, c.en));
    }).filter(Boolean));
    const rules = [];
    if (ruleCol >= 0) {
      tb.rows.forEach(function (row) {
        const v = row[honourCol];
        if (row[ruleCol] && !rules.some(function (r) { return r[0] === v; })) rules.push([v, row[ruleCol]]);
      });
    }
    const body = tb.rows.map(function (row) {
      const overdue = stateCol >= 0 && (row[stateCol] === "逾期");
      return el("tr", { class: overdue ? "overdue" : null }, row.map(function (v, i) {
        if (i === ruleCol) return null;
        const c = tb.columns[i];
        if (i === flagCol && v) return el("td", { class: "text" }, el("span", { class: "flag " + (v === "红旗" ? "red" : "yellow") }, t(v, v === "红旗" ? "red flag" : "yellow flag")));
        if (i === honourCol && v) {
          const kind = v === "流动红旗" ? "red" : v === "流动黄旗" ? "yellow" : "star";
          return el("td", { class: "text", dataset: { col: c.key } }, el("span", { class: "flag " + kind }, t(v, en[v] || v)));
        }
        const text = c.kind === "text" && typeof v === "string" ? (en[v] ? t(v, en[v]) : svcText(v, v)) : cellText(v, c.kind);
        return el("td", { class: c.kind === "text" ? "text" : null, dataset: { col: c.key } }, text);
      }).filter(Boolean));
    });
    const table = el("table", { class: "grid", id: "report-" + tb.key }, el("thead", null, head), el("tbody", null, body));
    H.keepPlace($("report-table"), function () { $("report-table").replaceChildren(table); });
    let foot = $("report-rules");
    if (!foot) {
      foot = el("dl", { id: "report-rules", class: "report-rules small" });
      $("report-table").after(foot);
    }
    foot.replaceChildren.apply(foot, rules.length ? [el("dt", null, t("评选规则", "Rules"))].concat(rules.map(function (r) {
      return el("dd", null, el("b", null, t(r[0], en[r[0]] || r[0])), t("：", ": "), t(r[1], en[r[1]] || r[1]));
    })) : []);
    foot.classList.toggle("hidden", !rules.length);
  }
  async function download(fmt) {
    try {
      const resp = await fetch(H.hallPath("/reports") + rangeQuery() + "&format=" + fmt,
        { headers: { "Authorization": "Bearer " + H.token() } });
      if (!resp.ok) throw H.ApiError.fromBody(resp.status, await resp.json().catch(function () { return null; }), resp.statusText);
      const blob = await resp.blob();
      const name = (resp.headers.get("Content-Disposition") || "").split('filename="')[1];
      const a = el("a", { href: URL.createObjectURL(blob), download: name ? name.replace(/"$/, "") : "report." + fmt });
      document.body.append(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    } catch (e) { handle(e); }
  }

  // ------------------------------------------------------------ several halls
  function renderOverview() {
    const O = state.overview;
    if (!O || O.halls.length < 2) { $("overview").classList.add("hidden"); return; }
    $("overview").classList.remove("hidden");
    const cols = [["name", "大厅", "Hall"], ["issued", "取号", "Issued"], ["served", "办结", "Served"],
      ["no_show", "过号", "No-shows"], ["mean_wait_s", "平均等候", "Mean wait"], ["p90_wait_s", "90%等候", "P90 wait"],
      ["within_target_share", "目标内叫号", "Within target"], ["completion_rate", "办结率", "Completion"],
      ["satisfaction", "满意度", "Satisfaction"], ["bad_reviews", "差评", "Bad"],
      ["waiting_now", "当前等候", "Waiting now"], ["open_windows", "开放窗口", "Open windows"]];
    const head = el("tr", null, cols.map(function (c) { return el("th", null, t(c[1], c[2])); }));
    const rows = O.halls.map(function (h) {
      return el("tr", { dataset: { hall: h.hall } }, cols.map(function (c) {
        const v = h[c[0]];
        let txt = v === null || v === undefined ? "—" : String(v);
        if (c[0] === "name") txt = t(h.name, h.name_en || h.name);
        else if (c[0].endsWith("_s")) txt = mins(v);
        else if (/share|rate|satisfaction/.test(c[0])) txt = pct(v);
        return el("td", { class: c[0] === "name" ? "text" : null }, txt);
      }));
    });
    $("overview-table").replaceChildren(el("thead", null, head), el("tbody", null, rows));
    // the switcher is rebuilt only when its halls or the language change: a reload on a live
    // event must not close it under the manager's hand or move its focus
    const sel = $("hall-select");
    const key = [H.lang(), H.hall()].concat(O.halls.map(function (h) {
      return h.hall + "=" + h.name + "=" + (h.name_en || "");
    })).join("|");
    if (sel.dataset.key !== key) {
      sel.replaceChildren.apply(sel, O.halls.map(function (h) {
        return el("option", { value: h.hall, selected: h.hall === H.hall() }, t(h.name, h.name_en || h.name));
      }));
      sel.dataset.key = key;
    }
    sel.classList.remove("hidden");
  }

  // ------------------------------------------------------------ estimate accuracy (docs/kpis.md)
  function renderEstimates() {
    const E = state.estimates;
    if (!E) return;
    const cols = [["label", "业务 / 日期", "Service / day"], ["n", "人次", "Tickets"],
      ["mae_s", "平均绝对误差", "Mean abs. error"], ["bias_s", "平均偏差", "Bias"],
      ["within_5min", "±5分钟内", "Within ±5 min"], ["range_held", "区间命中", "Range held"]];
    const head = el("tr", null, cols.map(function (c) { return el("th", null, t(c[1], c[2])); }));
    function line(label, r, cls) {
      return el("tr", { class: cls || null }, cols.map(function (c) {
        if (c[0] === "label") return el("td", { class: "text" }, label);
        const v = r[c[0]];
        let txt = v === null || v === undefined ? "—" : String(v);
        if (c[0] === "bias_s" && v !== null) txt = (v > 0 ? "+" : "") + wholeMins(v);
        else if (c[0] === "mae_s") txt = wholeMins(v);
        else if (c[0] === "within_5min" || c[0] === "range_held") txt = pct(v);
        return el("td", null, txt);
      }));
    }
    const rows = E.by_service.map(function (r) { return line(H.lang() === "en" ? (r.service_name_en || svcText(r.service, r.service_name)) : r.service_name, r); });
    rows.push(line(t("全部", "All"), E.total, "total"));
    if (E.by_day.length > 1) {
      rows.push(el("tr", { class: "sub" }, el("th", { colspan: cols.length, class: "text" }, t("按日", "By day"))));
      E.by_day.forEach(function (r) { rows.push(line(r.day, r)); });
    }
    if (!E.total.n) rows.splice(0, rows.length, el("tr", null, el("td", { colspan: cols.length, class: "text muted" },
      t("这段时间没有已叫号且有预计等候的号票", "No called tickets with an estimate in this period"))));
    $("estimates-table").replaceChildren(el("thead", null, head), el("tbody", null, rows));
  }

  // ------------------------------------------------------------ loading
  async function loadFigures() {
    const q = rangeQuery();
    try {
      const res = await Promise.all([H.api("GET", H.hallPath("/stats") + q),
        H.api("GET", H.hallPath("/reports") + q), H.api("GET", "/api/v1/overview" + q),
        H.api("GET", H.hallPath("/stats/estimates") + q)]);
      state.stats = res[0]; state.report = res[1]; state.overview = res[2]; state.estimates = res[3];
      // a live update reloads today's figures: a day the manager typed wrong stays said (and
      // marked) until it is put right, only an older load error goes
      if (!state.dayWrong) clearError();
      renderKpis(); renderCharts(); renderReport(); renderOverview(); renderEstimates();
      if (window.hallqPainPoints) await window.hallqPainPoints.load(q);  // 堵点 (dashboard-painpoints.js)
      document.body.dataset.loaded = range().from + ".." + range().to;
    } catch (e) { handle(e); }
  }
  function renderAll() {
    H.applyLang(document);
    if (state.dayWrong) sayDayWrong(state.dayWrong);
    $("conn-text").textContent = state.sub && state.sub.connected ? t("实时", "live") : t("连接中", "connecting");
    if (state.info) $("hall-name").textContent = t(state.info.name, state.info.name_en || state.info.name);
    renderLive(); renderKpis(); renderCharts(); renderReport(); renderOverview(); renderEstimates();
    if (window.hallqPainPoints) window.hallqPainPoints.render();
    if (window.hallqSimulate) window.hallqSimulate.render();  // 模拟排班 (dashboard-simulate.js)
  }

  async function start() {
    try {
      const info = state.info = H.useHall(await H.api("GET", H.hallPath("")));
      $("hall-name").textContent = t(info.name, info.name_en || info.name);
      state.today = info.local_time.slice(0, 10);
    } catch (e) { handle(e); return; }
    const p = new URLSearchParams(location.search);
    const from = H.parseDay(p.get("from")) || state.today, to = H.parseDay(p.get("to")) || from;
    $("from").value = from; $("to").value = to;
    state.range = { from: from, to: to };
    await Promise.all([loadLive(), loadFigures(), window.hallqSimulate ? window.hallqSimulate.start() : null]);
    if (!state.sub) {
      state.sub = H.subscribe({ staff: true,
        onEvent: onEvent,
        onReconnect: function () { scheduleLive(50); },
        onStatus: function (ok) {
          $("conn").className = "conn-dot " + (ok ? "on" : "off");
          $("conn-text").textContent = ok ? t("实时", "live") : t("重新连接中", "reconnecting");
          document.body.dataset.live = ok ? "on" : "off";
        },
      });
      setInterval(tick, 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    H.applyLang(document);
    H.langButton("lang", renderAll);
    // Days read 2026-11-30 in either language (a date picker would show the browser's own format);
    // hallq.parseDay, the pages' one day rule, also reads 2026/11/5, 2026年11月5日, full-width digits.
    function dayChanged(which) {
      const f = H.parseDay($("from").value), to = H.parseDay($("to").value);
      if (f) $("from").value = f;
      if (to) $("to").value = to;
      if (!f || !to) {
        $("from").classList.toggle("bad", !f); $("to").classList.toggle("bad", !to);
        sayDayWrong(f ? "to" : "from");
        return;
      }
      $("from").classList.remove("bad"); $("to").classList.remove("bad");
      clearError();
      if (which === "from" && to < f) $("to").value = f;
      if (which === "to" && to < f) $("from").value = to;
      setRange($("from").value, $("to").value);
    }
    $("from").addEventListener("change", function () { dayChanged("from"); });
    $("to").addEventListener("change", function () { dayChanged("to"); });
    $("btn-today").addEventListener("click", function () { setRange(state.today, state.today); });
    $("btn-month").addEventListener("click", function () { setRange(state.today.slice(0, 8) + "01", state.today); });
    $("btn-quarter").addEventListener("click", function () {
      const y = state.today.slice(0, 4), m = parseInt(state.today.slice(5, 7), 10);
      const qm = String(Math.floor((m - 1) / 3) * 3 + 1).padStart(2, "0");
      setRange(y + "-" + qm + "-01", state.today);
    });
    $("hall-select").addEventListener("change", function () {
      const p = new URLSearchParams(location.search);
      p.set("hall", $("hall-select").value);
      location.search = p.toString();
    });
    $("dl-xlsx").addEventListener("click", function () { download("xlsx"); });
    $("dl-csv").addEventListener("click", function () { download("csv"); });
    session.start();
  });
})();
