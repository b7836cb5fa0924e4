// The pages' shared behaviour on top of Bootstrap (vendor/bootstrap, the offcanvas navigation):
// a Chinese date-time picker (flatpickr, zh) on every date and date-time input.
//
// The calendar opens from the button beside the field. The picker keeps the native input's value format (YYYY-MM-DD, YYYY-MM-DDTHH:MM), so the
// server's validation is unchanged; the input stays typeable (allowInput), and without
// scripts it is the browser's own date input.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");
  if (!window.flatpickr) { return; }
  var zh = (window.flatpickr.l10ns && window.flatpickr.l10ns.zh) || {};
  var locale = Object.assign({}, zh, {
    firstDayOfWeek: 1,
    yearAriaLabel: "年", monthAriaLabel: "月", hourAriaLabel: "时", minuteAriaLabel: "分",
    toggleTitle: "点击切换", scrollTitle: "滚动以增减", time_24hr: true
  });

  function attach(input) {
    if (input.dataset.picker === "off" || input._flatpickr) { return; }
    var withTime = input.type === "datetime-local";
    var withSeconds = withTime && /T\d\d:\d\d:\d\d/.test(input.value);
    var format = withTime ? (withSeconds ? "Y-m-d\\TH:i:S" : "Y-m-d\\TH:i") : "Y-m-d";
    var options = {
      locale: locale,
      allowInput: true,
      enableTime: withTime,
      enableSeconds: withSeconds,
      time_24hr: true,
      dateFormat: format,
      minuteIncrement: 1,
      disableMobile: false,
      // The calendar opens from its button, not on focus: typing (or a script filling the
      // field) never has a calendar covering the rest of the form.
      clickOpens: false,
      ariaDateFormat: "Y年n月j日"
    };
    if (input.min) { options.minDate = input.min; }
    if (input.max) { options.maxDate = input.max; }
    var label = input.labels && input.labels[0];
    input.type = "text";
    input.setAttribute("inputmode", "numeric");
    input.setAttribute("placeholder", withTime ? "年-月-日T时:分" : "年-月-日");
    input.setAttribute("autocomplete", "off");
    var wrap = document.createElement("span");
    wrap.className = "picker";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "picker-button";
    button.textContent = withTime ? "选择日期时间" : "选择日期";
    wrap.appendChild(button);
    var picker = window.flatpickr(input, options);
    button.addEventListener("click", function () { picker.toggle(); });
    if (label && !input.getAttribute("aria-label")) { input.setAttribute("aria-label", label.textContent.replace(/[：:*※\s]+$/, "")); }
  }

  function attachAll(root) {
    var inputs = (root || document).querySelectorAll('input[type="date"], input[type="datetime-local"]');
    for (var i = 0; i < inputs.length; i++) { attach(inputs[i]); }
  }
  attachAll(document);
  window.lawtrailPickers = attachAll;
})();
