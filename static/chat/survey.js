// The satisfaction survey inside the chat frame (issue 13): the handler of frame.js's
// JornadaChat.onSurvey hook. The server sends {"type": "survey", id, kind, question,
// comment_prompt, scores, low, high, answer_url} when a chat has ended and its survey waits
// (on the ring that offers it, and on every later hello, so a visitor who closed the tab sees it
// when they come back). The answer is a POST of {score, comment} to answer_url, the invitation's
// own signed link: the same one-response rule as the emailed link. Texts go in with textContent.
(function () {
  "use strict";

  var JornadaChat = (window.JornadaChat = window.JornadaChat || {});

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showError(form, text) {
    var error = form.querySelector(".error");
    error.textContent = text;
    error.hidden = !text;
  }

  function finish(container, text, chat) {
    container.textContent = "";
    container.appendChild(el("p", "survey-done", text));
    if (chat.announce) chat.announce(text); // the frame's live region says it once
  }

  JornadaChat.onSurvey = function (survey, chat) {
    var container = chat.container;
    var t = chat.t;
    // The same survey again (a poll, a reconnect): keep the form and what was typed in it.
    if (container.dataset.survey === String(survey.id)) return;
    container.dataset.survey = String(survey.id);
    container.textContent = "";

    var form = el("form", "survey-form");
    form.noValidate = true;
    form.setAttribute("aria-labelledby", "survey-title survey-question");
    form.appendChild(el("h2", "survey-title", t("survey_title"))).id = "survey-title";
    form.appendChild(el("p", "survey-question", survey.question)).id = "survey-question";

    var scores = el("fieldset", "survey-scores survey-" + (survey.kind || ""));
    var legend = el("legend", "visually-hidden", t("survey_score"));
    scores.appendChild(legend);
    var row = el("div", "survey-score-row");
    (survey.scores || []).forEach(function (score) {
      var label = el("label", "survey-score");
      var input = el("input");
      input.type = "radio";
      input.name = "score";
      input.value = String(score);
      label.appendChild(input);
      label.appendChild(el("span", "", score));
      row.appendChild(label);
    });
    scores.appendChild(row);
    row.addEventListener("change", function () {
      showError(form, "");
    });
    var first = (survey.scores || [])[0];
    var last = (survey.scores || [])[(survey.scores || []).length - 1];
    var ends = el("p", "survey-ends");
    ends.appendChild(el("span", "", first + " = " + (survey.low || "")));
    ends.appendChild(el("span", "", last + " = " + (survey.high || "")));
    scores.appendChild(ends);
    form.appendChild(scores);

    var commentLabel = el("label", "", survey.comment_prompt || "");
    commentLabel.htmlFor = "survey-comment";
    form.appendChild(commentLabel);
    var comment = el("textarea");
    comment.id = "survey-comment";
    comment.name = "comment";
    comment.rows = 2;
    comment.maxLength = 2000;
    form.appendChild(comment);

    var error = el("p", "error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    form.appendChild(error);
    var submit = el("button", "primary", t("survey_send"));
    submit.type = "submit";
    form.appendChild(submit);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = form.querySelector("input[name=score]:checked");
      if (!chosen) {
        showError(form, t("survey_choose"));
        form.querySelector("input[name=score]").focus();
        return;
      }
      showError(form, "");
      submit.disabled = true;
      fetch(survey.answer_url, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ score: Number(chosen.value), comment: comment.value }),
      })
        .then(function (response) {
          if (response.ok) return finish(container, t("survey_thanks"), chat);
          if (response.status === 410 || response.status === 404) {
            return finish(container, t("survey_closed"), chat);
          }
          return response.json().then(function (body) {
            showError(form, (body && body.error && body.error.message) || t("error"));
            submit.disabled = false;
          });
        })
        .catch(function () {
          showError(form, t("error"));
          submit.disabled = false;
        });
    });
    container.appendChild(form);
    if (chat.announce) chat.announce(t("survey_title") + " " + (survey.question || ""));
  };
})();
