/* Network partners typed with suggestions (cooperation forms): never a list of the directory.
 *
 * <input class="msa-partner-search" list="LIST-ID" data-url="…autocomplete" data-multiple="1">
 * Typing ≥ 2 characters of the last name (after the last ";") asks data-url?q=… for up to 20
 * {id, label}; the suggestions keep what was typed before, so several partners can be chosen.
 * The server resolves the names (an unknown or ambiguous name is an error at the field).
 */
(function () {
  "use strict";
  if (window.msaPartnerSearch) { return; }
  window.msaPartnerSearch = true;
  function init() {
    document.querySelectorAll("input.msa-partner-search").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var multiple = input.dataset.multiple === "1";
      input.addEventListener("input", function () {
        var parts = multiple ? input.value.split(";") : [input.value];
        var current = parts.pop().trim();
        var prefix = parts.map(function (p) { return p.trim(); }).filter(Boolean);
        if (current.length < 2) { return; }
        fetch(input.dataset.url + "?q=" + encodeURIComponent(current), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (rows) {
            list.innerHTML = "";
            rows.forEach(function (row) {
              var option = document.createElement("option");
              option.value = prefix.concat([row.label]).join("; ");
              list.appendChild(option);
            });
          });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
