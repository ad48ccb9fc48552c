// The evaluator's 回访 step (/evaluator/{n}): after a bad rating has been sent, the resident may
// leave a mobile number for the call back, only with the consent box ticked. Digits come from the
// page's own large keypad (no input field: the tablet's system keyboard never opens). The number
// is checked by the rule of rules/identity.py (idnumber.js `mobileNumber`), sent once to
// POST …/tickets/{id}/rating/contact with the device token, and from then on shown masked only.
(function () {
  "use strict";
  const h = window.hallq;
  const $ = hallq.$;
  const MAX = 11;
  const st = { ticket: null, digits: "", consent: false, sending: false, touch: null, done: null };

  // 138 1234 5678: in groups, as a number is read out
  function grouped(d) {
    return [d.slice(0, 3), d.slice(3, 7), d.slice(7, 11)].filter(Boolean).join(" ");
  }

  // a red hint when something is wrong; `info` for the next step (blue)
  function hint(zh, en, info) {
    const box = $("phone-hint");
    box.textContent = zh ? h.t(zh, en) : "";
    box.classList.toggle("info", !!info);
    st.hint = zh ? [zh, en, info] : null;
  }

  // once eleven digits are in, say what comes next (or that it is not a mobile number)
  function guide() {
    if (st.digits.length < MAX) return hint(null);
    if (!window.hallqId.mobileNumber(st.digits)) {
      return hint("这不是手机号码，请按“删除”改正", "This is not a mobile number: press Delete to correct it");
    }
    if (!st.consent) {
      return hint("请点一下下面的方框表示同意，再按“提交电话”", "Tap the box below to agree, then press Send number", true);
    }
    hint("请按“提交电话”", "Now press Send number", true);
  }

  function render() {
    const box = $("phone-display");
    box.classList.toggle("empty", !st.digits);
    box.textContent = st.digits ? grouped(st.digits) : h.t("请输入11位手机号码", "Enter an 11-digit mobile number");
    box.dataset.digits = String(st.digits.length);
    $("phone-consent").setAttribute("aria-checked", st.consent ? "true" : "false");
    document.querySelectorAll("#keypad .key[data-key]").forEach(function (k) {
      if (/^[0-9]$/.test(k.dataset.key)) k.disabled = st.digits.length >= MAX;
    });
  }

  function press(key) {
    if (!st.ticket || st.sending) return;
    if (key === "back") st.digits = st.digits.slice(0, -1);
    else if (key === "clear") st.digits = "";
    else if (/^[0-9]$/.test(key) && st.digits.length < MAX) st.digits += key;
    guide();
    $("phone-consent").classList.remove("wanted");
    render();
    st.touch();
  }

  function finish(masked) {
    const done = st.done;
    forget();
    done(masked);
  }

  async function submit() {
    if (!st.ticket || st.sending) return;
    st.touch();
    const phone = window.hallqId.mobileNumber(st.digits);
    if (!phone) {
      const short = MAX - st.digits.length;
      if (st.digits && short > 0) {  // say how many are missing: nobody counts digits on a screen
        return hint("号码还差 " + short + " 位，手机号码是11位", "The number is " + short +
          (short === 1 ? " digit" : " digits") + " short: a mobile number has 11");
      }
      return hint("请输入以1开头的11位手机号码", "Please enter the 11-digit mobile number, starting with 1");
    }
    if (!st.consent) {
      $("phone-consent").classList.add("wanted");
      return hint("请先点一下下面的方框，表示同意回访", "Please tap the box below to agree to a call back");
    }
    st.sending = true;
    try {
      const r = await h.api("POST", h.hallPath("/tickets/" + st.ticket.id + "/rating/contact"),
        { phone: phone, consent: true });
      st.sending = false;
      finish(r.phone_masked);
    } catch (e) {
      st.sending = false;
      // kept by an earlier try whose answer was lost: say so, masked
      if (e.code === "contact_exists") finish(window.hallqId.maskPhone(phone));
      else if (e.code === "rating_expired") finish(false);  // too late: the thanks says it was not kept
      else hint(e.message_zh || e.message, e.message_en || e.message);
    }
  }

  // the number leaves the page's memory and screen as soon as the step ends, whichever way
  function forget() {
    st.ticket = null; st.digits = ""; st.consent = false; st.sending = false;
    hint(null);
    $("phone-consent").classList.remove("wanted");
    render();
  }

  window.hallqEvaluatorPhone = {
    // ticket: {id, number}; touch(): the page's idle timer starts again; done(masked number, or
    // null when skipped, or false when it came too late to be kept)
    open: function (ticket, touch, done) {
      forget();
      st.ticket = ticket; st.touch = touch; st.done = done;
      render();
    },
    forget: forget,
    relabel: function () { render(); if (st.hint) hint.apply(null, st.hint); },
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#keypad .key").forEach(function (k) {
      k.addEventListener("click", function () { press(k.dataset.key); });
    });
    $("phone-consent").addEventListener("click", function () {
      if (!st.ticket) return;
      st.consent = !st.consent;
      $("phone-consent").classList.remove("wanted");
      guide();
      render();
      st.touch();
    });
    $("phone-submit").addEventListener("click", submit);
    $("phone-skip").addEventListener("click", function () { if (st.ticket && !st.sending) finish(null); });
  });
})();
