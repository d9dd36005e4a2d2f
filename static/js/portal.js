/* The portal's article suggestions, as the customer types (no library, no CDN).
 *
 * An input with data-suggest-url asks the knowledge base's suggestions API
 * (GET ?q=...&lang=... -> {"results": [{"title", "url", "snippet", "score"}]}) after a pause in
 * typing, cancelling the request a newer one replaces. Two ways to show what comes back:
 *   data-suggest-mode="listbox": the ARIA combobox pattern (search box): arrow keys move through
 *     the options, Enter opens the chosen article, Escape closes the list;
 *   data-suggest-mode="panel": a list of links under the field (new request's subject), in a
 *     section named by data-suggest-target.
 * Either way a polite live region ([data-suggest-status]) says how many articles were found.
 * In a form with data-deflection-form, the suggestions shown are reported to data-shown-url
 * (JSON POST, one at a time, only when they changed); the token it answers goes with the form
 * ([data-deflection-token]), so that sending the request tells the knowledge base that the
 * suggestions did not answer it.
 */
(function () {
  "use strict";

  var PAUSE_MS = 250;
  var MIN_LENGTH = 3;

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  /* A snippet is HTML: escaped text with <mark> around the words found. Only its text and its
   * marks are kept (parsed inertly: nothing in it runs or loads). */
  function snippetNode(snippet) {
    var parent = document.createElement("span");
    parent.className = "snippet";
    var parsed = new DOMParser().parseFromString(String(snippet || ""), "text/html");
    parsed.body.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        parent.appendChild(mark);
      } else {
        parent.appendChild(document.createTextNode(node.textContent));
      }
    });
    return parent;
  }

  function Suggest(input) {
    this.input = input;
    this.url = input.dataset.suggestUrl;
    this.lang = input.dataset.suggestLang || document.documentElement.lang;
    this.mode = input.dataset.suggestMode || "listbox";
    this.scope = input.form || document;
    this.status = this.scope.querySelector("[data-suggest-status]");
    this.results = [];
    this.active = -1;
    this.lastQuery = null;
    this.request = null;
    this.timer = null;
    this.reported = "";  // the article ids last reported as shown
    this.reporting = false;
    if (this.mode === "listbox") {
      this.listbox = document.getElementById(input.getAttribute("aria-controls"));
    } else {
      this.panel = document.getElementById(input.dataset.suggestTarget);
      this.list = this.panel.querySelector("[data-suggest-results]");
    }
    input.addEventListener("input", this.schedule.bind(this));
    if (this.mode === "listbox") {
      input.addEventListener("keydown", this.onKey.bind(this));
      input.addEventListener("blur", function () {
        window.setTimeout(this.close.bind(this), 150);
      }.bind(this));
    }
  }

  Suggest.prototype.schedule = function () {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(this.ask.bind(this), PAUSE_MS);
  };

  Suggest.prototype.ask = function () {
    var query = this.input.value.trim();
    if (query === this.lastQuery) return;
    this.lastQuery = query;
    if (this.request) this.request.abort();
    if (query.length < MIN_LENGTH) { this.show([]); return; }
    var controller = new AbortController();
    this.request = controller;
    var url = this.url + "?q=" + encodeURIComponent(query) + "&lang=" + encodeURIComponent(this.lang);
    fetch(url, { signal: controller.signal, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { this.show(data.results || [], query); }.bind(this))
      .catch(function (error) { if (error.name !== "AbortError") this.show([]); }.bind(this));
  };

  Suggest.prototype.say = function (count) {
    if (!this.status) return;
    var text = "";
    if (count === 1) text = this.status.dataset.foundOne || "";
    else if (count > 1) text = (this.status.dataset.foundMany || "").replace("%s", count);
    this.status.textContent = text;
  };

  Suggest.prototype.show = function (results, query) {
    this.results = results;
    this.active = -1;
    this.say(results.length);
    if (this.mode === "listbox") this.renderListbox(); else this.renderPanel();
    if (results.length) this.report(results, query);
  };

  Suggest.prototype.renderPanel = function () {
    this.list.textContent = "";
    this.results.forEach(function (result) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = result.url;
      link.textContent = result.title;
      item.appendChild(link);
      if (result.snippet) item.appendChild(snippetNode(result.snippet));
      this.list.appendChild(item);
    }, this);
    this.panel.hidden = this.results.length === 0;
  };

  Suggest.prototype.renderListbox = function () {
    var listbox = this.listbox;
    listbox.textContent = "";
    this.results.forEach(function (result, index) {
      var option = document.createElement("li");
      option.id = listbox.id + "-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      var title = document.createElement("span");
      title.className = "title";
      title.textContent = result.title;
      option.appendChild(title);
      if (result.snippet) option.appendChild(snippetNode(result.snippet));
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();  // keep the focus in the field
        window.location.href = result.url;
      });
      listbox.appendChild(option);
    });
    var open = this.results.length > 0;
    listbox.hidden = !open;
    this.input.setAttribute("aria-expanded", open ? "true" : "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Suggest.prototype.close = function () {
    if (!this.listbox) return;
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Suggest.prototype.move = function (step) {
    var options = this.listbox.querySelectorAll("[role=option]");
    if (!options.length) return;
    if (this.listbox.hidden) { this.listbox.hidden = false; this.input.setAttribute("aria-expanded", "true"); }
    if (this.active >= 0) options[this.active].setAttribute("aria-selected", "false");
    this.active = (this.active + step + options.length) % options.length;
    var option = options[this.active];
    option.setAttribute("aria-selected", "true");
    option.scrollIntoView({ block: "nearest" });
    this.input.setAttribute("aria-activedescendant", option.id);
  };

  Suggest.prototype.onKey = function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); this.move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); this.move(-1); }
    else if (event.key === "Escape") { this.close(); }
    else if (event.key === "Enter" && this.active >= 0 && !this.listbox.hidden) {
      event.preventDefault();
      window.location.href = this.results[this.active].url;
    }
  };

  /* Deflection: tell the knowledge base which articles were offered during this request. */
  Suggest.prototype.report = function (results, query) {
    var form = this.input.closest("[data-deflection-form]");
    var shownUrl = this.input.dataset.shownUrl;
    var ids = results.map(function (r) { return r.id; }).filter(Boolean);
    if (!form || !shownUrl || !ids.length || this.reporting || ids.join() === this.reported) return;
    this.reporting = true;
    this.reported = ids.join();
    var tokenField = form.querySelector("[data-deflection-token]");
    fetch(shownUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ token: tokenField ? tokenField.value : "", query: query, lang: this.lang, article_ids: ids }),
    })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) { if (tokenField && data.token) tokenField.value = data.token; })
      .catch(function () { /* measuring must never stand in the customer's way */ })
      .finally(function () { this.reporting = false; }.bind(this));
  };

  document.querySelectorAll("[data-suggest-url]").forEach(function (input) { new Suggest(input); });
})();
