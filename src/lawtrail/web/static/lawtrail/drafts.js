// Drafts of a record form (lawtrail.web.drafts): what is typed is saved on the server a few
// seconds after the last change (POST _action=autosave), and the draft's id kept in the form.
// When the server cannot take it (the session ended, the network is down) the input is kept
// in this browser (localStorage) and offered back when the form is opened again — so no typed
// work is lost. Files are never kept: they are chosen again at submit.
(function () {
  "use strict";
  // After a submit went through, its form's locally kept input is dropped.
  var done = document.querySelector('meta[name="lawtrail-draft-done"]');
  if (done) {
    try { localStorage.removeItem("lawtrail-draft:" + done.getAttribute("content")); } catch (e) { /* ignore */ }
  }
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector(".autosave-status");
  var draftInput = form.querySelector("input[name=draft]");
  var key = "lawtrail-draft:" + form.getAttribute("data-autosave");
  var timer = null;
  var dirty = false;

  function say(text) { if (status) { status.textContent = text; } }

  function fields() {
    var data = new FormData(form);
    var kept = [];
    data.forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") { kept.push([name, value]); }
    });
    return { data: data, kept: kept };
  }

  function keepLocally(kept) {
    try {
      localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), fields: kept }));
    } catch (e) { /* storage full or disabled: nothing more to do */ }
  }

  function save() {
    timer = null;
    if (!dirty) { return; }
    var f = fields();
    f.data.set("_action", "autosave");
    // files are not sent with an autosave
    form.querySelectorAll("input[type=file]").forEach(function (input) { f.data.delete(input.name); });
    fetch(form.getAttribute("data-autosave") + window.location.search, {
      method: "POST", body: f.data, credentials: "same-origin", redirect: "manual",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.ok) { return response.json(); }
      throw new Error(String(response.status));
    }).then(function (answer) {
      if (!answer.saved) { throw new Error(answer.error || "not saved"); }
      dirty = false;
      if (draftInput) { draftInput.value = answer.draft; }
      try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
      say("草稿已自动保存（" + answer.at + "）");
    }).catch(function () {
      keepLocally(f.kept);
      say("无法保存到服务器（登录可能已失效）：已暂存在本机浏览器，重新登录后回到本页可恢复");
    });
  }

  function changed() {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 4000);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    if (timer) { clearTimeout(timer); timer = null; }
    keepLocally(fields().kept); // until the next page says the submit went through
  });

  // Offer back what this browser kept when the server could not take it.
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
  if (draftInput && draftInput.value) {
    // the server holds this draft (this page shows it): nothing to offer from the browser
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
    saved = null;
  }
  if (saved && saved.fields && saved.fields.length) {
    var bar = document.createElement("div");
    bar.className = "notice draft-restore";
    var when = new Date(saved.at);
    bar.appendChild(document.createTextNode("本机浏览器保存有本页未提交的内容（" + when.toLocaleString("zh-CN") + "）。 "));
    var restore = document.createElement("button");
    restore.type = "button";
    restore.textContent = "恢复这些内容";
    var drop = document.createElement("button");
    drop.type = "button";
    drop.textContent = "不恢复";
    bar.appendChild(restore);
    bar.appendChild(document.createTextNode(" "));
    bar.appendChild(drop);
    form.parentNode.insertBefore(bar, form);
    restore.addEventListener("click", function () {
      var byName = {};
      saved.fields.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
      Object.keys(byName).forEach(function (name) {
        if (name === "draft") { return; }
        form.querySelectorAll('[name="' + name.replace(/"/g, "") + '"]').forEach(function (el) {
          if (el.type === "checkbox" || el.type === "radio") {
            el.checked = byName[name].indexOf(el.value) >= 0;
          } else if (el.tagName === "SELECT" && el.multiple) {
            Array.prototype.forEach.call(el.options, function (o) { o.selected = byName[name].indexOf(o.value) >= 0; });
          } else if (el.type !== "file") {
            el.value = byName[name][0];
          }
        });
      });
      bar.remove();
      changed();
    });
    drop.addEventListener("click", function () {
      try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
      bar.remove();
    });
  }
})();
