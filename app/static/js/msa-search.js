/* Search fields with suggestions (persons, network partners): never a list of a whole table.
 *
 * <input class="msa-search" list="LIST-ID" data-url="…autocomplete" data-target="HIDDEN-ID">
 * Typing ≥ 2 characters asks data-url?q=… for up to 20 {id, label}; choosing a suggestion puts
 * its id into the hidden field, changing the text clears it.
 */
(function () {
  "use strict";
  document.querySelectorAll("input.msa-search").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var target = document.getElementById(input.dataset.target);
    var url = input.dataset.url;
    var found = {};
    input.addEventListener("input", function () {
      var label = input.value;
      if (found[label]) { target.value = found[label]; return; }
      target.value = "";
      if (label.length < 2) { return; }
      fetch(url + "?q=" + encodeURIComponent(label), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (rows) {
          list.innerHTML = "";
          rows.forEach(function (row) {
            found[row.label] = row.id;
            var option = document.createElement("option");
            option.value = row.label;
            list.appendChild(option);
          });
        });
    });
  });
})();
