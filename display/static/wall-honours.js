// The wall's 擂台 line: this month's 流动红旗 and 黄旗 (teams from the league table) and 每月之星,
// as the hall's rule names them (GET …/honours). Hidden while there is nothing to show.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  let data = null;

  function teamName(f) { return t(f.name, f.name_en || f.name); }

  function render() {
    const box = document.getElementById("honours");
    if (!box) return;
    const parts = [];
    if (data && data.month_flags.red) {
      parts.push(el("span", { class: "hn red" }, t("本月流动红旗 ", "Red flag this month: "), el("b", {}, teamName(data.month_flags.red))));
    }
    if (data && data.quarter_flags.red) {
      parts.push(el("span", { class: "hn red" }, t("本季度红旗 ", "Quarter's red flag: "), el("b", {}, teamName(data.quarter_flags.red))));
    }
    if (data && data.month_flags.yellow) {
      parts.push(el("span", { class: "hn yellow" }, t("本月黄旗 ", "Yellow flag this month: "), el("b", {}, teamName(data.month_flags.yellow))));
    }
    if (data && data.star) {
      parts.push(el("span", { class: "hn star" }, t("每月之星 ", "Star of the month: "), el("b", {}, data.star.name)));
    }
    box.replaceChildren.apply(box, parts);
    box.classList.toggle("hidden", !parts.length);
  }

  async function load() {
    try {
      data = await H.api("GET", H.hallPath("/honours"));
      render();
    } catch (e) { /* the wall keeps its last line */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    load();
    setInterval(load, 300000);
    const lang = document.getElementById("lang");
    if (lang) lang.addEventListener("click", function () { setTimeout(render, 0); });
  });
}());
