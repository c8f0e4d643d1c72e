// volunteer_hub: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  // Move focus to an error summary so screen-reader and keyboard users hear what went wrong.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
  // Forms that ask before they act (e.g. cancelling a booking).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // One click, one submit: disable submit buttons once a form is on its way.
  document.querySelectorAll("form[method=post], form[method=POST]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    });
  });
  // The impact report: typing a date means "Choose dates".
  document.querySelectorAll("form[data-custom-period]").forEach(function (form) {
    var period = form.querySelector("select[name=period]");
    form.querySelectorAll("input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () { if (period) { period.value = "custom"; } });
    });
  });
})();
