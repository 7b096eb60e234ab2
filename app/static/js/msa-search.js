/* Search fields with suggestions (persons, network partners): never a list of a whole table.
 *
 * <input class="msa-search" list="LIST-ID" data-url="…autocomplete" data-target="HIDDEN-ID">
 * Typing ≥ 2 characters asks data-url?q=… for up to 20 {id, label}; choosing a suggestion puts
 * its id into the hidden field, changing the text clears it.
 *
 * <input class="msa-person-search-input" list="LIST-ID" data-url="…autocomplete?all=1"> (the
 * caseworkers' search field): the same suggestions; choosing one opens that case file
 * (its "url"), Enter submits the form and shows the result list.
 *
 * Safe to include more than once: every input is bound once.
 */
(function () {
  "use strict";
  function suggest(input, list, url, onRows) {
    var label = input.value;
    if (label.length < 2) { return; }
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    fetch(url + sep + "q=" + encodeURIComponent(label), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (rows) {
        if (input.value !== label) { return; }  // typed on meanwhile
        list.innerHTML = "";
        rows.forEach(function (row) {
          onRows(row);
          var option = document.createElement("option");
          option.value = row.label;
          list.appendChild(option);
        });
      })
      .catch(function () { /* no suggestions: Enter still searches */ });
  }
  document.querySelectorAll("input.msa-search").forEach(function (input) {
    if (input.dataset.msaBound) { return; }
    input.dataset.msaBound = "1";
    var list = document.getElementById(input.getAttribute("list"));
    var target = document.getElementById(input.dataset.target);
    var url = input.dataset.url;
    var found = {};
    input.addEventListener("input", function () {
      var label = input.value;
      if (found[label]) { target.value = found[label]; return; }
      target.value = "";
      suggest(input, list, url, function (row) { found[row.label] = row.id; });
    });
  });
  document.querySelectorAll("input.msa-person-search-input").forEach(function (input) {
    if (input.dataset.msaBound) { return; }
    input.dataset.msaBound = "1";
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.dataset.url;
    var found = {};
    var timer = null;
    input.addEventListener("input", function () {
      if (found[input.value]) { window.location.href = found[input.value]; return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        suggest(input, list, url, function (row) { found[row.label] = row.url; });
      }, 150);
    });
  });
})();
