// Small enhancements; every page works without this file.
(function () {
  "use strict";
  // After htmx swaps in new results, move focus to the results heading for screen readers.
  document.addEventListener("htmx:afterSwap", function () {
    var heading = document.getElementById("results-heading");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  });
})();
