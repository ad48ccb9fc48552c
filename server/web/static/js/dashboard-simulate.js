// The dashboard's 模拟排班 panel: the manager picks a day (a past day of the hall or a sample day),
// adds staffing changes row by row (window, the services it serves or 休息, from-to), runs the
// what-if on the server (POST …/simulations, then polls the job), and reads the waits as staffed
// against the waits with the changes: by service, by hour, the longest waits, a bar chart, an xlsx.
// A sample day is played on several sampled days: the figures are the days' averages, with the range
// over the days (small print, the chart's thin lines), a verdict (shorter on how many days) and a tab
// of the days one by one.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const $ = H.$;
  const SVGNS = "http://www.w3.org/2000/svg";
  const POLL_MS = 700;
  const st = { opts: null, rows: [], job: null, timer: null, tab: "services", hourService: "", started: false };

  // ------------------------------------------------------------ names and numbers
  function serviceName(code) {
    const s = st.opts && st.opts.services.find(function (x) { return x.code === code; });
    return s ? t(s.name, s.name_en) : code;
  }
  function rowName(r) { return t(r.name, r.name_en); }
  function minutes(s) { return s === null || s === undefined ? "—" : (s / 60).toFixed(1); }
  function change(s) {
    if (s === null || s === undefined) return "—";
    const m = s / 60;
    if (Math.abs(m) < 0.05) return "0.0";
    return (m > 0 ? "+" : "−") + Math.abs(m).toFixed(1);
  }
  function range(pair) { return pair ? minutes(pair[0]) + "–" + minutes(pair[1]) : "—"; }
  // several sampled days (a sample day), or one (a replayed day)
  function dayCount(res) { return (res && res.days && res.days.length) || 1; }
  function tickets(v) {  // a day's tickets; averaged over days they have a decimal
    if (Number.isInteger(v)) return String(v);
    return v >= 10 ? String(Math.round(v)) : v.toFixed(1);
  }
  // how the change of the mean wait went over the days: [long text, short text, class]
  function verdict(sp) {
    const n = sp.days, sh = sp.shorter_days, lo = sp.longer_days;
    if (sh === n) return [t(n + " 天都缩短", "Shorter on all " + n + " days"), t("天天缩短", "shorter every day"), "better"];
    if (lo === n) return [t(n + " 天都变长", "Longer on all " + n + " days"), t("天天变长", "longer every day"), "worse"];
    if (!sh && !lo) return [t(n + " 天都差不多", "About the same on all " + n + " days"), t("差不多", "about the same"), "same"];
    const zh = [], en = [];  // "5 天中 1 天缩短、2 天变长": on how many of the days which way
    if (sh) { zh.push(sh + " 天缩短"); en.push("shorter on " + sh); }
    if (lo) { zh.push(lo + " 天变长"); en.push("longer on " + lo); }
    const cls = sh && lo ? "mixed" : (sh ? "better" : "worse");
    const enText = en.join(", ");
    return [t(n + " 天中 " + zh.join("、"), enText.charAt(0).toUpperCase() + enText.slice(1) + " of " + n + " days"),
      t(zh.join("、"), enText + (sh + lo === 1 ? " day" : " days")), cls];
  }
  function changeClass(s) {
    if (s === null || s === undefined || Math.abs(s) < 30) return "same";  // under half a minute: noise
    return s > 0 ? "worse" : "better";
  }
  function clockList() {  // half hours from the first opening to the last closing
    const spans = (st.opts && st.opts.hours) || ["08:30-17:30"];
    let lo = 24 * 60, hi = 0;
    spans.forEach(function (sp) {
      const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(sp.trim());
      if (!m) return;
      lo = Math.min(lo, +m[1] * 60 + +m[2]);
      hi = Math.max(hi, +m[3] * 60 + +m[4]);
    });
    if (hi <= lo) { lo = 8 * 60 + 30; hi = 17 * 60 + 30; }
    const out = [];
    for (let x = Math.floor(lo / 30) * 30; x <= hi; x += 30)
      out.push(String(Math.floor(x / 60)).padStart(2, "0") + ":" + String(x % 60).padStart(2, "0"));
    return out;
  }

  // ------------------------------------------------------------ the form
  function newRow() {
    const clocks = clockList();
    const from = clocks.indexOf("09:00") >= 0 ? "09:00" : clocks[0];
    const to = clocks.indexOf("11:00") >= 0 ? "11:00" : clocks[Math.min(clocks.length - 1, 4)];
    const w = st.opts.windows[0];
    return { window: w ? w.number : 1, services: [], off: false, from: from, to: to };
  }
  function select(attrs, options, value, onchange) {
    const s = el("select", attrs, options.map(function (o) {
      return el("option", { value: o[0], selected: String(o[0]) === String(value) }, o[1]);
    }));
    s.addEventListener("change", function () { onchange(s.value); });
    return s;
  }
  function renderRows() {
    const box = $("sim-changes");
    const clocks = clockList().map(function (c) { return [c, c]; });
    const lines = st.rows.map(function (r, i) {
      const win = st.opts.windows.find(function (w) { return w.number === r.window; });
      // what the window serves now, each name whole (a line breaks only between names)
      const now = [t("现办：", "Now: ")];
      (win ? win.services : []).forEach(function (c, k) {
        if (k) now.push(t("、", ", "));
        now.push(el("span", { class: "nw" }, serviceName(c)));
      });
      const day = chosenDay();
      const closed = day && day.windows.indexOf(r.window) < 0;
      const chips = st.opts.services.map(function (s) {
        const box = el("input", { type: "checkbox", value: s.code, checked: r.services.indexOf(s.code) >= 0,
          disabled: r.off, dataset: { service: s.code } });
        box.addEventListener("change", function () {
          r.services = st.opts.services.map(function (x) { return x.code; }).filter(function (c) {
            return c === s.code ? box.checked : r.services.indexOf(c) >= 0;
          });
        });
        return el("label", { class: "chip" + (r.off ? " dim" : "") }, box, t(s.name, s.name_en));
      });
      const off = el("input", { type: "checkbox", checked: r.off, dataset: { off: "1" } });
      off.addEventListener("change", function () { r.off = off.checked; renderRows(); });
      chips.push(el("label", { class: "chip off" }, off, t("休息（无人）", "Off (unstaffed)")));
      const del = el("button", { type: "button", class: "ghost sim-del", title: t("删除这项调整", "Remove this change") },
        t("删除", "Remove"));
      del.addEventListener("click", function () { st.rows.splice(i, 1); renderRows(); });
      return el("div", { class: "sim-row", dataset: { row: String(i) } },
        el("div", { class: "sim-win" },
          el("label", null, el("span", { class: "lbl" }, t("窗口", "Window")),
            select({ class: "sim-window", "aria-label": t("窗口", "Window") }, st.opts.windows.map(function (w) {
              return [w.number, t(w.number + " 号窗口", "Window " + w.number)];
            }), r.window, function (v) { r.window = parseInt(v, 10); renderRows(); })),
          el("div", { class: "muted small now" }, now),
          closed ? el("div", { class: "small off-day" }, t("当天无人（重放时关闭）", "Nobody there that day")) : null),
        el("div", { class: "sim-services" }, chips),
        el("label", { class: "sim-time" }, el("span", { class: "lbl" }, t("从", "From")),
          select({ class: "sim-from" }, clocks, r.from, function (v) { r.from = v; })),
        el("label", { class: "sim-time" }, el("span", { class: "lbl" }, t("至", "To")),
          select({ class: "sim-to" }, clocks, r.to, function (v) { r.to = v; })),
        del);
    });
    if (!lines.length) lines.push(el("p", { class: "muted" }, t("还没有调整：点「添加调整」", "No changes yet: press Add a change")));
    // redrawn by each choice in a row and when a run ends: the control the manager is on keeps
    // the focus (hallq.keepPlace)
    H.keepPlace(box, function () { box.replaceChildren.apply(box, lines); });
    $("sim-add").disabled = st.rows.length >= st.opts.max_changes || running();
  }
  function renderDays() {
    const sel = $("sim-day");
    const keep = sel.value;
    const groups = [];
    if (st.opts.days.length) groups.push(el("optgroup", { label: t("本厅过去的日子（重放）", "Past days of this hall (replayed)") },
      st.opts.days.map(function (d) {
        return el("option", { value: "day:" + d.day }, d.day + t("（" + d.called + " 人次）", " (" + d.called + " called)"));
      })));
    if (st.opts.samples.length) groups.push(el("optgroup", { label: t("示例日", "Sample days") },
      st.opts.samples.map(function (s) { return el("option", { value: "sample:" + s.sample }, sampleName(s.name)); })));
    sel.replaceChildren.apply(sel, groups);
    if (keep && [].some.call(sel.options, function (o) { return o.value === keep; })) sel.value = keep;
  }
  // a sample's name reads "三都镇 · 平常的忙日 (Sandu, a busy ordinary day)": one language at a time
  function sampleName(name) {
    const m = /^(.*?)\s*\(([^()]*)\)\s*$/.exec(name || "");
    return m ? t(m[1], m[2]) : name;
  }
  // the past day chosen (with the windows that called anyone), or null for a sample day
  function chosenDay() {
    const v = $("sim-day").value || "";
    return v.indexOf("day:") === 0 ? st.opts.days.find(function (d) { return d.day === v.slice(4); }) || null : null;
  }
  function running() { return !!(st.job && st.job.status === "running"); }

  // ------------------------------------------------------------ running
  function showError(msg) {
    const box = $("sim-error");
    box.textContent = msg || "";
    H.show(box, !!msg);
  }
  function check() {
    if (!st.rows.length) return t("请至少添加一项调整", "Add at least one change");
    for (let i = 0; i < st.rows.length; i++) {
      const r = st.rows[i];
      if (!r.off && !r.services.length) return t("第 " + (i + 1) + " 项：请选择业务或休息", "Change " + (i + 1) + ": choose services or off");
      if (r.to <= r.from) return t("第 " + (i + 1) + " 项：结束时间应晚于开始时间", "Change " + (i + 1) + ": the end must come after the start");
    }
    return null;
  }
  async function run() {
    if (!$("sim-day").value) {
      showError(t("没有可模拟的日子：本厅还没有叫过号的日子，也没有适合本厅的示例日",
        "Nothing to play: no past day with calls and no sample day that fits this hall"));
      return;
    }
    const problem = check();
    if (problem) { showError(problem); return; }
    showError(null);
    const day = $("sim-day").value;
    const body = { changes: st.rows.map(function (r) {
      return r.off ? { window: r.window, off: true, from: r.from, to: r.to }
        : { window: r.window, services: r.services, from: r.from, to: r.to };
    }) };
    if (day.indexOf("day:") === 0) body.day = day.slice(4); else body.sample = day.slice(7);
    $("sim-run").disabled = true;
    try {
      st.job = await H.api("POST", H.hallPath("/simulations"), body);
      follow();
    } catch (e) {
      showError(e.message);
      $("sim-run").disabled = false;
    }
  }
  function follow() {
    renderProgress();
    clearTimeout(st.timer);
    st.timer = setTimeout(poll, POLL_MS);
  }
  async function poll() {
    if (!st.job) return;
    try {
      st.job = await H.api("GET", H.hallPath("/simulations/" + encodeURIComponent(st.job.id)));
    } catch (e) {
      if (e.status === 404) { st.job = null; showError(e.message); renderProgress(); return; }
      // the server is away for a moment: keep asking
    }
    if (running()) { follow(); return; }
    renderProgress();
    if (st.job.status === "failed") showError(t(st.job.error.message_zh, st.job.error.message_en));
    else render();
  }
  function renderProgress() {
    const busy = running();
    $("sim-status").classList.remove("warn");
    H.show("sim-progress", busy);
    $("sim-run").disabled = busy;
    $("sim-add").disabled = busy || (st.opts && st.rows.length >= st.opts.max_changes);
    document.getElementById("sim-panel").dataset.state = st.job ? st.job.status : "idle";
    if (busy) {
      const pct = Math.round(st.job.progress * 100);
      $("sim-progress").value = pct;
      const secs = Math.round(st.job.elapsed_s);
      $("sim-status").textContent = pct ? t("模拟中…… " + pct + "%（已用 " + secs + " 秒）", "Simulating… " + pct + "% (" + secs + " s)")
        : t("正在准备……（已用 " + secs + " 秒）", "Getting ready… (" + secs + " s)");
    } else if (st.job && st.job.status === "done") {
      const played = dayCount(st.job.result), asked = st.job.days_asked || 1;
      $("sim-status").textContent = t("完成，用时 " + Math.round(st.job.elapsed_s) + " 秒", "Done in " + Math.round(st.job.elapsed_s) + " s") +
        (played < asked ? t("；服务器繁忙，只放了 " + played + " 天（原定 " + asked + " 天）",
          "; the server was busy: " + played + " of " + asked + " days played") : "");
      $("sim-status").classList.toggle("warn", played < asked);
    } else {
      $("sim-status").textContent = "";
    }
  }

  // ------------------------------------------------------------ results
  function card(key, label, row) {
    const ch = row.change[key];
    const sp = key === "mean_wait_s" && row.spread ? row.spread.mean_wait_s : null;
    return el("div", { class: "kpi sim-kpi", dataset: { sim: key } },
      el("div", { class: "label" }, label),
      el("div", { class: "value" }, minutes(row.baseline[key]), el("span", { class: "arrow" }, " → "),
        minutes(row.what_if[key]), el("span", { class: "unit" }, t(" 分钟", " min"))),
      el("div", { class: "note " + changeClass(ch) }, t("变化 ", "change ") + change(ch) + t(" 分钟", " min")),
      sp ? el("div", { class: "note rng" }, t("各天 ", "Days ") + range(sp.baseline) + " → " + range(sp.what_if)) : null);
  }
  function verdictCard(hall) {
    const sp = hall.spread, v = verdict(sp), c = sp.mean_wait_s.change;
    return el("div", { class: "kpi sim-kpi sim-verdict", dataset: { sim: "days" } },
      el("div", { class: "label" }, t("平均等候，抽样 " + sp.days + " 天", "Mean wait over " + sp.days + " sampled days")),
      el("div", { class: "value " + v[2] }, v[0]),
      el("div", { class: "note" }, c ? t("每天变化 " + change(c[0]) + " 至 " + change(c[1]) + " 分钟",
        "Each day's change " + change(c[0]) + " to " + change(c[1]) + " min") : ""));
  }
  function hchart(rows) {  // horizontal grouped bars: mean wait as staffed and with the changes
    const labels = rows.map(rowName);
    const width = function (s) { let w = 0; for (const ch of s) w += ch.charCodeAt(0) > 0x2e80 ? 12 : 6.6; return w; };
    const L = Math.min(190, Math.max(60, Math.max.apply(null, labels.map(width).concat([0])) + 10));
    const W = 520, R = 44, row = 34, T = 4;
    const Hh = T + rows.length * row + 4;
    const spreadOf = function (r, part) { return r.spread ? r.spread.mean_wait_s[part] : null; };
    const max = Math.max.apply(null, rows.map(function (r) {
      return Math.max(r.baseline.mean_wait_s || 0, r.what_if.mean_wait_s || 0,
        (spreadOf(r, "baseline") || [0, 0])[1], (spreadOf(r, "what_if") || [0, 0])[1]);
    }).concat([60]));
    const g = svg("svg", { viewBox: "0 0 " + W + " " + Hh, role: "img", class: "sim-chart-svg" });
    rows.forEach(function (r, i) {
      const y = T + i * row;
      g.append(svg("text", { x: L - 6, y: y + 21, "text-anchor": "end" }, labels[i]));
      [["s1", r.baseline.mean_wait_s, 4, spreadOf(r, "baseline")],
        ["s2", r.what_if.mean_wait_s, 17, spreadOf(r, "what_if")]].forEach(function (b) {
        const x = function (v) { return L + (W - L - R) * (v || 0) / max; };
        const w = x(b[1]) - L;
        let end = L + w;
        g.append(svg("rect", { x: L, y: y + b[2], width: w.toFixed(1), height: 12, class: b[0] }));
        if (b[3]) {  // the range over the sampled days: a thin line with end ticks
          const cy = y + b[2] + 6, a = x(b[3][0]), z = x(b[3][1]);
          g.append(svg("path", { d: "M" + a.toFixed(1) + " " + cy + "H" + z.toFixed(1) + "M" + a.toFixed(1) + " " + (cy - 4) +
            "v8M" + z.toFixed(1) + " " + (cy - 4) + "v8", class: "rng" }));
          end = Math.max(end, z);
        }
        g.append(svg("text", { x: (end + 4).toFixed(1), y: y + b[2] + 10, class: "val" }, minutes(b[1])));
      });
    });
    return g;
  }
  function svg(tag, attrs, text) {
    const n = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function compareTable(firstHead, rows, firstCell, totalRow, perDay) {
    const n = dayCount(st.job.result);
    const spread = rows.some(function (r) { return r.spread; });  // the services table of several days
    const head1 = el("tr", null, el("th", { rowspan: 2 }, firstHead),
      el("th", { rowspan: 2 }, n > 1 && !perDay ? t("每天人次", "Tickets a day") : t("人次", "Tickets")),
      el("th", { colspan: 3, class: "grp" }, t("平均等候（分钟）", "Mean wait (min)")),
      el("th", { colspan: 3, class: "grp" }, t("90%等候（分钟）", "P90 wait (min)")),
      spread ? el("th", { rowspan: 2, class: "text" }, t(n + " 天里", "Over " + n + " days")) : null);
    const sub = [t("原排班", "As staffed"), t("调整后", "What if"), t("变化", "Change")];
    const head2 = el("tr", null, sub.concat(sub).map(function (x) { return el("th", null, x); }));
    function mean(r, part) {
      const sp = spread && r.spread ? r.spread.mean_wait_s[part] : null;
      return el("td", null, minutes(r[part].mean_wait_s), sp ? el("div", { class: "rng" }, range(sp)) : null);
    }
    function line(r, cls) {
      const v = spread && r.spread ? verdict(r.spread) : null;
      return el("tr", { class: cls || null, dataset: { key: r.index ? "day-" + r.index : String(r.service || r.hour || "all") } },
        el("td", { class: "text" }, firstCell(r)), el("td", null, tickets(r.tickets)),
        mean(r, "baseline"), mean(r, "what_if"),
        el("td", { class: "chg " + changeClass(r.change.mean_wait_s) }, change(r.change.mean_wait_s)),
        el("td", null, minutes(r.baseline.p90_wait_s)), el("td", null, minutes(r.what_if.p90_wait_s)),
        el("td", { class: "chg " + changeClass(r.change.p90_wait_s) }, change(r.change.p90_wait_s)),
        spread ? el("td", { class: "text verdict " + (v ? v[2] : "") }, v ? v[1] : "—") : null);
    }
    const body = rows.map(function (r) { return line(r); });
    if (totalRow) body.push(line(totalRow, "total"));
    return el("table", { class: "grid sim-table", id: "sim-table-" + st.tab },
      el("thead", null, head1, head2), el("tbody", null, body));
  }
  function hourText(h) { return String(h).padStart(2, "0") + ":00–" + String(h + 1).padStart(2, "0") + ":00"; }
  function renderTable() {
    const res = st.job.result;
    const n = dayCount(res);
    const tabs = [["services", t("按业务", "By service")], ["hours", t("按取号时段", "By hour of issue")]];
    if (n > 1) tabs.push(["days", t("按抽样日", "By sampled day")]);
    else if (st.tab === "days") st.tab = "services";
    tabs.push(["longest", t("等得最久的 " + res.longest.length + " 位", "The " + res.longest.length + " longest waits")]);
    $("sim-tabs").replaceChildren.apply($("sim-tabs"), tabs.map(function (tb) {
      return el("button", { type: "button", role: "tab", class: tb[0] === st.tab ? "active" : null, dataset: { tab: tb[0] },
        // the tab just chosen keeps the focus through the redraw (hallq.keepPlace)
        onclick: function () { st.tab = tb[0]; H.keepPlace($("sim-tabs"), renderTable); } }, tb[1]);
    }));
    let content;
    if (st.tab === "services") {
      content = compareTable(t("业务", "Service"), res.services, rowName, Object.assign({ name: "全部", name_en: "All" }, res.hall));
    } else if (st.tab === "days") {
      content = compareTable(t("抽样日", "Sampled day"), res.days, function (r) {
        return r.index ? t("第 " + r.index + " 天", "Day " + r.index) : t(n + " 天平均", "Average of " + n);
      }, Object.assign({}, res.hall, { spread: null }), true);
    } else if (st.tab === "hours") {
      const only = st.hourService;
      const rows = only ? res.service_hours.filter(function (r) { return r.service === only; }) : res.hours;
      const pick = select({ id: "sim-hour-service", "aria-label": t("业务", "Service") },
        [["", t("全部业务", "All services")]].concat(res.services.map(function (s) { return [s.service, rowName(s)]; })),
        only, function (v) { st.hourService = v; renderTable(); });
      content = el("div", null, el("div", { class: "sim-filter" }, pick),
        compareTable(t("取号时段", "Issued"), rows, function (r) { return hourText(r.hour); }));
    } else {
      const head = el("tr", null, [t("号码", "Number"), t("业务", "Service"), t("取号时间", "Issued"),
        t("原排班等候（分钟）", "Wait as staffed (min)"), t("调整后等候（分钟）", "Wait with changes (min)"),
        t("变化", "Change")].map(function (x, i) { return el("th", { class: i < 2 ? "text" : null }, x); }));  // over left-aligned texts
      const body = res.longest.map(function (r) {
        return el("tr", { dataset: { number: r.number } }, el("td", { class: "text" }, r.number),
          el("td", { class: "text" }, rowName(r)),
          el("td", null, n > 1 ? t("第 " + r.day_index + " 天 ", "Day " + r.day_index + " ") + r.issued : r.issued),
          el("td", null, minutes(r.baseline_wait_s)), el("td", null, minutes(r.what_if_wait_s)),
          el("td", { class: "chg " + changeClass(r.change_s) }, change(r.change_s)));
      });
      content = el("table", { class: "grid sim-table", id: "sim-table-longest" }, el("thead", null, head), el("tbody", null, body));
    }
    const note = n > 1 && st.tab !== "longest" && st.tab !== "days" ? el("p", { class: "muted small sim-note" },
      t("表中是 " + n + " 个抽样日的平均；小字是各天最少到最多", "Figures are the average of " + n +
        " sampled days; small print: the lowest to the highest day")) : null;
    $("sim-table").replaceChildren.apply($("sim-table"), [note, content].filter(Boolean));
  }
  function describeJob() {
    const j = st.job;
    const n = j.result ? dayCount(j.result) : (j.days_asked || 1);
    const day = j.day.kind === "replay" ? t(j.day.date + "（重放）", j.day.date + " (replayed)")
      : sampleName(j.day.name) + (n > 1 ? t("，抽样 " + n + " 天", ", " + n + " sampled days") : "");
    const changes = j.changes.map(function (c) {
      const what = c.off ? t("休息", "off") : c.services.map(serviceName).join(t("、", ", "));
      return t(c.window + " 号窗口 " + c.from + "–" + c.to + " " + what, "Window " + c.window + " " + c.from + "–" + c.to + " " + what);
    });
    return day + t("：", ": ") + changes.join(t("；", "; "));
  }
  function render() {
    if (!st.opts) return;
    $("sim-assumes").textContent = t(st.opts.assumes, st.opts.assumes_en);
    renderDays();
    renderRows();
    renderProgress();
    const done = st.job && st.job.status === "done";
    H.show("sim-result", done);
    if (!done) return;
    const res = st.job.result;
    $("sim-what").textContent = describeJob();
    const n = dayCount(res);
    const cards = [card("mean_wait_s", t("平均等候", "Mean wait"), res.hall)];
    if (n > 1 && res.hall.spread) cards.push(verdictCard(res.hall));
    cards.push(card("p90_wait_s", t("90%等候", "P90 wait"), res.hall),
      card("max_wait_s", t("最长等候", "Longest wait"), res.hall),
      el("div", { class: "kpi" }, el("div", { class: "label" }, t("同一批群众", "The same residents")),
        el("div", { class: "value" }, tickets(res.hall.issued)),
        el("div", { class: "note" }, n > 1 ? t("每天人次（两遍相同）", "tickets a day, the same in both runs")
          : t("人次（两遍相同）", "tickets in both runs"))));
    $("sim-summary").replaceChildren.apply($("sim-summary"), cards);
    $("sim-chart").replaceChildren(el("h3", null, t("各业务平均等候（分钟）", "Mean wait by service (min)")),
      hchart(res.services),
      el("div", { class: "legend" }, el("span", null, el("span", { class: "sw s1" }), t("原排班", "As staffed")),
        el("span", null, el("span", { class: "sw s2" }), t("调整后", "What if")),
        n > 1 ? el("span", null, el("span", { class: "sw rng" }), t("细线：各天范围", "thin line: range over the days")) : null));
    renderTable();
  }

  async function download() {
    try {
      const resp = await fetch(H.hallPath("/simulations/" + encodeURIComponent(st.job.id) + "/xlsx"),
        { headers: { "Authorization": "Bearer " + H.token() } });
      if (!resp.ok) throw H.ApiError.fromBody(resp.status, await resp.json().catch(function () { return null; }), resp.statusText);
      const blob = await resp.blob();
      const name = (resp.headers.get("Content-Disposition") || "").split('filename="')[1];
      const a = el("a", { href: URL.createObjectURL(blob), download: name ? name.replace(/"$/, "") : "simulate.xlsx" });
      document.body.append(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    } catch (e) { showError(e.message); }
  }

  async function start() {
    try {
      st.opts = await H.api("GET", H.hallPath("/simulations/options"));
    } catch (e) { showError(e.message); return; }
    if (!st.started) {
      st.started = true;
      $("sim-add").addEventListener("click", function () {
        if (st.rows.length < st.opts.max_changes) { st.rows.push(newRow()); renderRows(); }
      });
      $("sim-run").addEventListener("click", run);
      $("sim-day").addEventListener("change", renderRows);  // which windows were open that day
      $("sim-xlsx").addEventListener("click", download);
      st.rows.push(newRow());
    }
    // a run in progress (started here or by another manager) is followed; else the hall's last result shows
    if (!st.job && st.opts.running) { st.job = st.opts.running; follow(); }
    else if (!st.job && st.opts.last) st.job = st.opts.last;
    render();
  }

  window.hallqSimulate = { start: start, render: render };
}());
