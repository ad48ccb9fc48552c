// 帮办代办 on the resident's phone (/assist): what to do, name, phone, how the result comes back.
// The server keeps the name and phone masked (and the phone sealed for the agent's call).
(function () {
  "use strict";
  const H = window.hallq;
  const $ = H.$;
  const t = H.t;
  const state = { services: [], hall: null, limit: 3 };

  function error(msg) { $("error").textContent = msg || ""; H.show("error", !!msg); }

  function render() {
    H.applyLang(document);
    document.documentElement.lang = H.lang() === "en" ? "en" : "zh-CN";
    if (state.hall) $("hall-name").textContent = H.name(state.hall);
    $("limit-note").textContent = t("一般在 " + state.limit + " 个工作日内办结。",
      "Usually done within " + state.limit + " working days.");
    $("matter").placeholder = t($("matter").dataset.phZh, $("matter").dataset.phEn);
    const sel = $("service");
    const chosen = sel.value;
    sel.replaceChildren.apply(sel, state.services.map(function (s) {
      return H.el("option", { value: s.code }, H.name(s));
    }));
    if (chosen) sel.value = chosen;
  }

  function delivery() {
    const on = document.querySelector('input[name="delivery"]:checked');
    return on ? on.value : "pickup";
  }

  async function submit(ev) {
    ev.preventDefault();
    error("");
    const body = { service: $("service").value, matter: $("matter").value.trim(), name: $("name").value.trim(),
      phone: $("phone").value.replace(/[\s-]/g, ""), delivery: delivery(),
      village: $("village").value.trim() || null, note: $("note").value.trim() || null };
    if (!body.matter || !body.name || !body.phone) {
      error(t("请填写事项、姓名和手机号码", "Please fill in what to do, your name and your mobile number"));
      return;
    }
    $("submit").disabled = true;
    try {
      const r = await H.api("POST", H.hallPath("/assist"), body, { token: null });
      $("ref").textContent = String(r.id);
      $("due").textContent = t("办结期限：" + r.due_date, "To be done by " + r.due_date);
      H.show("step-form", false);
      H.show("done", true);
      document.body.dataset.sent = String(r.id);
    } catch (e) {
      error(e.message);
    } finally {
      $("submit").disabled = false;
    }
  }

  async function start() {
    try {
      state.hall = await H.loadHall();
      state.limit = state.hall.assist_limit_working_days || 3;
      state.services = await H.api("GET", H.hallPath("/services"), undefined, { token: null });
      render();
      document.body.dataset.loaded = "1";
    } catch (e) {
      error(t("暂时无法连接大厅服务器，请稍后再试", "Cannot reach the hall's server; please try again soon"));
      setTimeout(start, 5000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    H.langButton("lang", render, true);
    $("form").addEventListener("submit", submit);
    document.querySelectorAll('input[name="delivery"]').forEach(function (r) {
      r.addEventListener("change", function () { H.show("village-field", delivery() === "home"); });
    });
    $("again").addEventListener("click", function () {
      $("matter").value = ""; $("note").value = "";
      H.show("done", false); H.show("step-form", true);
    });
    start();
  });
}());
