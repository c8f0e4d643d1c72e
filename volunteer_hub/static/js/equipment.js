// Equipment: big + / − buttons beside each quantity on the hand-out form.
// Progressive enhancement: without this file the number inputs work on their own.
(function () {
  "use strict";
  document.querySelectorAll("[data-stepper]").forEach(function (stepper) {
    var input = stepper.querySelector("input");
    var max = parseInt(stepper.getAttribute("data-max"), 10);
    stepper.querySelectorAll("[data-step]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var value = parseInt(input.value, 10) || 0;
        value += parseInt(button.getAttribute("data-step"), 10);
        if (value < 0) { value = 0; }
        if (!isNaN(max) && value > max) { value = max; }
        input.value = value;
        stepper.classList.toggle("stepper-active", value > 0);
      });
    });
  });
})();
