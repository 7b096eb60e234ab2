/* Gruppenberatung: Teilnehmende suchen und hinzufügen (CSP: keine Inline-Skripte). */
(function () {
  var input = document.getElementById("teilnehmende-suche");
  if (!input) { return; }
  var url = input.getAttribute("data-url");
  var hits = document.getElementById("teilnehmende-treffer");
  var chosen = document.getElementById("teilnehmende");
  function add(row) {
    if (chosen.querySelector('input[value="' + row.id + '"]')) { return; }
    var li = document.createElement("li");
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "participant_ids"; box.value = row.id; box.checked = true;
    label.appendChild(box); label.appendChild(document.createTextNode(" " + row.label));
    li.appendChild(label); chosen.appendChild(li);
  }
  input.addEventListener("input", function () {
    var q = input.value;
    if (q.length < 2) { hits.innerHTML = ""; return; }
    fetch(url + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        hits.innerHTML = "";
        rows.forEach(function (row) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button"; b.className = "btn btn-link btn-sm";
          b.textContent = "+ " + row.label;
          b.addEventListener("click", function () { add(row); });
          li.appendChild(b); hits.appendChild(li);
        });
      });
  });
})();
