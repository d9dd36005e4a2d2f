// The dispatcher's queue by keyboard: j/k move between tickets, s routes to the suggested
// team, 1-9 to the team of that number. Typing in a field is left alone.
(function () {
  "use strict";
  function rows() { return Array.from(document.querySelectorAll(".dispatch-row")); }
  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(".dispatch-row") : null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var first = rows()[0];
    if (first) { first.focus(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) { return; }
    var list = rows();
    var row = current() || list[0];
    if (!row) { return; }
    var index = list.indexOf(row);
    var button = null;
    if (event.key === "j" || event.key === "k") {
      var next = list[index + (event.key === "j" ? 1 : -1)];
      if (next) { next.focus(); }
      event.preventDefault();
      return;
    }
    if (event.key === "s") { button = row.querySelector("[data-suggested]"); }
    else if (/^[1-9]$/.test(event.key)) { button = row.querySelector('[data-key="' + event.key + '"]'); }
    if (button) { event.preventDefault(); button.click(); }
  });
})();
