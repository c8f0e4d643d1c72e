// Certificates: a print button on the venue summary (the page prints fine without it).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
  });
})();
