/* The German date input (app/views/date_field.py): a pasted or short date is written as
 * TT.MM.JJJJ when the field is left — "5.12.26" and "2026-12-05" become "05.12.2026".
 * Display only: the server parses and judges whatever is sent (app/dates.py, the same
 * two-digit-year window: 80 years back, 19 ahead). A text that is no real day stays as typed,
 * so the server's German message can name it. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fullYear(yy) {
    var now = new Date().getFullYear();
    var year = now - (now % 100) + yy;
    if (year > now + 19) { year -= 100; } else if (year < now - 80) { year += 100; }
    return year;
  }
  function normalise(text) {
    var t = text.replace(/\s+/g, "");
    var d, m, y, g = /^(\d{1,2})([.\/-])(\d{1,2})\2(\d{2}|\d{4})$/.exec(t);
    if (g) {
      d = +g[1]; m = +g[3]; y = g[4].length === 2 ? fullYear(+g[4]) : +g[4];
    } else {
      g = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
      if (!g) { return null; }
      y = +g[1]; m = +g[2]; d = +g[3];
    }
    var probe = new Date(y, m - 1, d);
    if (probe.getFullYear() !== y || probe.getMonth() !== m - 1 || probe.getDate() !== d) {
      return null;  // 31.02. — no such day: the server refuses it, the input stays
    }
    return pad(d) + "." + pad(m) + "." + y;
  }
  function onLeave(event) {
    var input = event.target;
    if (!input || !input.matches || !input.matches("input[data-msa-date]")) { return; }
    var german = normalise(input.value);
    if (german) { input.value = german; }
  }
  document.addEventListener("focusout", onLeave, true);
  document.addEventListener("change", onLeave, true);
})();
