// The review case's 回访: the phone the resident left with consent (masked; a manager opens it, and
// the server logs each look) and, with the callback step, how the call went (channel, result,
// the resident's satisfaction with the rectification).
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const CHANNEL = { phone: ["电话", "Phone"], sms: ["短信", "SMS"], visit: ["上门", "Home visit"], wechat: ["微信", "WeChat"], other: ["其他", "Other"] };
  const RESULT = { reached: ["已联系", "Reached"], unreachable: ["未联系上", "Not reached"], declined: ["拒绝回访", "Declined"] };
  const SATISFACTION = { satisfied: ["满意", "Satisfied"], basically: ["基本满意", "Fairly satisfied"], dissatisfied: ["不满意", "Dissatisfied"] };

  function select(cls, map, label, blank) {
    const opts = Object.keys(map).map(function (k) { return el("option", { value: k }, t(map[k][0], map[k][1])); });
    if (blank) opts.unshift(el("option", { value: "" }, t("满意度（可选）", "Satisfaction (optional)")));
    return el("select", { class: cls, "aria-label": label }, opts);
  }

  // Live updates redraw the list: a number a manager opened stays open on this page (each look
  // is logged once, by the server), and the callback fields keep what was chosen.
  const opened = {};  // case id -> phone
  const chosen = {};  // case id -> {channel, result, satisfaction}

  // "回访电话 138****5678 [显示号码]" under the case's meta line (managers only open it).
  function contactLine(c, isManager) {
    if (!c.contact_masked) return null;
    const open = c.status === "open" && opened[c.id];
    const num = el("span", { class: "cb-phone" }, open || c.contact_masked);
    const line = el("div", { class: "cb-contact" }, t("回访电话：", "Call-back phone: "), num);
    if (isManager && c.status === "open" && !open) {
      const btn = el("button", { type: "button", class: "secondary cb-show" }, t("显示号码", "Show number"));
      btn.addEventListener("click", async function () {
        try {
          const r = await H.api("POST", H.hallPath("/review-cases/" + c.id + "/contact"));
          opened[c.id] = r.phone;
          // the list may have been redrawn while the look was asked for (a live update, the
          // stream's first connect): open the number on the card shown now, not only on this one
          const shown = document.querySelectorAll('[data-case-id="' + c.id + '"] .cb-contact');
          [line].concat(Array.from(shown)).forEach(function (l) {
            l.querySelector(".cb-phone").textContent = r.phone;
            const b = l.querySelector(".cb-show");
            if (b) b.remove();
          });
        } catch (e) { num.textContent = e.message; }
      });
      line.append(btn);
    }
    return line;
  }

  // The callback step's fields of case `caseId`, shown while the step select says callback.
  function fields(stepSelect, caseId) {
    const ch = select("cb-channel", CHANNEL, t("回访方式", "How"));
    const res = select("cb-result", RESULT, t("回访结果", "Result"));
    const sat = select("cb-satisfaction", SATISFACTION, t("满意度", "Satisfaction"), true);
    const was = chosen[caseId] || {};
    if (was.channel) ch.value = was.channel;
    if (was.result) res.value = was.result;
    if (was.satisfaction) sat.value = was.satisfaction;
    [ch, res, sat].forEach(function (s) {
      s.addEventListener("change", function () {
        chosen[caseId] = { channel: ch.value, result: res.value, satisfaction: sat.value };
      });
    });
    const box = el("div", { class: "cb-fields" }, ch, res, sat);
    function sync() { box.classList.toggle("hidden", stepSelect.value !== "callback"); }
    stepSelect.addEventListener("change", sync);
    sync();
    return {
      node: box,
      value: function () {
        if (stepSelect.value !== "callback") return undefined;
        const v = { channel: ch.value, result: res.value };
        if (sat.value) v.satisfaction = sat.value;
        return v;
      },
    };
  }

  function history(c) {
    return (c.callbacks || []).map(function (x) {
      return el("li", { class: "hstep callback-detail" }, el("span", { class: "hlabel" }, t("回访记录", "Call back")),
        el("span", { class: "htext" }, [t(CHANNEL[x.channel][0], CHANNEL[x.channel][1]), t(RESULT[x.result][0], RESULT[x.result][1])]
          .concat(x.satisfaction ? [t("对整改" + SATISFACTION[x.satisfaction][0], "rectification: " + SATISFACTION[x.satisfaction][1])] : [])
          .join(" · ")),
        el("span", { class: "hwho muted" }, H.fmtDateTime(x.at)));
    });
  }

  // A step was recorded (or the case voided): its choices go, as the page's typed draft does.
  function forget(caseId) { delete chosen[caseId]; }

  window.hallqCallback = { contactLine: contactLine, fields: fields, history: history, forget: forget };
}());
