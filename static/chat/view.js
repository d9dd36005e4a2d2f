// The chat frame's page (chat/widget_frame.html) as frame.js draws it: message bubbles, the
// bot's articles and buttons, notices, the live region, the typing line and the panels over the
// conversation. Every text from the server or the visitor goes in with textContent; links only
// to http(s). Loaded before frame.js, its only user: window.JornadaChatView(t, lang).
(function () {
  "use strict";

  var NOTICE_MS = 10000;
  // The server's error codes (docs/chat.md) that have words of their own here.
  var ERROR_STRINGS = {
    too_long: "too_long",
    empty: "empty",
    ended: "ended",
    unverified: "transcript_unverified",
    invalid_email: "invalid_email",
    file_type: "file_type",
    file_too_large: "file_too_large",
  };

  // t(key, params): the frame's strings; lang(): the language shown.
  window.JornadaChatView = function (t, lang) {
    var $ = function (id) {
      return document.getElementById(id);
    };
    var noticeTimer = null;
    var log = $("log");
    var stuck = true; // the conversation shows its end

    function keepDown() {
      if (stuck) log.scrollTop = log.scrollHeight;
    }

    log.addEventListener("scroll", function () {
      stuck = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    });
    // Panels and notices opening above it shrink the conversation: its end stays in view.
    if ("ResizeObserver" in window) new ResizeObserver(keepDown).observe(log);

    function el(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined && text !== null) node.textContent = text;
      return node;
    }

    function safeUrl(value) {
      try {
        var url = new URL(value, location.href);
        return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
      } catch (e) {
        return null;
      }
    }

    // A link that opens beside the chat; plain text when the address is not http(s).
    function link(text, url, className) {
      var href = safeUrl(url);
      var node = el(href ? "a" : "span", className, text);
      if (href) {
        node.href = href;
        node.target = "_blank";
        node.rel = "noopener";
      }
      return node;
    }

    function timeOf(iso) {
      var date = iso ? new Date(iso) : new Date();
      if (isNaN(date)) return "";
      return date.toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit" });
    }

    return {
      el: el,

      errorText: function (error) {
        var key = error && ERROR_STRINGS[error.code];
        return key ? t(key) : (error && error.message) || t("error");
      },

      // Every [data-t*] element of the page in the current language.
      applyStrings: function () {
        document.documentElement.lang = lang() === "pt-br" ? "pt-BR" : lang();
        document.title = t("title");
        document.querySelectorAll("[data-t]").forEach(function (node) {
          node.textContent = t(node.getAttribute("data-t"));
        });
        [["label", "aria-label"], ["title", "title"], ["placeholder", "placeholder"]].forEach(
          function (pair) {
            document.querySelectorAll("[data-t-" + pair[0] + "]").forEach(function (node) {
              node.setAttribute(pair[1], t(node.getAttribute("data-t-" + pair[0])));
            });
          }
        );
      },

      // A passing word (saved, sent) goes after a while; a state (reconnecting) stays until
      // replaced.
      showNotice: function (text, sticky) {
        var notice = $("notice");
        clearTimeout(noticeTimer);
        notice.textContent = text || "";
        notice.hidden = !text;
        if (text && !sticky) {
          noticeTimer = setTimeout(function () {
            notice.hidden = true;
          }, NOTICE_MS);
        }
      },

      announce: function (text) {
        // Emptied first, so that the same words twice are read twice.
        var live = $("announcer");
        live.textContent = "";
        setTimeout(function () {
          live.textContent = text;
        }, 50);
      },

      showTyping: function (text) {
        var line = $("typing");
        line.hidden = !text;
        line.textContent = text || "";
      },

      // Shows or hides a panel over the conversation (details, end) and its button's state.
      toggle: function (panelId, buttonId, open, focusId) {
        $(panelId).hidden = !open;
        $(buttonId).setAttribute("aria-expanded", open ? "true" : "false");
        if (open && focusId) $(focusId).focus();
      },

      // New messages keep the conversation at its end, unless the visitor scrolled up to read.
      appendToLog: function (li) {
        $("log").appendChild(li);
        if (li.classList.contains("from-visitor")) stuck = true;
        keepDown();
      },

      keepDown: keepDown,

      bubble: function (from, author, text, at) {
        var li = el("li", "msg from-" + from);
        var meta = el("p", "meta");
        meta.appendChild(el("span", "author", from === "visitor" ? t("you") : author || ""));
        var time = el("time", "at", timeOf(at));
        if (at) time.dateTime = at;
        meta.appendChild(time);
        li.appendChild(meta);
        if (text) li.appendChild(el("p", "text", text));
        return li;
      },

      // "sending", "sent", "read" or "not_sent" on one of the visitor's messages.
      setDelivery: function (li, key) {
        var status = li.querySelector(".delivery");
        if (!status) {
          status = el("span", "delivery");
          li.querySelector(".meta").appendChild(status);
        }
        li.dataset.delivery = key;
        status.textContent = t(key);
      },

      addAttachments: function (li, attachments) {
        if (!attachments || !attachments.length) return;
        var list = el("ul", "files");
        attachments.forEach(function (file) {
          var item = el("li");
          item.appendChild(link(file.name || t("attachment"), file.url, "file"));
          list.appendChild(item);
        });
        li.appendChild(list);
      },

      addArticles: function (li, articles) {
        if (!articles || !articles.length) return;
        var list = el("ul", "articles");
        list.setAttribute("aria-label", t("articles"));
        articles.forEach(function (article) {
          var item = el("li");
          item.appendChild(link(article.title, article.url, "article"));
          if (article.snippet) item.appendChild(el("p", "snippet", article.snippet));
          list.appendChild(item);
        });
        li.appendChild(list);
      },

      // The bot's buttons ("resolved", "handover") under its message; onAction(action) returns
      // whether the choice went to the server (then both buttons are spent).
      addActions: function (li, actions, onAction) {
        actions = (actions || []).filter(function (a) {
          return a === "resolved" || a === "handover";
        });
        if (!actions.length || li.querySelector(".actions")) return;
        var row = el("div", "row wrap actions");
        actions.forEach(function (action) {
          var button = el("button", action === "handover" ? "primary" : "secondary", t(action));
          button.type = "button";
          button.dataset.action = action;
          button.addEventListener("click", function () {
            if (!onAction(action)) return;
            row.querySelectorAll("button").forEach(function (b) {
              b.disabled = true;
            });
            button.setAttribute("aria-pressed", "true");
          });
          row.appendChild(button);
        });
        li.appendChild(row);
      },
    };
  };
})();
