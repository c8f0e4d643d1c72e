// The register: save each mark as it is made, without reloading (progressive enhancement:
// without this file each button posts its form and the page reloads).
(function () {
  "use strict";
  var counter = document.querySelector("[data-marked-count]");
  function updateCount() {
    if (!counter) { return; }
    var n = 0;
    document.querySelectorAll("[data-mark-label]").forEach(function (el) { if (el.textContent !== "not marked") { n += 1; } });
    counter.textContent = String(n);
  }
  document.querySelectorAll("form[data-register-mark]").forEach(function (form) {
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=status]");
      if (!button || !window.fetch) { return; }
      event.preventDefault();
      var data = new FormData(form);
      data.set("status", button.value);
      var error = form.querySelector("[data-mark-error]");
      var row = form.closest("li");
      var label = row ? row.querySelector("[data-mark-label]") : null;
      form.classList.add("is-saving");
      fetch(form.action, { method: "POST", body: data, headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (!result.ok || !result.body.ok) { throw new Error(result.body.message || "Not saved."); }
          form.querySelectorAll("button[name=status]").forEach(function (b) {
            b.setAttribute("aria-pressed", b.value === result.body.status ? "true" : "false");
          });
          if (label) { label.textContent = result.body.label; }
          error.hidden = true;
          updateCount();
        })
        .catch(function (err) {
          error.textContent = (err && err.message ? err.message : "Not saved.") + " Try again, or reload the page.";
          error.hidden = false;
        })
        .finally(function () { form.classList.remove("is-saving"); });
    });
  });
})();
