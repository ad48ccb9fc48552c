// The manager's cases page: this month's top pain points (堵点), what residents point at most
// (reason x service), above the case lists.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const st = { data: null };

  function render() {
    const box = document.getElementById("pain-points");
    const d = st.data;
    if (!d) return;
    const items = d.items.map(function (i) {
      const svc = H.lang() === "en" ? i.service_name_en : i.service_name;
      return el("li", { class: "pp-item", dataset: { reason: i.reason, service: i.service } },
        el("b", {}, t(i.reason_name, i.reason_name_en)), el("span", { class: "pp-svc" }, svc),
        el("span", { class: "pp-n" }, t(i.count + " 次", i.count + (i.count === 1 ? " mention" : " mentions"))),
        i.complaints ? el("span", { class: "pp-c" }, t("投诉 " + i.complaints, i.complaints + (i.complaints === 1 ? " complaint" : " complaints"))) : null);
    });
    box.replaceChildren(el("span", { class: "pp-title" }, t(d.month + " 堵点", "Pain points " + d.month)),
      items.length ? el("ol", { class: "pp-list" }, items)
        : el("span", { class: "muted" }, t("本月暂无评价原因或投诉", "No reasons or complaints this month")));
    box.classList.remove("hidden");
  }

  async function load() {
    try {
      st.data = await H.api("GET", H.hallPath("/pain-points/top"));
      render();
    } catch (e) { /* the lists still work; the strip stays hidden */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("lang").addEventListener("click", function () { setTimeout(render, 0); });
  });
  window.hallqPainPoints = { load: load };
}());
