// Resident ID numbers (GB 11643), mainland mobile numbers and masking for the pages: the rules of rules/identity.py,
// written again because a browser cannot run Python. tests/pages/phone/test_id_rules_parity.py
// runs the same vectors through this file (in Chromium) and through the Python, so they cannot drift.
(function (root) {
  "use strict";
  const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const CHECK_CHARS = "10X98765432";
  const EARLIEST_YEAR = 1900;

  function normalize(s) { return typeof s === "string" ? s.trim().toUpperCase() : ""; }

  function checkChar(first17) {
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
    return CHECK_CHARS[sum % 11];
  }

  // today: "YYYY-MM-DD" (the hall's day) or omitted for the browser's own date
  function todayKey(today) {
    if (typeof today === "string") return Number(today.replaceAll("-", ""));
    const d = new Date();
    return d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
  }

  // null when valid, else why: "shape", "birth_date" or "check" (as rules.identity.problem)
  function problem(s, today) {
    s = normalize(s);
    if (!/^[0-9]{17}[0-9X]$/.test(s)) return "shape";
    const y = Number(s.slice(6, 10)), m = Number(s.slice(10, 12)), d = Number(s.slice(12, 14));
    if (y < EARLIEST_YEAR || m < 1 || m > 12 || d < 1) return "birth_date";
    const born = new Date(Date.UTC(y, m - 1, d));
    if (born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) return "birth_date";
    if (y * 10000 + m * 100 + d > todayKey(today)) return "birth_date";
    if (checkChar(s) !== s[17]) return "check";
    return null;
  }

  function valid(s, today) { return problem(s, today) === null; }

  function maskIdNumber(s) {
    s = (s || "").trim();
    return s.length <= 8 ? "*".repeat(s.length) : s.slice(0, 4) + "*".repeat(s.length - 8) + s.slice(-4);
  }

  function maskName(name) {
    const s = (name || "").trim();
    return s ? Array.from(s)[0] + "*" : "";
  }

  // the 11 digits of a mainland mobile number (spaces, dashes, a leading +86 allowed), else null
  function mobileNumber(text) {
    if (typeof text !== "string") return null;
    let s = text.replace(/[ \t\r\n-]/g, "");
    if (s.startsWith("+86")) s = s.slice(3);
    return /^1[3-9][0-9]{9}$/.test(s) ? s : null;
  }

  function maskPhone(phone) {
    const s = (phone || "").trim();
    return s.length < 7 ? "*".repeat(s.length) : s.slice(0, 3) + "*".repeat(s.length - 7) + s.slice(-4);
  }

  root.hallqId = { normalize, checkChar, problem, valid, maskIdNumber, maskName, maskPhone, mobileNumber };
})(window);
