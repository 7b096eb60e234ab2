/* Accessible select2 boxes (BITV 2.0 / WCAG 2.1 AA).
 *
 * FAB's forms use select2 4.0.13 for related records. Its search field has no label, and with
 * "allowClear" on a multiple select it puts the clear button (a <span>) straight into the <ul>
 * of the chosen items. This script names each search field after the field's own <label> and
 * moves the clear button next to the list (select2 handles its clicks on the whole box, so it
 * keeps working). select2 redraws both on every change: a MutationObserver repeats the fix.
 */
(function () {
  "use strict";

  function labelOf(container) {
    var select = container.previousElementSibling;
    if (!select || select.tagName !== "SELECT") { return ""; }
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    var text = label ? label.textContent : (select.getAttribute("aria-label") || select.name || "");
    return text.replace(/\*/g, "").trim();
  }

  function fix() {
    document.querySelectorAll(".select2-container").forEach(function (container) {
      var name = labelOf(container);
      container.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (field) {
        field.setAttribute("aria-label", name ? name + " – suchen" : "Auswahl suchen");
      });
      container.querySelectorAll("ul.select2-selection__rendered > .select2-selection__clear").forEach(function (clear) {
        clear.setAttribute("title", "Auswahl leeren");
        clear.parentNode.parentNode.insertBefore(clear, clear.parentNode);
      });
    });
  }

  function start() {
    fix();
    var pending = false;
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; fix(); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
