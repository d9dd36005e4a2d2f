// Keyboard shortcuts and small comforts of the agent workspace. Progressive enhancement: every
// action is also a plain link or form, so the page works without this file.
(function () {
  "use strict";

  function typingInField(event) {
    var target = event.target;
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function showTab(name) {
    document.querySelectorAll("[data-tab]").forEach(function (tab) {
      var selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    });
    var field = document.getElementById(name === "note" ? "note-body" : "reply-body");
    if (field) field.focus();
  }

  function submitForm(key) {
    var form = document.querySelector('[data-shortcut-form="' + key + '"]');
    if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
    return Boolean(form);
  }

  function follow(key) {
    var link = document.querySelector('[data-shortcut="' + key + '"]');
    if (link) window.location.href = link.href;
    return Boolean(link);
  }

  function openCheatsheet() {
    var dialog = document.getElementById("cheatsheet");
    if (dialog && !dialog.open) dialog.showModal();
  }

  // The inbox list: j/k move a highlighted row, o or Enter opens it, x selects it.
  function inboxRows() {
    return Array.prototype.slice.call(document.querySelectorAll("#ticket-list tbody tr"))
      .filter(function (row) { return row.querySelector("a[href*='/agent/tickets/']"); });
  }

  function moveInInbox(step) {
    var rows = inboxRows();
    if (!rows.length) return false;
    var current = rows.findIndex(function (row) { return row.classList.contains("kb-current"); });
    var next = current === -1 ? 0 : Math.min(Math.max(current + step, 0), rows.length - 1);
    rows.forEach(function (row) { row.classList.remove("kb-current"); });
    rows[next].classList.add("kb-current");
    rows[next].querySelector("a[href*='/agent/tickets/']").focus();
    return true;
  }

  function currentInboxRow() {
    return document.querySelector("#ticket-list tr.kb-current");
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-tab]");
    if (tab) showTab(tab.dataset.tab);
    if (event.target.closest("[data-cheatsheet-open]")) openCheatsheet();
  });

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
      event.preventDefault();
      var form = event.target.form;
      form.requestSubmit ? form.requestSubmit() : form.submit();
      return;
    }
    if (event.key === "Escape" && typingInField(event)) {
      event.target.blur();
      return;
    }
    if (typingInField(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]") && event.key !== "?") return;
    var handled = true;
    if (pendingG) {
      pendingG = false;
      handled = event.key === "i" && follow("g i");
    } else if (event.key === "g") {
      pendingG = true;
      window.setTimeout(function () { pendingG = false; }, 1200);
    } else if (event.key === "?") {
      openCheatsheet();
    } else if (event.key === "r" && document.getElementById("reply-body")) {
      showTab("reply");
    } else if (event.key === "n" && document.getElementById("note-body")) {
      showTab("note");
    } else if (event.key === "a" || event.key === "s") {
      handled = submitForm(event.key);
    } else if ((event.key === "j" || event.key === "k") && document.getElementById("ticket-list")) {
      handled = moveInInbox(event.key === "j" ? 1 : -1);
    } else if (event.key === "j" || event.key === "k") {
      handled = follow(event.key);
    } else if ((event.key === "o" || event.key === "Enter") && currentInboxRow()) {
      window.location.href = currentInboxRow().querySelector("a[href*='/agent/tickets/']").href;
    } else if (event.key === "x" && currentInboxRow()) {
      var box = currentInboxRow().querySelector("input[type=checkbox]");
      if (box) box.click();
    } else if (event.key === "/" && document.getElementById("inbox-q")) {
      document.getElementById("inbox-q").focus();
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
