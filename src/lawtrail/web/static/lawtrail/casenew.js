// The new-case form: the case number offered by the agency's pattern follows the procedure
// (一般程序 / 简易程序 may be numbered differently), unless the user typed a number of their own.
(function () {
  "use strict";
  var number = document.querySelector("input[name='case-case_number']");
  var procedure = document.querySelector("select[name='case-procedure']");
  if (!number || !procedure) { return; }
  function offered(name) { return number.getAttribute("data-suggest-" + name) || ""; }
  var offers = Array.prototype.map.call(procedure.options, function (o) { return offered(o.value); });
  procedure.addEventListener("change", function () {
    var next = offered(procedure.value) || offered("general");
    if (next && (number.value === "" || offers.indexOf(number.value) >= 0)) { number.value = next; }
  });
})();
