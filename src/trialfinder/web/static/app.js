// Small enhancements; every page works without this file.
(function () {
  "use strict";
  var PANEL = "check-eligibility";

  function swappedPanel(event) {
    var target = event.detail && event.detail.target;
    return Boolean(target && target.id === PANEL);
  }

  // The eligibility panel answers bad input with 400 or 413 and the panel explaining why:
  // show it (htmx leaves error answers unswapped by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (swappedPanel(event) && (status === 400 || status === 413)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap, move focus to what changed, for screen readers: the panel's result or error,
  // or the search results heading.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = swappedPanel(event)
      ? document.getElementById("check-result") || document.getElementById("check-error")
      : document.getElementById("results-heading");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: !swappedPanel(event) });
    }
  });
})();
