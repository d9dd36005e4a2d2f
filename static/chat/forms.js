// The chat frame's small forms (chat/widget_frame.html): the visitor's contact details, the
// confirmation to end the chat, and the offline form (sent over HTTP, answered by email).
// Loaded before frame.js, which calls window.JornadaChatForms(chat) once, with
// chat = {config, t, view, lang(), send(frame) -> bool, errorText(error),
//         onContactGiven(), onOfflineSent(), focusComposer()}.
(function () {
  "use strict";

  window.JornadaChatForms = function (chat) {
    var $ = function (id) {
      return document.getElementById(id);
    };

    function toggleDetails(open) {
      chat.view.toggle("details", "details-toggle", open, "details-name");
    }

    function toggleEnd(open) {
      chat.view.toggle("end-confirm", "end-toggle", open, "end-yes");
    }

    // The first invalid field of a form, its message shown in errorId and focused.
    function invalidField(form, errorId) {
      var invalid = form.querySelector(":invalid");
      var error = $(errorId);
      error.hidden = !invalid;
      if (invalid) {
        error.textContent = invalid.validationMessage;
        invalid.focus();
      }
      return invalid;
    }

    $("details-toggle").addEventListener("click", function () {
      toggleDetails($("details").hidden);
    });
    $("details-cancel").addEventListener("click", function () {
      toggleDetails(false);
      $("details-toggle").focus();
    });
    $("details").addEventListener("submit", function (event) {
      event.preventDefault();
      if (invalidField($("details"), "details-error")) return;
      var sent = chat.send({
        type: "contact",
        name: $("details-name").value.trim(),
        email: $("details-email").value.trim(),
      });
      if (!sent) return chat.view.showNotice(chat.t("error"));
      chat.onContactGiven();
      toggleDetails(false);
      chat.focusComposer();
    });

    $("end-toggle").addEventListener("click", function () {
      toggleEnd($("end-confirm").hidden);
    });
    $("end-no").addEventListener("click", function () {
      toggleEnd(false);
      $("end-toggle").focus();
    });
    $("end-yes").addEventListener("click", function () {
      chat.send({ type: "end" });
      toggleEnd(false);
    });

    $("offline").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = $("offline");
      if (invalidField(form, "offline-error")) return;
      var button = form.querySelector("[type=submit]");
      button.disabled = true;
      fetch(chat.config.api.offline, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          name: $("offline-name").value.trim(),
          email: $("offline-email").value.trim(),
          message: $("offline-text").value.trim(),
          lang: chat.lang(),
        }),
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok || !data.ok) throw data;
            form.reset();
            chat.onOfflineSent();
          });
        })
        .catch(function (data) {
          var error = $("offline-error");
          error.hidden = false;
          var fields = data && data.fields ? Object.values(data.fields) : [];
          error.textContent = fields.length ? fields.join(" ") : chat.errorText(data);
        })
        .then(function () {
          button.disabled = false;
        });
    });

    return {
      toggleDetails: toggleDetails,
      // Esc closes an open panel first; false when there was none.
      closePanel: function () {
        if (!$("end-confirm").hidden) {
          toggleEnd(false);
          $("end-toggle").focus();
          return true;
        }
        if (!$("details").hidden) {
          toggleDetails(false);
          $("details-toggle").focus();
          return true;
        }
        return false;
      },
    };
  };
})();
