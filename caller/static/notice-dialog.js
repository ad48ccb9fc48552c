// The caller's one-time notice (一次性告知单): after a case is finished as 退回补正, tick the missing
// materials from the service's guide; the server keeps the list, the resident scans the QR (with a
// public_url) or the window prints it on its own printer.
(function () {
  "use strict";
  const h = window.hallq;
  const $ = h.$;
  let ticket = null;
  let services = null;

  async function materialsOf(code) {
    if (!services) services = await h.api("GET", h.hallPath("/services"), undefined, { token: null });
    const svc = services.find(function (s) { return s.code === code; });
    const g = (svc && svc.guide) || {};
    const out = [];
    const lists = [g.materials || []].concat((g.matters || []).map(function (m) { return m.materials || []; }));
    lists.forEach(function (l) { l.forEach(function (m) { if (out.indexOf(m) < 0) out.push(m); }); });
    return out;
  }
  function error(msg) { $("notice-error").textContent = msg || ""; h.show("notice-error", !!msg); }

  async function open(t) {
    ticket = t;
    // the guide's materials first, then the dialog, whole: a list filling in under an open dialog
    // moved its buttons under the clerk's finger (and a click went to the backdrop)
    let materials = [], problem = "";
    try { materials = await materialsOf(t.service); } catch (e) { problem = e.message; }
    if (ticket !== t) return;  // another case was opened meanwhile
    const box = $("notice-items");
    box.replaceChildren.apply(box, materials.map(function (m) {
      return h.el("label", { class: "notice-item" }, h.el("input", { type: "checkbox", value: m }), " ", m);
    }));
    $("notice-other").value = "";
    $("notice-ticket").textContent = t.number + " · " + (t.service_name || t.service);
    h.show("notice-form", true); h.show("notice-result", false);
    h.show("notice-ok", true); h.show("notice-print", false);
    error(problem);
    document.querySelectorAll(".dialog").forEach(function (d) { d.classList.add("hidden"); });
    $("dialog-backdrop").classList.remove("hidden");
    h.show("notice-dialog", true);
  }

  async function give() {
    const missing = Array.from(document.querySelectorAll("#notice-items input:checked")).map(function (i) { return i.value; });
    const other = $("notice-other").value.trim();
    try {
      const n = await h.api("POST", h.hallPath("/tickets/" + ticket.id + "/notice"), { missing: missing, other: other || null });
      const ol = $("notice-list");
      ol.replaceChildren.apply(ol, n.missing.map(function (m) { return h.el("li", {}, m); }));
      if (n.qr_svg) $("notice-qr").src = n.qr_svg;
      h.show("notice-qr", !!n.qr_svg);
      $("notice-how").textContent = n.qr_svg ? h.t("请群众用手机扫码保存告知单", "Let the resident scan the code to keep the notice")
        : n.printer ? h.t("请打印告知单交给群众", "Print the notice for the resident")
          : h.t("未配置打印机和公网地址：请手写告知单", "No printer or public address: write the notice by hand");
      h.show("notice-form", false); h.show("notice-result", true);
      h.show("notice-ok", false); h.show("notice-print", !!n.printer);
      $("notice-dialog").dataset.issued = String(ticket.id);
    } catch (e) { error(e.message); }
  }

  async function print() {
    try {
      await h.api("POST", h.hallPath("/tickets/" + ticket.id + "/notice/print"));
      $("notice-how").textContent = h.t("已打印，请交给群众", "Printed: hand it to the resident");
      $("notice-dialog").dataset.printed = String(ticket.id);
    } catch (e) { $("notice-how").textContent = e.message; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("notice-ok").addEventListener("click", give);
    $("notice-print").addEventListener("click", print);
  });
  window.hallqNotice = { open: open };
}());
