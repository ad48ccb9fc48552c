// /n/{ticket token}: the one-time notice (一次性告知单) of a returned case, on the resident's phone.
(function () {
  "use strict";
  const H = window.hallq;
  const $ = H.$;
  const el = H.el;
  const t = H.t;
  let notice = null;

  function render() {
    H.applyLang(document);
    if (!notice) return;
    $("hall-name").textContent = t(notice.hall_name, notice.hall_name_en || notice.hall_name);
    $("what").textContent = t(notice.service_name, notice.service_name_en) + " · " + notice.number +
      (notice.window ? t(" · " + notice.window + " 号窗口", " · window " + notice.window) : "");
    const ol = $("missing");
    ol.replaceChildren.apply(ol, notice.missing.map(function (m) { return el("li", {}, m); }));
    $("note").textContent = notice.note || "";
    H.show("note", !!notice.note);
    const rows = [[t("办公时间", "Opening hours"), (notice.hours || []).join(t("、", ", "))],
      [t("咨询电话", "Phone"), notice.phone], [t("地址", "Address"), t(notice.address, notice.address_en || notice.address)],
      [t("告知时间", "Given on"), H.fmtDateTime(notice.issued_at)]];
    const dl = $("contact");
    dl.replaceChildren();
    rows.forEach(function (r) { if (r[1]) dl.append(el("dt", {}, r[0]), el("dd", {}, r[1])); });
    H.show("notice", true);
    document.body.dataset.loaded = "1";
  }
  async function start() {
    const token = decodeURIComponent(location.pathname.split("/").pop() || "");
    try {
      notice = await H.api("GET", "/api/v1/notice/" + encodeURIComponent(token), undefined, { token: null });
      render();
    } catch (e) {
      $("error").textContent = e.status === 404 ? t("没有这份告知单，请向窗口工作人员询问", "No such notice: please ask at the window") : e.message;
      H.show("error", true);
      document.body.dataset.loaded = "1";
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    H.langButton("lang", render, true);
    start();
  });
}());
