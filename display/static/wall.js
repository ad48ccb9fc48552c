// 阳光台 (staff wall): photos, names, duties, windows and this month's satisfaction of the hall's
// staff, for a public screen. Refreshes on ratings and sign-ins and every minute; pages through
// the staff when they do not fit on one screen. ?hall=main ?lang=en ?layout=portrait
(function () {
  "use strict";
  const $ = hallq.$;
  const el = hallq.el;
  const params = new URLSearchParams(location.search);
  const PAGE_MS = 15000;
  let data = null;
  let page = 0;

  if (params.get("lang") === "en" || params.get("lang") === "zh") {
    localStorage.setItem(hallq.langKey, params.get("lang"));
  }
  function portrait() {
    const p = params.get("layout");
    return p === "portrait" || (p !== "landscape" && window.innerHeight > window.innerWidth);
  }
  function perPage() { return 12; }  // 4 x 3 landscape, 2 x 6 portrait
  function applyLayout() { document.documentElement.classList.toggle("portrait", portrait()); }

  const pct = hallq.fmtPercent;  // whole percent: "97%"

  function card(s) {
    const img = el("img", { src: s.photo, alt: s.name, loading: "lazy" });
    const initial = el("div", { class: "initial hidden", "aria-hidden": "true" }, (s.name || "").slice(0, 1));
    img.addEventListener("error", function () { img.classList.add("hidden"); initial.classList.remove("hidden"); });
    const windows = (s.windows || []).map(function (w) { return w.number; });
    // the server gives a share only from the hall's minimum of ratings (a "100%" of one rating says little)
    const few = s.satisfaction === null || s.satisfaction === undefined;
    const sat = few
      ? el("span", { class: "pct none" }, s.ratings
        ? hallq.t("满 " + data.min_ratings + " 次评价后公示", "Shown from " + data.min_ratings + " ratings a month")
        : hallq.t("本月暂无评价", "No ratings yet"))
      : el("span", { class: "pct" }, pct(s.satisfaction));
    return el("div", { class: "card" + (s.on_duty_window ? " on-duty" : ""), dataset: { staff: s.id } },
      el("div", { class: "photo" }, img, initial),
      el("div", { class: "info" },
        el("div", { class: "head" }, el("span", { class: "name" }, s.name),
           s.staff_no ? el("span", { class: "no" }, hallq.t("工号 ", "No. ") + s.staff_no) : null),
        s.duties ? el("div", { class: "duties" }, s.duties) : null,
        el("div", { class: "windows" },
          windows.length ? el("span", null, hallq.t(windows.join("、") + " 号窗口", "Window " + windows.join(", "))) : null,
          el("span", { class: s.on_duty_window ? "duty" : "duty off" },
            s.on_duty_window ? hallq.t("在岗 " + s.on_duty_window + " 号", "At window " + s.on_duty_window)
                             : hallq.t("不在岗", "Off duty"))),
        el("div", { class: "sat" }, sat,
          el("span", { class: "label" }, s.ratings
            ? (few ? hallq.t("本月 " + s.ratings + " 次评价", s.ratings + " ratings this month")
              : hallq.t("本月满意度 · " + s.ratings + " 次评价", "this month · " + s.ratings + " ratings"))
            : ""))));
  }

  function render() {
    hallq.applyLang(document);
    $("lang").textContent = hallq.lang() === "en" ? "中文" : "EN";
    if (!data) return;
    const en = hallq.lang() === "en";
    $("hall-name").textContent = en ? (data.name_en || data.name) : data.name;
    const [y, m] = data.month.split("-");
    $("month").textContent = en ? data.month : y + " 年 " + parseInt(m, 10) + " 月";
    $("complaint").textContent = data.complaint_phone
      ? hallq.t("欢迎监督 · 投诉电话 " + data.complaint_phone, "Your opinion counts · Complaints: " + data.complaint_phone)
      : hallq.t("欢迎监督", "Your opinion counts");
    const grid = $("staff");
    grid.textContent = "";
    const n = perPage();
    const pages = Math.max(1, Math.ceil(data.staff.length / n));
    page = page % pages;
    if (!data.staff.length) {
      grid.append(el("div", { class: "empty" }, hallq.t("暂无工作人员信息", "No staff listed yet")));
    }
    const shown = data.staff.slice(page * n, page * n + n);
    shown.forEach(function (s) { grid.append(card(s)); });
    fitGrid(grid, shown.length);
    $("page").textContent = pages > 1 ? (page + 1) + " / " + pages : "";
  }

  // The grid grows with the staff on the page: 2 cards fill the screen, 12 make 4 x 3 (landscape);
  // with few cards each is larger (class "big").
  function fitGrid(grid, count) {
    const c = Math.max(1, count);
    const cols = portrait() ? (c <= 3 ? 1 : 2) : (c <= 2 ? c : c <= 4 ? 2 : c <= 9 ? 3 : 4);
    const rows = Math.max(1, Math.ceil(c / cols));
    grid.style.gridTemplateColumns = "repeat(" + cols + ", minmax(0, 1fr))";
    grid.style.gridTemplateRows = "repeat(" + rows + ", minmax(0, 1fr))";
    grid.classList.toggle("big", c <= (portrait() ? 3 : 4));
    grid.dataset.cols = cols;
  }

  async function load() {
    try {
      data = await hallq.api("GET", hallq.hallPath("/wall"));
    } catch (e) {
      console.warn("wall: " + e.message);
    }
    render();
  }

  let timer = null;
  function loadSoon() { clearTimeout(timer); timer = setTimeout(load, 500); }

  applyLayout();
  window.addEventListener("resize", function () { applyLayout(); render(); });
  $("lang").addEventListener("click", function () {
    hallq.setLang(hallq.lang() === "en" ? "zh" : "en");
    render();
  });
  hallq.subscribe({
    onEvent: function (ev) {
      if (ev.type === "ticket.rated" || ev.type === "window.signed_in" || ev.type === "window.signed_out") loadSoon();
    },
    onReconnect: load,
  });
  setInterval(load, 60000);
  setInterval(function () { page += 1; render(); }, PAGE_MS);
  render();
})();
