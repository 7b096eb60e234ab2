/* Rückfrage vor endgültigen Aktionen: data-confirm="Text" an einem Formular (submit) oder
   einem Button (click). Ersetzt onsubmit/onclick-Attribute, die die CSP nicht erlaubt. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form && form.getAttribute && form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target.closest("button[data-confirm]") : null;
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
  }, true);
})();
