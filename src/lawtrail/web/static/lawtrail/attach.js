/* LawTrail — audio/video attached from inside a record form (issue #15): a file chosen, or on
 * a phone taken straight with the camera (input capture), is uploaded at once into the case's
 * evidence store (the same streamed PUT as the media page: lawtrail.web.uploads) with a progress
 * bar, and appears checked among the form's 附加的音像文件 — no trip to the media page first.
 * Ingesting is an act of its own (the file is in the ledger from then on: the 24-hour storage
 * rule counts from it), whether or not this record is submitted.
 */
(function () {
  "use strict";
  var box = document.getElementById("record-attach");
  if (!box) { return; }
  var url = box.getAttribute("data-upload-url");
  var list = document.getElementById("attach-queue");

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function beijingIso(ms) {
    var d = new Date(ms + 8 * 3600 * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      "T" + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "+08:00";
  }
  function csrfToken() {
    var input = document.querySelector("form.record-form input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function mediaList() {
    var list = document.getElementById("id_media");
    if (!list) {
      list = document.createElement("div");
      list.id = "id_media";
      box.appendChild(list);
    }
    return list;
  }
  function attach(answer) {
    var list = mediaList();
    var existing = list.querySelector('input[value="' + answer.sha256 + '"]');
    if (existing) { existing.checked = true; return; }
    var row = document.createElement("div");
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "checkbox";
    input.name = "media";
    input.value = answer.sha256;
    input.checked = true;
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + answer.filename + "（刚上传）"));
    row.appendChild(label);
    list.appendChild(row);
    input.dispatchEvent(new Event("change", { bubbles: true })); // the draft keeps it
  }
  function upload(file) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.textContent = file.name + " ";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var result = document.createElement("span");
    result.className = "attach-result";
    item.appendChild(name);
    item.appendChild(bar);
    item.appendChild(result);
    list.appendChild(item);
    var params = new URLSearchParams();
    params.set("filename", file.name);
    params.set("captured_at", beijingIso(file.lastModified || Date.now()));
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", url + "?" + params.toString());
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
    };
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
      if (xhr.status === 201 || xhr.status === 200) {
        bar.value = 100;
        item.className = "attach-ok";
        result.textContent = " 已入库并附加：sha256 " + answer.sha256.slice(0, 12) + "…";
        attach(answer);
      } else {
        item.className = "attach-failed";
        result.textContent = " 未能上传：" + (answer.error || ("服务器答复 " + xhr.status));
      }
    };
    xhr.onerror = function () {
      item.className = "attach-failed";
      result.textContent = " 未能上传：网络中断，请重试";
    };
    xhr.send(file);
  }
  box.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, upload);
      input.value = "";
    });
  });
})();
