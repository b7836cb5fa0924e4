/* LawTrail — signatures drawn on screen (tablets in the field).
 *
 * Every <canvas class="sig-pad" data-target="ID"> becomes a signing pad: pointer events cover
 * mouse, pen and touch (with a touch-event fallback for old tablet browsers). After each
 * stroke the drawing is written as a PNG data URL into the hidden input ID, which the server
 * checks and stores in the evidence store. "清除签名" (button.sig-clear) empties both.
 * No inline script: the Content-Security-Policy allows only files served by LawTrail.
 */
(function () {
  "use strict";

  function setup(canvas) {
    var input = document.getElementById(canvas.getAttribute("data-target"));
    if (!input || !canvas.getContext) {
      return;
    }
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    function blank() {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.strokeStyle = "#111111";
      ctx.fillStyle = "#111111";
      ctx.lineWidth = 3;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
    }

    function point(clientX, clientY) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (clientX - box.left) * (canvas.width / box.width),
        y: (clientY - box.top) * (canvas.height / box.height)
      };
    }

    function start(p) {
      drawing = true;
      last = p;
      ctx.beginPath();
      ctx.arc(p.x, p.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      drawn = true;
    }

    function move(p) {
      if (!drawing) {
        return;
      }
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    }

    function end() {
      if (!drawing) {
        return;
      }
      drawing = false;
      if (drawn) {
        input.value = canvas.toDataURL("image/png");
        canvas.classList.add("signed");
      }
    }

    blank();
    // After a refused submission the drawing is still in the hidden input: show it again.
    if (input.value.indexOf("data:image/png;base64,") === 0) {
      var previous = new Image();
      previous.onload = function () {
        ctx.drawImage(previous, 0, 0, canvas.width, canvas.height);
        drawn = true;
        canvas.classList.add("signed");
      };
      previous.src = input.value;
    }

    if (window.PointerEvent) {
      canvas.addEventListener("pointerdown", function (e) {
        e.preventDefault();
        if (canvas.setPointerCapture) {
          canvas.setPointerCapture(e.pointerId);
        }
        start(point(e.clientX, e.clientY));
      });
      canvas.addEventListener("pointermove", function (e) {
        if (drawing) {
          e.preventDefault();
          move(point(e.clientX, e.clientY));
        }
      });
      canvas.addEventListener("pointerup", end);
      canvas.addEventListener("pointercancel", end);
    } else {
      canvas.addEventListener("touchstart", function (e) {
        e.preventDefault();
        var t = e.changedTouches[0];
        start(point(t.clientX, t.clientY));
      });
      canvas.addEventListener("touchmove", function (e) {
        e.preventDefault();
        var t = e.changedTouches[0];
        move(point(t.clientX, t.clientY));
      });
      canvas.addEventListener("touchend", end);
      canvas.addEventListener("touchcancel", end);
      canvas.addEventListener("mousedown", function (e) {
        start(point(e.clientX, e.clientY));
      });
      canvas.addEventListener("mousemove", function (e) {
        move(point(e.clientX, e.clientY));
      });
      window.addEventListener("mouseup", end);
    }

    var clear = document.querySelector('button.sig-clear[data-target="' + input.id + '"]');
    if (clear) {
      clear.addEventListener("click", function () {
        blank();
        drawn = false;
        input.value = "";
        canvas.classList.remove("signed");
      });
    }
  }

  function init() {
    var pads = document.querySelectorAll("canvas.sig-pad");
    for (var i = 0; i < pads.length; i++) {
      setup(pads[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
