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
  // People pickers: matches follow the typing (the "Find" button does the same without JavaScript).
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    var search = picker.querySelector("[data-picker-search]");
    var list = picker.querySelector("[data-picker-matches]");
    var more = picker.querySelector("[data-picker-more]");
    var name = picker.getAttribute("data-picker-name");
    var timer = null, asked = 0;
    if (!search || !list) { return; }
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var mine = ++asked;  // on a slow line an earlier search can answer last: only the latest counts
        var base = picker.getAttribute("data-picker-url");
        var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(search.value);
        fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) {
            if (!body || mine !== asked) { return; }
            var ticked = {};
            picker.querySelectorAll("[data-picker-ticked] input:checked, [data-picker-matches] input:checked").forEach(function (box) {
              ticked[box.value] = true;
            });
            list.querySelectorAll("li").forEach(function (li) {
              var box = li.querySelector("input");
              if (box && box.checked) { picker.querySelector("[data-picker-ticked]").appendChild(li); } else { li.remove(); }
            });
            (body.matches || body.people).forEach(function (person) {
              if (ticked[String(person.id)]) { return; }
              var li = document.createElement("li"), box = document.createElement("input"), label = document.createElement("label");
              li.className = "form-check";
              box.type = picker.getAttribute("data-picker-type") || "checkbox"; box.className = "form-check-input"; box.name = name; box.value = person.id;
              box.id = picker.id + "-" + person.id;
              label.className = "form-check-label"; label.htmlFor = box.id; label.textContent = person.label;
              li.appendChild(box); li.appendChild(label); list.appendChild(li);
            });
            if (more) { more.hidden = !body.more; }
          });
      }, 250);
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
