// The phone page's 好差评 after the visit: a visit not rated at the window may be rated here within
// the hall's hours (default 24 h), once. A bad rating may leave a phone for the 回访, only with the
// resident's consent ticked on screen.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const $ = function (id) { return document.getElementById(id); };
  const st = { tk: null, token: null, level: null, reasons: new Set(), sent: false };

  function levelButtons() {
    return [5, 4, 3, 2, 1].map(function (lv) {
      return el("button", { type: "button", class: "rt-level" + (lv <= 2 ? " bad" : ""),
        dataset: { level: String(lv) }, "aria-pressed": st.level === lv ? "true" : "false",
        onclick: function () { st.level = lv; draw(); } }, H.label("level", lv));
    });
  }

  function reasonButtons() {
    return Object.keys(H.LABELS.reason).map(function (r) {
      return el("button", { type: "button", class: "rt-reason", dataset: { reason: r },
        "aria-pressed": st.reasons.has(r) ? "true" : "false",
        onclick: function () { if (st.reasons.has(r)) st.reasons.delete(r); else st.reasons.add(r); draw(); } },
      H.label("reason", r));
    });
  }

  function draw() {
    const box = $("rate");
    const r = st.tk && st.tk.rating;
    if (!r || (!r.open && !st.sent)) { box.classList.add("hidden"); return; }
    box.classList.remove("hidden");
    if (st.sent) {
      box.replaceChildren(el("p", { class: "rt-thanks", id: "rate-thanks" }, t("感谢您的评价！", "Thank you for your rating!")));
      return;
    }
    const parts = [el("h2", { class: "rt-title" }, t("请评价本次服务", "Please rate this visit")),
      el("p", { class: "muted tr-small", id: "rate-until" }, t("一次一评，评价截止 ", "One rating per visit, open until ") +
        H.fmtDateTime(st.tk.rating.open_until)),
      el("div", { class: "rt-levels" }, levelButtons())];
    if (st.level !== null && st.level <= 2) {
      const consent = el("input", { type: "checkbox", id: "rate-consent" });
      consent.checked = !!st.consent;
      consent.addEventListener("change", function () { st.consent = consent.checked; });
      const phone = el("input", { type: "tel", id: "rate-phone", inputmode: "numeric", maxlength: "20",
        autocomplete: "tel", placeholder: t("手机号码（可不填）", "Mobile number (optional)") });
      phone.value = st.phone || "";
      phone.addEventListener("input", function () { st.phone = phone.value; });
      parts.push(el("p", { class: "rt-ask" }, t("哪方面不满意？", "What was wrong?")),
        el("div", { class: "rt-reasons" }, reasonButtons()),
        el("label", { class: "rt-field" }, t("留下电话，以便回访整改结果", "Leave a phone to hear how it was put right"), phone),
        el("label", { class: "rt-consent" }, consent,
          el("span", {}, t("我同意大厅用此号码就本次评价回访我；办结后按规定期限删除。",
            "I agree the hall may call me back about this rating; the number is erased after the set period."))));
    }
    parts.push(el("p", { class: "error-box hidden", id: "rate-error", role: "alert" }),
      el("button", { type: "button", class: "rt-send", id: "rate-send", disabled: st.level === null ? "" : null,
        onclick: send }, t("提交评价", "Send rating")));
    box.replaceChildren.apply(box, parts);
  }

  async function send() {
    const body = { level: st.level, ticket_token: st.token };
    if (st.level <= 2) {
      body.reasons = Array.from(st.reasons);
      if (st.phone && st.phone.trim()) { body.phone = st.phone.trim(); body.consent = !!st.consent; }
    }
    try {
      await H.api("POST", "/api/v1/halls/" + encodeURIComponent(st.tk.hall) + "/tickets/" + st.tk.id + "/rating",
        body, { token: null });
      st.sent = true;
      draw();
    } catch (e) {
      $("rate-error").textContent = e.message;
      $("rate-error").classList.remove("hidden");
    }
  }

  window.hallqTrackRating = {
    render: function (tk, token) { st.tk = tk; st.token = token; draw(); },
  };
}());
