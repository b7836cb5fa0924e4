/* LawTrail — media upload on the case's media page.
 *
 * Files chosen one by one, a whole folder (input webkitdirectory) or dropped (files and folders,
 * walked with DataTransferItem.webkitGetAsEntry) are queued and uploaded one at a time: an
 * XMLHttpRequest PUT whose body is the File itself, so the browser streams it from disk and the
 * server streams it into the evidence store — a file of several GB never sits in memory on
 * either side. Metadata goes in the query string; the answer is JSON (sha256 … or a Chinese
 * error). No inline script or style: the page's Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  var section = document.getElementById("media-upload");
  if (!section) {
    return;
  }
  var uploadUrl = section.getAttribute("data-upload-url");
  var allowed = section.getAttribute("data-extensions").split(",");
  var maxBytes = Number(section.getAttribute("data-max-bytes"));
  var maxText = section.getAttribute("data-max-text");
  var queueList = document.getElementById("upload-queue");
  var summary = document.getElementById("upload-summary");
  var summaryText = document.getElementById("upload-summary-text");
  var deviceSelect = document.getElementById("upload-device");
  var typeSelect = document.getElementById("upload-type");
  var drop = document.getElementById("upload-drop");

  var waiting = [];
  var busy = false;
  var counts = { ok: 0, failed: 0, skipped: 0 };

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var input = section.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* A moment as Beijing wall-clock time with its offset: 2026-03-04T09:30:12+08:00. */
  function beijingIso(ms) {
    var d = new Date(ms + 8 * 3600 * 1000);
    return (
      d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      "T" + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) +
      "+08:00"
    );
  }

  function extension(name) {
    var dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  }

  function sizeText(bytes) {
    var units = [["GB", 1073741824], ["MB", 1048576], ["KB", 1024]];
    for (var i = 0; i < units.length; i++) {
      if (bytes >= units[i][1]) {
        return (bytes / units[i][1]).toFixed(1) + " " + units[i][0];
      }
    }
    return bytes + " 字节";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function finish(item, outcome, message) {
    counts[outcome] += 1;
    item.row.classList.add("upload-" + outcome);
    item.result.textContent = message;
    if (outcome !== "ok") {
      item.bar.value = 0;
    }
  }

  function showSummary() {
    if (busy || waiting.length) {
      return;
    }
    summaryText.textContent =
      "本批上传完成：成功 " + counts.ok + " 个，失败 " + counts.failed + " 个，跳过 " +
      counts.skipped + " 个。";
    summary.hidden = false;
  }

  function add(file, shownPath) {
    if (file.name.charAt(0) === ".") {
      return; /* hidden files of the operating system (.DS_Store …) */
    }
    summary.hidden = true;
    var row = element("li", "upload-item");
    var bar = element("progress", "upload-bar");
    bar.max = 100;
    bar.value = 0;
    var result = element("span", "upload-result", "等待上传");
    row.appendChild(element("span", "upload-name", shownPath || file.name));
    row.appendChild(element("span", "upload-size muted", sizeText(file.size)));
    row.appendChild(bar);
    row.appendChild(result);
    queueList.appendChild(row);
    var item = { file: file, row: row, bar: bar, result: result };
    if (allowed.indexOf(extension(file.name)) < 0) {
      finish(item, "skipped", "已跳过：不支持的文件类型（只接受 " + allowed.join("、") + "）");
      showSummary();
      return;
    }
    if (file.size > maxBytes) {
      finish(item, "failed", "文件过大：超过上传上限 " + maxText + "，未上传");
      showSummary();
      return;
    }
    waiting.push(item);
    next();
  }

  function unreadable(shownPath) {
    var row = element("li", "upload-item");
    var bar = element("progress", "upload-bar");
    var result = element("span", "upload-result");
    row.appendChild(element("span", "upload-name", shownPath));
    row.appendChild(bar);
    row.appendChild(result);
    queueList.appendChild(row);
    finish({ row: row, bar: bar, result: result }, "failed", "无法读取该文件，未上传");
    showSummary();
  }

  function next() {
    if (busy) {
      return;
    }
    var item = waiting.shift();
    if (!item) {
      showSummary();
      return;
    }
    busy = true;
    send(item);
  }

  function send(item) {
    var params = new URLSearchParams();
    params.set("filename", item.file.name);
    params.set("captured_at", beijingIso(item.file.lastModified || Date.now()));
    if (deviceSelect.value) {
      params.set("device", deviceSelect.value);
    }
    if (typeSelect.value) {
      params.set("type", typeSelect.value);
    }
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", uploadUrl + "?" + params.toString());
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    item.result.textContent = "正在上传…";
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable && event.total > 0) {
        item.bar.value = Math.floor((event.loaded / event.total) * 100);
        item.result.textContent = "正在上传 " + item.bar.value + "%";
      }
    };
    xhr.onload = function () {
      var data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch (ignored) {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data && data.sha256) {
        item.bar.value = 100;
        finish(
          item,
          "ok",
          "已入库：sha256 " + data.sha256 + "，账本第 " + data.seq + " 条" +
            (data.created ? "" : "（证据库中已有相同内容）")
        );
      } else {
        finish(item, "failed", (data && data.error) || "上传失败（HTTP " + xhr.status + "）");
      }
      busy = false;
      next();
    };
    xhr.onerror = function () {
      finish(item, "failed", "网络错误：上传中断，未保存");
      busy = false;
      next();
    };
    xhr.onabort = xhr.onerror;
    xhr.send(item.file);
  }

  function addList(files) {
    for (var i = 0; i < files.length; i++) {
      add(files[i], files[i].webkitRelativePath || files[i].name);
    }
  }

  function byName(a, b) {
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  }

  /* A dropped file or folder; a folder is read in batches until readEntries returns none. */
  function walk(entry, prefix) {
    if (entry.isFile) {
      entry.file(
        function (file) {
          add(file, prefix + file.name);
        },
        function () {
          unreadable(prefix + entry.name);
        }
      );
      return;
    }
    if (!entry.isDirectory) {
      return;
    }
    var reader = entry.createReader();
    var children = [];
    var readBatch = function () {
      reader.readEntries(function (batch) {
        if (batch.length) {
          children = children.concat(Array.prototype.slice.call(batch));
          readBatch();
          return;
        }
        children.sort(byName).forEach(function (child) {
          walk(child, prefix + entry.name + "/");
        });
      });
    };
    readBatch();
  }

  document.getElementById("upload-files").addEventListener("change", function (event) {
    addList(event.target.files);
    event.target.value = "";
  });
  document.getElementById("upload-folder").addEventListener("change", function (event) {
    var files = Array.prototype.slice.call(event.target.files);
    files.sort(function (a, b) {
      return a.webkitRelativePath < b.webkitRelativePath ? -1 : 1;
    });
    addList(files);
    event.target.value = "";
  });

  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("upload-drop-active");
    });
  });
  drop.addEventListener("dragleave", function () {
    drop.classList.remove("upload-drop-active");
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("upload-drop-active");
    var items = event.dataTransfer.items;
    /* Entries must be taken now: the DataTransfer is emptied after this handler. */
    var entries = [];
    if (items && items.length && typeof items[0].webkitGetAsEntry === "function") {
      for (var i = 0; i < items.length; i++) {
        var entry = items[i].kind === "file" ? items[i].webkitGetAsEntry() : null;
        if (entry) {
          entries.push(entry);
        }
      }
    }
    if (entries.length) {
      entries.sort(byName).forEach(function (entry) {
        walk(entry, "");
      });
    } else {
      addList(event.dataTransfer.files);
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (busy || waiting.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
