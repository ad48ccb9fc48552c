// The dashboard's 堵点 panel: what residents point at (rating reasons and complaint topics) in the
// chosen range, as bars by reason and the top rows by service, window and staff member. The whole
// table is the report's 堵点分析 tab (and sheet).
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const SVGNS = "http://www.w3.org/2000/svg";
  const st = { data: null };

  function svg(tag, attrs, text) {
    const n = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function chart(byReason) {
    const W = 420, row = 30, L = 90, R = 40;
    const Hh = Math.max(1, byReason.length) * row + 8;
    const g = svg("svg", { viewBox: "0 0 " + W + " " + Hh, role: "img", class: "pp-chart" });
    const max = Math.max.apply(null, byReason.map(function (r) { return r.count; }).concat([1]));
    byReason.forEach(function (r, i) {
      const y = 4 + i * row, w = (W - L - R) * r.count / max;
      g.append(svg("text", { x: L - 8, y: y + 19, "text-anchor": "end" }, t(r.reason_name, r.reason_name_en)));
      g.append(svg("rect", { x: L, y: y + 4, width: w.toFixed(1), height: row - 10, class: "bar bad" }));
      g.append(svg("text", { x: (L + w + 6).toFixed(1), y: y + 19 }, String(r.count)));
    });
    return g;
  }

  function render() {
    const d = st.data;
    const box = document.getElementById("pain-panel-body");
    if (!d || !box) return;
    if (!d.rows.length) {
      box.replaceChildren(el("p", { class: "muted" }, t("这段时间没有评价原因或投诉", "No rating reasons or complaints in this period")));
      return;
    }
    // words read from the left, counts line up on the right (the grid's default is right)
    const head = el("tr", null, [[t("业务", "Service"), "text"], [t("窗口", "Window"), "num"], [t("工作人员", "Staff"), "text"],
      [t("原因", "Reason"), "text"], [t("来源", "Origin"), "text"], [t("渠道", "Channel"), "text"],
      [t("次数", "Mentions"), "num"]].map(function (h) { return el("th", { class: h[1] }, h[0]); }));
    const rows = d.rows.slice().sort(function (a, b) { return b.count - a.count; }).slice(0, 10).map(function (r) {
      return el("tr", { dataset: { reason: r.reason } },
        el("td", null, (H.lang() === "en" ? r.service_name_en : r.service_name) || "—"),  // none named
        el("td", { class: "num" }, r.window === null ? "—" : String(r.window)),
        el("td", { class: "text" }, r.staff_name || "—"), el("td", { class: "text" }, t(r.reason_name, r.reason_name_en)),
        el("td", { class: "text" }, t(r.origin_name, r.origin_name_en)),  // 评价 or 投诉: what the record is
        el("td", { class: "text", dataset: { channel: r.channel || "" } }, t(r.channel_name, r.channel_name_en) || "—"),
        el("td", { class: "num" }, String(r.count)));
    });
    box.replaceChildren(el("div", { class: "pp-chart-box", id: "chart-pain" }, chart(d.by_reason)),
      el("div", { class: "table-wrap" }, el("table", { class: "grid", id: "pain-table" },
        el("thead", null, head), el("tbody", null, rows))));
  }

  async function load(query) {
    try {
      st.data = await H.api("GET", H.hallPath("/pain-points") + query);
      render();
    } catch (e) { /* the rest of the dashboard stands; the panel keeps its last figures */ }
  }

  window.hallqPainPoints = { load: load, render: render };
}());
