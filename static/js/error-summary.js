/*
 * After a form comes back with errors (422), move the focus to its error summary, so that a screen reader
 * reads it at once and a keyboard user starts from its links to each field. Without JavaScript the summary
 * is still the first thing in the form's column, announced as an alert.
 */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  if (!summary.hasAttribute("tabindex")) {
    summary.setAttribute("tabindex", "-1");
  }
  summary.focus();
  if (summary.scrollIntoView) {
    summary.scrollIntoView({ block: "start" });
  }
})();
