// The trigger editor: add and remove condition and action rows, and show only the value
// inputs the chosen field or action type reads. Without it the page still works: the server
// renders one blank row and a "Delete" box per row.
(function () {
  "use strict";
  var kindInputs = {};
  var removeLabel = "Remove";

  // Conditions: the choice list keeps the options of the chosen field ("field:value").
  function syncCondition(row) {
    var field = row.querySelector("select[name$='-field']");
    var choice = row.querySelector("[data-input='choice']");
    var text = row.querySelector("[data-input='text']");
    if (!field || !choice || !text) { return; }
    var name = field.value;
    var hasChoices = false;
    choice.querySelectorAll("optgroup").forEach(function (group) {
      var mine = Array.prototype.some.call(group.children, function (option) {
        return option.value.split(":")[0] === name;
      });
      group.hidden = !mine;
      group.disabled = !mine;
      hasChoices = hasChoices || mine;
    });
    choice.hidden = !hasChoices;
    text.hidden = hasChoices || !name;
  }

  // Actions: the inputs the chosen type reads (actions.py's keys), from rule-action-inputs.
  function syncAction(row) {
    var type = row.querySelector("select[name$='-type']");
    if (!type) { return; }
    var wanted = kindInputs[type.value] || [];
    var recipients = row.querySelector("select[name$='-recipients']");
    if (type.value === "notify" && recipients && recipients.value !== "agents") {
      wanted = wanted.filter(function (name) { return name !== "usernames"; });
    }
    row.querySelectorAll("[data-input]").forEach(function (cell) {
      cell.hidden = wanted.indexOf(cell.getAttribute("data-input")) === -1;
    });
  }

  function sync(row) {
    if (row.querySelector("select[name$='-field']")) { syncCondition(row); } else { syncAction(row); }
  }

  function enhanceRow(row) {
    var remove = row.querySelector(".rule-remove");
    var box = remove && remove.querySelector("input[type='checkbox']");
    if (!box || remove.querySelector("button")) { sync(row); return; }
    remove.classList.add("has-button");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = removeLabel;
    button.addEventListener("click", function () {
      var list = row.parentNode;
      box.checked = true;
      row.classList.add("is-removed");
      var rest = Array.prototype.filter.call(list.children, function (r) {
        return !r.classList.contains("is-removed");
      });
      var next = rest.length ? rest[rest.length - 1].querySelector("select") : null;
      (next || list.parentNode.querySelector("[data-add-row]")).focus();
    });
    remove.appendChild(button);
    sync(row);
  }

  function addRow(kind) {
    var set = document.querySelector("[data-rows='" + kind + "']");
    var total = set.querySelector("input[name='" + kind + "-TOTAL_FORMS']");
    var template = set.querySelector("template[data-empty-row='" + kind + "']");
    var index = parseInt(total.value, 10);
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("[data-row]");
    set.querySelector(".rule-row-list").appendChild(row);
    total.value = String(index + 1);
    enhanceRow(row);
    row.querySelector("select").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var data = document.getElementById("rule-action-inputs");
    if (!data) { return; }
    kindInputs = JSON.parse(data.textContent);
    removeLabel = document.querySelector(".rule-editor").getAttribute("data-remove-label") || removeLabel;
    document.querySelectorAll(".rule-editor [data-row]").forEach(enhanceRow);
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { addRow(button.getAttribute("data-add-row")); });
    });
    document.querySelector(".rule-editor").addEventListener("change", function (event) {
      var row = event.target.closest("[data-row]");
      if (row && /-(field|type|recipients)$/.test(event.target.name)) { sync(row); }
    });
  });
}());
