/* After a failed save the focus goes to the first field with an error (BITV 2.0):
 * the first control marked aria-invalid, else the first control inside a .has-error group.
 * FAB's own forms mark errors with .has-error as well. */
(function () {
  "use strict";
  var field = document.querySelector("#main [aria-invalid='true']") ||
    document.querySelector("#main .has-error input, #main .has-error select, #main .has-error textarea");
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
})();
