/* The reply box's tools (workspace/_reply_tools.html): canned responses and knowledge base
 * articles, loaded by htmx into a disclosure, inserted at the cursor of the reply textarea.
 *
 * A result is a button with data-insert-text. A canned response's button also carries
 * data-canned-id: it goes into the hidden input name="canned_id" of the textarea's form, so that
 * the reply view applies that macro after sending.
 * Keyboard: opening a disclosure focuses its search field (Enter there searches at once);
 * ArrowDown/ArrowUp (or Tab) move between the field and the results, Enter or Space on a result
 * inserts it, Escape closes the disclosure and returns to its summary. */
(function () {
  "use strict";
  if (window.jornadaReplyTools) return;
  window.jornadaReplyTools = true;

  var DEFAULT_TARGET = "#reply-body";

  function toolsOf(element) {
    return element.closest("[data-reply-tools]");
  }

  function targetOf(button) {
    var tools = toolsOf(button);
    var selector = button.dataset.target || (tools && tools.dataset.target) || DEFAULT_TARGET;
    return document.querySelector(selector);
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    textarea.focus();
    textarea.setRangeText(text, start, end, "end");
    // Let autosize, drafts and validation listeners know, as typing would.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function cannedInput(form) {
    var input = form.querySelector('input[name="canned_id"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "canned_id";
      form.appendChild(input);
    }
    return input;
  }

  function showMacroNote(tools, button) {
    var note = tools && tools.querySelector("[data-macro-note]");
    if (!note) return;
    var actions = button.dataset.macroSummary || "";
    if (!actions) {
      note.hidden = true;
      return;
    }
    var template = tools.querySelector("[data-macro-template]");
    var sentence = template ? template.content.textContent : "{title}: {actions}";
    // Set as text, never as HTML.
    note.querySelector("[data-macro-text]").textContent = sentence
      .replace("{title}", button.dataset.cannedTitle || "")
      .replace("{actions}", actions);
    note.hidden = false;
  }

  function pick(button) {
    var textarea = targetOf(button);
    if (!textarea) {
      console.warn("reply_tools: no textarea to insert into");
      return;
    }
    insertAtCursor(textarea, button.dataset.insertText || "");
    var tools = toolsOf(button);
    if (button.dataset.cannedId && textarea.form) {
      cannedInput(textarea.form).value = button.dataset.cannedId;
      showMacroNote(tools, button);
    }
    var details = button.closest("details");
    if (details) details.open = false;
    textarea.focus();
  }

  function cancelMacro(tools) {
    var textarea = document.querySelector(tools.dataset.target || DEFAULT_TARGET);
    if (textarea && textarea.form) {
      var input = textarea.form.querySelector('input[name="canned_id"]');
      if (input) input.value = "";
    }
    tools.querySelector("[data-macro-note]").hidden = true;
  }

  function focusables(details) {
    return Array.prototype.slice.call(
      details.querySelectorAll('input[type="search"], .picker-choice')
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reply-tools] .picker-choice");
    if (button) {
      event.preventDefault();
      pick(button);
      return;
    }
    var cancel = event.target.closest("[data-macro-cancel]");
    if (cancel) cancelMacro(toolsOf(cancel));
  });

  // `toggle` does not bubble: listen in the capture phase.
  document.addEventListener(
    "toggle",
    function (event) {
      var details = event.target;
      if (!details.matches || !details.matches("[data-reply-tools] details") || !details.open) {
        return;
      }
      // One picker open at a time.
      toolsOf(details).querySelectorAll("details[open]").forEach(function (other) {
        if (other !== details) other.open = false;
      });
      var search = details.querySelector('input[type="search"]');
      if (search) {
        search.focus();
        search.dispatchEvent(new Event("reply-tools-open"));
      }
    },
    true
  );

  document.addEventListener("keydown", function (event) {
    var details = event.target.closest && event.target.closest("[data-reply-tools] details");
    if (!details) return;
    if (event.key === "Escape") {
      event.preventDefault();
      details.open = false;
      details.querySelector("summary").focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "Enter") return;
    var items = focusables(details);
    var index = items.indexOf(event.target);
    if (index === -1) return;
    if (event.key === "Enter") {
      // In the search field Enter searches now (and never sends the reply); on a result it
      // inserts, as a button does.
      if (event.target.type === "search") {
        event.preventDefault();
        event.target.dispatchEvent(new Event("search"));
      }
      return;
    }
    event.preventDefault();
    var next = index + (event.key === "ArrowDown" ? 1 : -1);
    if (next >= 0 && next < items.length) items[next].focus();
  });

  // Tell screen reader users how many results arrived.
  document.addEventListener("htmx:afterSwap", function (event) {
    var results = event.target;
    if (!results.classList || !results.classList.contains("picker-results")) return;
    var list = results.querySelector("[data-picker-count]");
    var status = results.parentElement.querySelector("[data-picker-status]");
    if (list && status) status.textContent = list.dataset.pickerCount;
  });
})();
