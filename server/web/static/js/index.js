// The landing page: hall name and the language switch.
(function () {
  "use strict";
  hallq.applyLang(document);
  document.getElementById("lang").addEventListener("click", function () {
    hallq.setLang(hallq.lang() === "en" ? "zh" : "en");
  });
  hallq.api("GET", "/api/v1/halls/" + encodeURIComponent(hallq.hall())).then(function (h) {
    const name = document.getElementById("hall-name");
    name.textContent = hallq.t(h.name, h.name_en || h.name);
    document.title = name.textContent + " · hallq";
  }).catch(function () { /* the links still work without the name */ });
})();
