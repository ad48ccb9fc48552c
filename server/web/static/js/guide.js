// /guide: the hall's service guide (办事指南) on a phone: each service's matters (事项) with materials,
// conditions, time limit and steps, from the hall config through GET …/services.
(function () {
  "use strict";
  const H = window.hallq;
  const $ = H.$;
  const el = H.el;
  const t = H.t;
  const state = { services: [], chosen: null };

  function list(title, items, ordered) {
    if (!items || !items.length) return null;
    return el("div", { class: "gd-block" }, el("h4", {}, title),
      el(ordered ? "ol" : "ul", {}, ...items.map(function (x) { return el("li", {}, x); })));
  }
  function line(title, text) {
    return text ? el("div", { class: "gd-block" }, el("h4", {}, title), el("p", {}, text)) : null;
  }
  function matterCard(m) {
    return el("article", { class: "bk-card gd-matter", dataset: { matter: m.code } },
      el("h3", {}, t(m.name, m.name_en || m.name)),
      list(t("所需材料", "What to bring"), m.materials),
      line(t("办理条件", "Who qualifies"), m.conditions),
      line(t("办理时限", "Time limit"), m.time_limit),
      list(t("办理流程", "Steps"), m.steps, true));
  }
  function render() {
    H.applyLang(document);
    if (H.hallInfo) $("hall-name").textContent = H.name(H.hallInfo);
    const box = $("services");
    box.replaceChildren.apply(box, state.services.map(function (s) {
      return el("button", { type: "button", class: "bk-service" + (state.chosen === s.code ? " on" : ""),
        dataset: { code: s.code }, onclick: function () { state.chosen = s.code; render(); } },
        el("b", {}, H.name(s)), el("span", {}, t((s.guide.matters || []).length + " 个事项",
          (s.guide.matters || []).length + ((s.guide.matters || []).length === 1 ? " matter" : " matters"))));
    }));
    const s = state.services.find(function (x) { return x.code === state.chosen; });
    const detail = $("detail");
    if (!s) { H.show(detail, false); return; }
    const g = s.guide || {};
    detail.replaceChildren(
      el("section", { class: "bk-card" }, el("h2", {}, H.name(s)), g.description ? el("p", {}, g.description) : null,
        list(t("通用材料", "Usually needed"), g.materials), line(t("办理时限", "Time limit"), g.time_limit)),
      ...(g.matters || []).map(matterCard));
    H.show(detail, true);
    document.body.dataset.chosen = s.code;
  }
  async function start() {
    try {
      await H.loadHall();
      state.services = await H.api("GET", H.hallPath("/services"), undefined, { token: null });
      const m = /service=([\w-]+)/.exec(location.search);
      if (m) state.chosen = m[1];
      render();
      document.body.dataset.loaded = "1";
    } catch (e) {
      $("error").textContent = e.message;
      H.show("error", true);
      setTimeout(start, 5000);
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    H.langButton("lang", render, true);
    start();
  });
}());
