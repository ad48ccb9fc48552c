// The hall's admin page (/admin): accounts and devices. Admins change them, managers read.
// Every name from the server goes into the page as text (hallq.el / textContent), never as HTML.
(function () {
  "use strict";
  const H = window.hallq;
  const el = H.el;
  const t = H.t;
  const $ = hallq.$;

  const ROLES = H.LABELS.role;
  const KINDS = H.LABELS.device;
  const state = { me: null, info: null, windows: [], users: [], devices: [], presence: [], tab: "users",
    editing: null, photoFor: null, photoData: null, passwordFor: null, photoBust: {} };

  function label(map, key) { const v = map[key]; return v ? t(v[0], v[1]) : key; }
  function isAdmin() { return state.me && state.me.role === "admin"; }

  // ------------------------------------------------------------ formatting
  function when(iso) { return H.fmtDateTime(iso) || "—"; }  // hall-local time
  function windowList(ns) {
    if (!ns || !ns.length) return "—";
    return ns.join(", ");
  }

  // ------------------------------------------------------------ messages
  function showError(msg) {
    $("notice").classList.add("hidden");
    $("error").textContent = msg;
    $("error").classList.remove("hidden");
  }
  function showNotice(msg) {
    $("error").classList.add("hidden");
    $("notice").textContent = msg;
    $("notice").classList.remove("hidden");
  }
  function clearMessages() { $("error").classList.add("hidden"); $("notice").classList.add("hidden"); }
  function formError(id, msg) {
    const box = $(id);
    if (!msg) { box.classList.add("hidden"); box.textContent = ""; return; }
    box.textContent = msg;
    box.classList.remove("hidden");
  }
  // 401: the sign-in ended; anything else is shown where the action was made.
  function failed(e, boxId) {
    if (session.expired(e)) return;
    const msg = (e && e.message) || String(e);
    if (boxId) formError(boxId, msg); else showError(msg);
  }

  // ------------------------------------------------------------ sign-in
  const session = H.session({ loginView: "login", mainView: "main", logoutButton: "logout",
    roles: ["admin", "manager"], denied: ["仅限系统管理员和大厅管理人员", "Administrators and managers only"],
    onSignedIn: start, onSignedOut: function () { $("who").classList.add("hidden"); } });

  // ------------------------------------------------------------ loading
  async function loadUsers() {
    state.users = await H.api("GET", H.hallPath("/users"));
    renderUsers();
  }
  async function loadDevices() {
    const got = await Promise.all([H.api("GET", H.hallPath("/devices")),
      H.api("GET", H.hallPath("/devices/presence"))]);
    state.devices = got[0];
    state.presence = got[1];
    renderDevices();
  }

  async function start(me) {
    try {
      state.me = me;
      const results = await Promise.all([H.api("GET", H.hallPath("")), H.api("GET", H.hallPath("/windows"))]);
      state.info = H.useHall(results[0]);
      state.windows = results[1].map(function (w) { return { number: w.number, name: w.name }; });
      await Promise.all([loadUsers(), loadDevices()]);
    } catch (e) { failed(e); if (e && e.status === 401) return; }
    document.body.classList.toggle("read-only", !isAdmin());
    $("readonly").classList.toggle("hidden", isAdmin());
    renderHead();
    fillSelects();
    showTab(state.tab);
    if (window.hallqAdminCalendar) await window.hallqAdminCalendar.load(isAdmin(), failed);
    if (window.hallqAdminOutbox) await window.hallqAdminOutbox.load(isAdmin(), failed);
    document.body.dataset.loaded = "1";
  }

  function renderHead() {
    if (state.info) $("hall-name").textContent = t(state.info.name, state.info.name_en || state.info.name);
    // a hall without a public_url phones can reach prints tickets without a QR code
    const info = state.info || {};
    const warning = info.public_url_warning
      ? t(info.public_url_warning_zh || info.public_url_warning, info.public_url_warning_en || info.public_url_warning) +
        t("。在 assets/halls/main.toml 的 [hall] public_url 设置手机能打开的地址（如 http://192.168.1.10:8080）。",
          ". Set an address phones can open (e.g. http://192.168.1.10:8080) as public_url under [hall] in assets/halls/main.toml.")
      : "";
    $("public-url-warning").textContent = warning;
    $("public-url-warning").classList.toggle("hidden", !warning);
    if (state.me) {
      $("who").textContent = state.me.name + " · " + label(ROLES, state.me.role);
      $("who").classList.remove("hidden");
    }
  }

  // ------------------------------------------------------------ tabs
  function showTab(tab) {
    state.tab = tab;
    ["users", "devices", "calendar", "outbox"].forEach(function (name) {
      const on = name === tab;
      $("tab-" + name).classList.toggle("active", on);
      $("tab-" + name).setAttribute("aria-selected", on ? "true" : "false");
      $(name + "-panel").classList.toggle("hidden", !on);
    });
  }

  // ------------------------------------------------------------ window chips and selects
  function fillSelects() {
    const role = $("u-role"), kind = $("d-kind");
    const keepRole = role.value || "staff", keepKind = kind.value || "kiosk";
    role.replaceChildren.apply(role, Object.keys(ROLES).map(function (k) {
      return el("option", { value: k }, label(ROLES, k));
    }));
    kind.replaceChildren.apply(kind, Object.keys(KINDS).map(function (k) {
      return el("option", { value: k }, label(KINDS, k));
    }));
    role.value = keepRole; kind.value = keepKind;
  }
  function renderChips(box, chosen) {
    const picked = new Set(chosen || []);
    box.replaceChildren.apply(box, state.windows.map(function (w) {
      const input = el("input", { type: "checkbox", value: String(w.number) });
      input.checked = picked.has(w.number);
      return el("label", { class: "chip", title: w.name },
        input, el("span", { class: "chip-no" }, t(w.number + " 号", "No. " + w.number)),
        el("span", { class: "chip-name" }, w.name));
    }));
  }
  function chosenWindows(box) {
    return Array.prototype.slice.call(box.querySelectorAll("input:checked"))
      .map(function (i) { return parseInt(i.value, 10); });
  }

  // ------------------------------------------------------------ accounts
  function actionButton(zh, en, cls, fn, name) {
    return el("button", { type: "button", class: "small-btn " + (cls || ""), onclick: fn,
      dataset: { action: name } }, t(zh, en));
  }
  function userRow(u) {
    const self = state.me && u.id === state.me.id;
    const status = el("span", null, u.active ? el("span", { class: "tag ok" }, t("启用", "Active"))
      : el("span", { class: "tag off" }, t("已停用", "Disabled")));
    if (u.sign_in_locked) {
      status.append(" ", el("span", { class: "tag locked", title: t("多次输错密码，登录需等待",
        "wrong passwords: sign-in must wait") }, t("登录受限", "sign-in locked")));
    }
    let photo = el("span", { class: "muted" }, "—");
    if (u.has_photo && u.photo_url) {
      const bust = state.photoBust[u.id];
      photo = el("img", { class: "thumb", alt: "", src: u.photo_url + (bust ? "?v=" + bust : "") });
    }
    const nameCell = el("td", { class: "text name" }, u.name);
    if (self) nameCell.append(" ", el("span", { class: "tag me" }, t("本人", "you")));
    const roleCell = el("td", { class: "text" }, el("span", { class: "role role-" + u.role }, label(ROLES, u.role)));
    if (!u.hall) {
      roleCell.append(" ", el("span", { class: "tag all", title: t("适用于所有大厅", "an account of every hall") },
        t("全部大厅", "all halls")));
    }
    const actions = el("td", { class: "actions admin-only" });
    if (isAdmin() && u.editable) {
      actions.append(
        actionButton("编辑", "Edit", "", function () { openUserForm(u); }, "edit"),
        actionButton("重置密码", "Password", "", function () { openPasswordForm(u); }, "password"),
        actionButton("照片", "Photo", "", function () { openPhotoForm(u); }, "photo"));
      if (u.active && !self)
        actions.append(actionButton("停用", "Disable", "danger", function () { setActive(u, false); }, "disable"));
      else if (!u.active)
        actions.append(actionButton("启用", "Enable", "", function () { setActive(u, true); }, "enable"));
    } else if (isAdmin()) {
      actions.append(el("span", { class: "muted small" }, t("仅全局管理员可改", "global admins only")));
    }
    if (isAdmin() && u.sign_in_locked)
      actions.append(actionButton("解锁", "Unlock", "", function () { unlock(u); }, "unlock"));
    return el("tr", { class: u.active ? null : "inactive", dataset: { username: u.username } },
      el("td", { class: "text mono" }, u.username),
      nameCell, roleCell,
      el("td", { class: "text" }, windowList(u.windows)),
      el("td", { class: "text" }, u.staff_no || "—"),
      el("td", { class: "text duties" }, u.duties || "—"),
      el("td", { class: "text" }, photo),
      el("td", { class: "text" }, status),
      el("td", { class: "text" }, when(u.last_sign_in_at)),
      actions);
  }
  function renderUsers() {
    const tb = $("users-table").tBodies[0];
    const rows = state.users.map(userRow);
    if (!rows.length) {
      rows.push(el("tr", null, el("td", { class: "text muted", colspan: "10" }, t("还没有账号", "No accounts yet"))));
    }
    tb.replaceChildren.apply(tb, rows);
    $("count-users").textContent = String(state.users.length);
  }

  function hideForms() {
    ["user-form", "password-form", "photo-form", "device-form"].forEach(function (id) {
      $(id).classList.add("hidden");
      formError(id + "-error", "");
    });
    state.editing = null; state.passwordFor = null; state.photoFor = null; state.photoData = null;
  }

  function openUserForm(u) {
    hideForms(); clearMessages();
    state.editing = u || null;
    const adding = !u;
    $("user-form-title").textContent = adding ? t("新增账号", "Add an account")
      : t("编辑账号：", "Edit account: ") + u.username;
    $("u-username").value = adding ? "" : u.username;
    $("u-username").disabled = !adding;
    $("u-name").value = adding ? "" : u.name;
    $("u-role").value = adding ? "staff" : u.role;
    $("u-role").disabled = !adding && state.me && u.id === state.me.id;  // own role: refused anyway
    $("u-staff-no").value = adding ? "" : (u.staff_no || "");
    $("u-duties").value = adding ? "" : (u.duties || "");
    $("u-password").value = "";
    $("u-password-field").classList.toggle("hidden", !adding);
    renderChips($("u-windows"), adding ? [] : u.windows);
    $("user-form").classList.remove("hidden");
    (adding ? $("u-username") : $("u-name")).focus();
  }
  async function saveUser(ev) {
    ev.preventDefault();
    formError("user-form-error", "");
    const body = {
      name: $("u-name").value.trim(),
      role: $("u-role").value,
      windows: chosenWindows($("u-windows")),
      staff_no: $("u-staff-no").value.trim() || null,
      duties: $("u-duties").value.trim() || null,
    };
    const editing = state.editing;
    if (!editing) {
      body.username = $("u-username").value.trim();
      body.password = $("u-password").value;
      if (!body.username) { formError("user-form-error", t("请填写用户名", "Enter a username")); return; }
      if (!body.password) { formError("user-form-error", t("请填写初始密码", "Enter an initial password")); return; }
      if (!body.name) delete body.name;  // the server uses the username
    } else if (!body.name) {
      formError("user-form-error", t("请填写姓名", "Enter a name")); return;
    }
    $("user-save").disabled = true;
    try {
      if (editing) {
        await H.api("PATCH", H.hallPath("/users/" + encodeURIComponent(editing.username)), body);
        showNotice(t("已保存账号 ", "Saved account ") + editing.username);
      } else {
        const u = await H.api("POST", H.hallPath("/users"), body);
        showNotice(t("已新增账号 ", "Added account ") + u.username +
          t("，请把初始密码告知本人。", "; give the initial password to its owner."));
      }
      hideForms();
      await loadUsers();
    } catch (e) { failed(e, "user-form-error"); }
    finally { $("user-save").disabled = false; }
  }

  function openPasswordForm(u) {
    hideForms(); clearMessages();
    state.passwordFor = u;
    $("password-form-title").textContent = t("重置密码：", "Reset password: ") + u.username + t("（", " (") + u.name + t("）", ")");
    $("p-password").value = ""; $("p-repeat").value = "";
    $("password-form").classList.remove("hidden");
    $("p-password").focus();
  }
  async function savePassword(ev) {
    ev.preventDefault();
    const u = state.passwordFor;
    if (!u) return;
    if ($("p-password").value !== $("p-repeat").value) {
      formError("password-form-error", t("两次输入的密码不一致", "The two passwords differ")); return;
    }
    try {
      await H.api("POST", H.hallPath("/users/" + encodeURIComponent(u.username) + "/password"),
        { password: $("p-password").value });
      hideForms();
      showNotice(t("已重置 " + u.username + " 的密码；此账号需重新登录。",
        "Password of " + u.username + " reset; the account signs in again."));
      await loadUsers();
    } catch (e) { failed(e, "password-form-error"); }
  }

  async function setActive(u, active) {
    clearMessages();
    if (!active && !window.confirm(t("停用账号 " + u.username + "（" + u.name + "）？此账号将立即退出登录。",
      "Disable " + u.username + " (" + u.name + ")? It is signed out at once."))) return;
    try {
      await H.api("POST", H.hallPath("/users/" + encodeURIComponent(u.username) + (active ? "/enable" : "/disable")));
      showNotice(active ? t("已启用 ", "Enabled ") + u.username : t("已停用 ", "Disabled ") + u.username);
      await loadUsers();
    } catch (e) { failed(e); }
  }

  async function unlock(u) {
    clearMessages();
    try {
      await H.api("POST", H.hallPath("/users/" + encodeURIComponent(u.username) + "/unlock"));
      showNotice(t("已解锁 " + u.username + "，可以立即登录", "Unlocked " + u.username + ": it can sign in now"));
      await loadUsers();
    } catch (e) { failed(e); }
  }

  // Photos are shrunk in the browser (a phone photo is several MB) and sent as base64 JSON.
  function openPhotoForm(u) {
    hideForms(); clearMessages();
    state.photoFor = u;
    $("photo-form-title").textContent = t("上传照片：", "Upload photo: ") + u.name;
    $("photo-file").value = "";
    $("photo-preview").classList.add("hidden");
    $("photo-preview").removeAttribute("src");
    $("photo-save").disabled = true;
    $("photo-form").classList.remove("hidden");
  }
  async function pickPhoto() {
    formError("photo-form-error", "");
    state.photoData = null;
    $("photo-save").disabled = true;
    const file = $("photo-file").files[0];
    if (!file) return;
    if (file.type !== "image/jpeg" && file.type !== "image/png") {
      formError("photo-form-error", t("只接受 JPEG 或 PNG 照片", "Only JPEG or PNG images")); return;
    }
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 600 / bitmap.width, 800 / bitmap.height);
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const type = file.type === "image/png" ? "image/png" : "image/jpeg";
      state.photoData = canvas.toDataURL(type, 0.88);
      $("photo-preview").src = state.photoData;
      $("photo-preview").classList.remove("hidden");
      $("photo-save").disabled = false;
    } catch (e) {
      formError("photo-form-error", t("无法读取这张图片", "This image cannot be read"));
    }
  }
  async function savePhoto(ev) {
    ev.preventDefault();
    const u = state.photoFor;
    if (!u || !state.photoData) return;
    $("photo-save").disabled = true;
    try {
      await H.api("POST", H.hallPath("/users/" + encodeURIComponent(u.username) + "/photo"),
        { image: state.photoData });
      state.photoBust[u.id] = Date.now();
      hideForms();
      showNotice(t("已更新 " + u.name + " 的照片", "Photo of " + u.name + " updated"));
      await loadUsers();
    } catch (e) { failed(e, "photo-form-error"); $("photo-save").disabled = false; }
  }

  // ------------------------------------------------------------ devices
  function deviceRow(d) {
    const working = d.active_tokens > 0;
    const tokens = el("td", { class: "num" }, el("span", { class: "tag " + (working ? "ok" : "off") },
      working ? String(d.active_tokens) : t("0 · 已吊销", "0 · revoked")));
    const actions = el("td", { class: "actions admin-only" });
    if (isAdmin()) {
      if (working)
        actions.append(actionButton("吊销令牌", "Revoke", "danger", function () { revokeDevice(d); }, "revoke"));
      actions.append(actionButton(working ? "更换令牌" : "生成新令牌", working ? "Replace token" : "New token", "",
        function () { newToken(d); }, "token"));
    }
    return el("tr", { class: working ? null : "inactive", dataset: { device: d.name } },
      el("td", { class: "text name" }, d.name),
      el("td", { class: "text" }, label(KINDS, d.kind)),
      el("td", { class: "text" }, windowList(d.windows)),
      el("td", { class: "text" }, when(d.created_at)),
      tokens,
      el("td", { class: "text" }, when(d.token_issued_at)),
      actions);
  }
  function renderDevices() {
    const tb = $("devices-table").tBodies[0];
    const rows = state.devices.map(deviceRow);
    if (!rows.length) {
      rows.push(el("tr", null, el("td", { class: "text muted", colspan: "7" }, t("还没有设备", "No devices yet"))));
    }
    tb.replaceChildren.apply(tb, rows);
    $("count-devices").textContent = String(state.devices.length);
    renderPresence();
  }
  // Heartbeats: each device program with when it was last seen (services/presence.py)
  function presenceRow(p) {
    const look = !p.online ? ["离线", "offline", "off"] : p.status === "ok" ? ["在线", "online", "ok"]
      : ["异常", "degraded", "warn"];
    return el("tr", { class: p.online ? null : "inactive", dataset: { presence: p.name + "/" + p.program } },
      el("td", { class: "text name" }, (p.registered || p.name !== "叫号屏" ? p.name : t(p.name, "Hall display")) + (p.registered ? "" : t("（未登记）", " (unregistered)"))),
      el("td", { class: "text" }, t(p.program_zh, p.program_en)),
      el("td", { class: "text" }, el("span", { class: "tag " + look[2], title: p.detail || "" },
        t(look[0], look[1])), p.detail ? " " + p.detail : ""),
      el("td", { class: "text", dataset: { lastSeen: p.last_seen_at } }, when(p.last_seen_at)),
      el("td", { class: "text" }, p.address || "—"),
      el("td", { class: "text" }, p.version || "—"));
  }
  function renderPresence() {
    const tb = $("presence-table").tBodies[0];
    const rows = (state.presence || []).map(presenceRow);
    if (!rows.length) {
      rows.push(el("tr", null, el("td", { class: "text muted", colspan: "6" },
        t("还没有设备发来心跳", "No device has sent a heartbeat yet"))));
    }
    tb.replaceChildren.apply(tb, rows);
  }

  function openDeviceForm() {
    hideForms(); clearMessages();
    $("d-name").value = "";
    $("d-kind").value = "kiosk";
    renderChips($("d-windows"), []);
    $("device-form").classList.remove("hidden");
    $("d-name").focus();
  }
  async function saveDevice(ev) {
    ev.preventDefault();
    formError("device-form-error", "");
    const body = { name: $("d-name").value.trim(), kind: $("d-kind").value, windows: chosenWindows($("d-windows")) };
    if (!body.name) { formError("device-form-error", t("请填写设备名称", "Enter a device name")); return; }
    try {
      const d = await H.api("POST", H.hallPath("/devices"), body);
      hideForms();
      showToken(d);
      await loadDevices();
    } catch (e) { failed(e, "device-form-error"); }
  }
  async function revokeDevice(d) {
    clearMessages();
    if (!window.confirm(t("吊销设备 " + d.name + " 的令牌？设备将立即无法连接，直到为它生成新令牌。",
      "Revoke the tokens of " + d.name + "? It stops working at once, until it gets a new token."))) return;
    try {
      const r = await H.api("POST", H.hallPath("/devices/" + encodeURIComponent(d.name) + "/revoke"));
      showNotice(t("已吊销 " + d.name + " 的 " + r.tokens_revoked + " 个令牌",
        "Revoked " + r.tokens_revoked + " token(s) of " + d.name));
      await loadDevices();
    } catch (e) { failed(e); }
  }
  async function newToken(d) {
    clearMessages();
    if (d.active_tokens > 0 && !window.confirm(t("为 " + d.name + " 生成新令牌？旧令牌将立即失效。",
      "Give " + d.name + " a new token? Its old token stops working at once."))) return;
    try {
      const r = await H.api("POST", H.hallPath("/devices/" + encodeURIComponent(d.name) + "/token"));
      showToken(r);
      await loadDevices();
    } catch (e) { failed(e); }
  }

  // The token exists only in this box: it is not kept in the page's state, and closing clears it.
  function showToken(d) {
    $("token-device").textContent = d.name + " (" + label(KINDS, d.kind) + ")";
    $("token-value").value = d.token;
    $("token-copied").classList.add("hidden");
    const evalUrl = d.kind === "evaluator" && d.windows && d.windows.length === 1;
    $("token-url-row").classList.toggle("hidden", !evalUrl);
    $("token-url").textContent = evalUrl ? location.origin + "/evaluator/" + d.windows[0] +
      "?token=" + encodeURIComponent(d.token) : "";
    $("token-box").classList.remove("hidden");
    $("token-value").focus();
    $("token-value").select();
  }
  function closeToken() {
    $("token-value").value = "";
    $("token-url").textContent = "";
    $("token-box").classList.add("hidden");
  }
  async function copyToken() {
    const input = $("token-value");
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(input.value);
        ok = true;
      }
    } catch (e) { ok = false; }
    if (!ok) {  // plain http on the hall LAN: the clipboard API is not offered there
      input.focus(); input.select();
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    }
    $("token-copied").textContent = ok ? t("已复制", "Copied") : t("请手动复制 (Ctrl+C)", "Copy it by hand (Ctrl+C)");
    $("token-copied").classList.remove("hidden");
  }

  // ------------------------------------------------------------ wiring
  function renderAll() {
    renderHead(); fillSelects(); renderUsers(); renderDevices();
  }

  document.addEventListener("DOMContentLoaded", function () {
    H.applyLang(document);
    H.langButton("lang", function () { hideForms(); clearMessages(); renderAll(); });
    $("tab-users").addEventListener("click", function () { showTab("users"); });
    $("tab-devices").addEventListener("click", function () { showTab("devices"); });
    $("tab-calendar").addEventListener("click", function () { showTab("calendar"); });
    // the calendar warning above the tabs leads to the tab that fixes it
    $("calendar-warning").addEventListener("click", function () { showTab("calendar"); });
    $("tab-outbox").addEventListener("click", function () { showTab("outbox"); });
    $("btn-add-user").addEventListener("click", function () { openUserForm(null); });
    $("btn-add-device").addEventListener("click", openDeviceForm);
    $("user-form").addEventListener("submit", saveUser);
    $("password-form").addEventListener("submit", savePassword);
    $("photo-form").addEventListener("submit", savePhoto);
    $("photo-file").addEventListener("change", pickPhoto);
    $("device-form").addEventListener("submit", saveDevice);
    document.querySelectorAll("form .cancel").forEach(function (b) { b.addEventListener("click", hideForms); });
    $("token-copy").addEventListener("click", copyToken);
    $("token-done").addEventListener("click", closeToken);
    session.start();
  });
})();
