// The admin page's 好差评上报 tab: the records for the province's 好差评 system, whether each was
// delivered, the last error of those still failing, and the file export for halls with no link.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const $ = function (id) { return document.getElementById(id); };
  const KIND = { rating: ["评价", "Rating"], "case": ["补报办件", "Case added"], step: ["整改/回访", "Rectify/call back"] };
  const state = { data: null, admin: false };

  function label(map, key) { const v = map[key]; return v ? t(v[0], v[1]) : key; }

  function status(r) {
    if (r.status === "sent") return el("span", { class: "tag ok" }, t("已上报", "Sent"));
    if (r.attempts > 0) return el("span", { class: "tag off" }, t("重试中", "Retrying"));
    return el("span", { class: "tag warn" }, t("待上报", "Pending"));
  }

  // a rating's level 1-5; a complaint (投诉) has none and says so
  function level(r) {
    if (r.level) return String(r.level);
    return r.level_label ? t(r.level_label, r.level_label_en || r.level_label) : "—";
  }

  function render() {
    const d = state.data;
    if (!d) return;
    $("outbox-link").textContent = d.linked ? t("上报地址：", "Endpoint: ") + d.url
      : t("未配置上报地址：请导出文件报送", "No endpoint configured: export the file and hand it over");
    $("outbox-link").classList.toggle("warn", !d.linked);
    $("outbox-counts").textContent = t("待上报 " + d.counts.pending + " · 已上报 " + d.counts.sent +
      " · 重试中 " + d.counts.failing, "pending " + d.counts.pending + " · sent " + d.counts.sent +
      " · retrying " + d.counts.failing);
    $("count-outbox").textContent = d.counts.failing ? String(d.counts.failing) : "";
    $("count-outbox").classList.toggle("hidden", !d.counts.failing);
    const rows = d.records.map(function (r) {
      const actions = el("td", { class: "actions admin-only" });
      if (state.admin && r.status === "pending" && d.linked) {
        actions.append(el("button", { type: "button", class: "small-btn", dataset: { id: String(r.id) },
          onclick: function () { retry(r.id); } }, t("立即重试", "Retry now")));
      }
      return el("tr", { dataset: { record: r.record_id } },
        el("td", { class: "mono" }, r.record_id), el("td", {}, label(KIND, r.kind)),
        el("td", { class: "mono" }, r.case_no || "—"), el("td", { class: "num" }, level(r)),
        el("td", {}, r.channel ? t(r.channel, r.channel_en || r.channel) : "—"), el("td", {}, status(r)), el("td", { class: "num" }, String(r.attempts)),
        el("td", { class: "nowrap" }, H.fmtDateTime(r.sent_at || r.created_at)),
        el("td", { class: "name" }, r.last_error || ""), actions);
    });
    const body = document.querySelector("#outbox-table tbody");
    body.replaceChildren.apply(body, rows.length ? rows
      : [el("tr", {}, el("td", { colspan: "10", class: "muted" }, t("还没有评价记录", "No records yet")))]);
  }

  async function load(isAdmin, failed) {
    state.admin = isAdmin;
    try {
      state.data = await H.api("GET", H.hallPath("/outbox"));
      render();
    } catch (e) { if (failed) failed(e); }
  }

  async function retry(id) {
    try {
      await H.api("POST", H.hallPath("/outbox/" + id + "/retry"));
      await load(state.admin);
    } catch (e) { $("outbox-error").textContent = e.message; $("outbox-error").classList.remove("hidden"); }
  }

  async function download(fmt) {
    try {
      const resp = await fetch(H.hallPath("/outbox/export") + "?format=" + fmt,
        { headers: { "Authorization": "Bearer " + H.token() } });
      if (!resp.ok) throw H.ApiError.fromBody(resp.status, await resp.json().catch(function () { return null; }), resp.statusText);
      const blob = await resp.blob();
      const a = el("a", { href: URL.createObjectURL(blob), download: "hallq-haochaping." + fmt });
      document.body.append(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    } catch (e) { $("outbox-error").textContent = e.message; $("outbox-error").classList.remove("hidden"); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("outbox-json").addEventListener("click", function () { download("json"); });
    $("outbox-xlsx").addEventListener("click", function () { download("xlsx"); });
    $("outbox-refresh").addEventListener("click", function () { load(state.admin); });
    $("lang").addEventListener("click", render);
  });
  window.hallqAdminOutbox = { load: load };
}());
