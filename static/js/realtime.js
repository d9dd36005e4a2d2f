// Live layer of the agent workspace over the /ws/agent/ websocket (workspace/live/consumers.py):
// - inbox: "N new or updated tickets — Show" (#live-updates, workspace/_live_updates.html);
// - ticket page: who else is viewing or typing, and a reload offer when someone else changes the
//   ticket ([data-presence], workspace/_presence.html); typing in a textarea[data-typing] is shared;
//   on a live chat ([data-chat]) the conversation refreshes itself and the visitor's typing shows;
// - everywhere: a toast for the agent's notifications (mentions, assignments), and a
//   "jornada:sla" DOM event on <body> for each SLA warning or breach (manager/ dashboards).
// Progressive enhancement: it starts only when <body data-ws-url> is set, and every page works
// without it. Translated strings come from the partials' data attributes and the server's hello.
(function () {
  "use strict";

  var body = document.body;
  var path = body && body.dataset.wsUrl;
  if (!path || !("WebSocket" in window)) return;

  var NO_RETRY = { 4401: true, 4403: true }; // not signed in / not an agent: retrying cannot help
  var MAX_RETRY_DELAY_MS = 30000;
  var TYPING_IDLE_MS = 5000;
  var TYPING_REFRESH_MS = 4000; // the server forgets a "typing" after 12 s without news
  var TOAST_MS = 10000;
  var MAX_TOASTS = 4;

  var presenceBox = document.querySelector("[data-presence]");
  var watched = presenceBox ? parseInt(presenceBox.dataset.ticket, 10) || null : null;
  var isChat = Boolean(presenceBox && "chat" in presenceBox.dataset);
  var liveBox = document.getElementById("live-updates");
  var updatedTickets = new Set();

  var socket = null;
  var me = null;
  var strings = {};
  var attempts = 0;
  var retryTimer = null;
  var heartbeatTimer = null;
  var leaving = false;
  var typing = { active: false, sentAt: 0, idleTimer: null };

  // --- connection --------------------------------------------------------------------------

  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var lang = encodeURIComponent(document.documentElement.lang || "");
    return scheme + location.host + path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + lang;
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (socket && socket.readyState <= WebSocket.OPEN) return;
    socket = new WebSocket(socketUrl());
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", onClose);
  }

  function onClose(event) {
    clearInterval(heartbeatTimer);
    body.dataset.wsState = "closed";
    if (leaving || NO_RETRY[event.code]) return;
    attempts += 1;
    // Exponential backoff with jitter, so that a restarted server is not hit by every tab at once.
    var delay = Math.min(MAX_RETRY_DELAY_MS, 1000 * Math.pow(2, attempts - 1));
    retryTimer = setTimeout(connect, delay * (0.5 + Math.random() / 2));
  }

  function retryNow() {
    if (retryTimer) connect();
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function onMessage(event) {
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    var handler = handlers[message.type];
    if (handler) handler(message);
  }

  var handlers = {
    hello: function (message) {
      me = message.user;
      strings = message.strings || {};
      attempts = 0;
      body.dataset.wsState = "open";
      clearInterval(heartbeatTimer);
      heartbeatTimer = setInterval(function () {
        send({ type: "heartbeat" });
      }, (message.heartbeat || 20) * 1000);
      if (watched) {
        send({ type: "watch", ticket: watched });
        if (typing.active) send({ type: "typing", ticket: watched, active: true });
      }
    },
    ticket: function (message) {
      if (!liveBox || byMe(message)) return;
      updatedTickets.add(message.ticket);
      showUpdates();
    },
    ticket_changed: function (message) {
      if (message.ticket !== watched) return;
      // A live chat's conversation follows by itself (the reply box is left alone).
      if (isChat && message.event.indexOf("message.") === 0 && refreshTimeline()) return;
      if (byMe(message)) return;
      showChanged(message.event);
    },
    chat_typing: function (message) {
      if (!isChat || message.ticket !== watched) return;
      var line = presenceBox.querySelector(".rt-chat-typing");
      if (line) line.textContent = message.on ? presenceBox.dataset.visitorTyping : "";
    },
    presence: function (message) {
      if (message.ticket === watched) showPresence(message);
    },
    unwatched: function (message) {
      // The ticket left my reach (escalated, moved to another team): no more presence or typing.
      if (message.ticket !== watched) return;
      watched = null;
      typing.active = false;
      clearTimeout(typing.idleTimer);
      presenceBox.querySelector(".rt-presence-line").textContent = "";
      presenceBox.classList.remove("has-others", "is-collision");
      showChanged("unwatched");
    },
    sla: function (message) {
      // An SLA warning or breach: lists that show tickets at risk (the managers' dashboard)
      // listen for this event and refresh themselves (hx-trigger="jornada:sla from:body").
      body.dispatchEvent(new CustomEvent("jornada:sla", { detail: message }));
    },
    notification: function (message) {
      showToast(message);
      bumpBell();
    },
  };

  function byMe(message) {
    return me && message.by === me.id;
  }

  // --- inbox -------------------------------------------------------------------------------

  function showUpdates() {
    var count = updatedTickets.size;
    var template = count === 1 ? liveBox.dataset.one : liveBox.dataset.other;
    liveBox.querySelector(".rt-live-text").textContent = count ? template.replace("{n}", count) : "";
    liveBox.querySelector(".rt-live-show").hidden = !count;
    liveBox.classList.toggle("has-updates", count > 0);
  }

  function refreshList() {
    updatedTickets.clear();
    showUpdates();
    var list = document.getElementById("ticket-list");
    if (window.htmx && list) {
      window.htmx.ajax("GET", location.href, { target: "#ticket-list", swap: "outerHTML" });
    } else {
      location.reload();
    }
  }

  // --- ticket page -------------------------------------------------------------------------

  function names(people) {
    var list = people.map(function (person) {
      return person.name;
    });
    if (window.Intl && Intl.ListFormat) {
      return new Intl.ListFormat(document.documentElement.lang || undefined).format(list);
    }
    return list.join(", ");
  }

  function sentence(key, people) {
    var data = presenceBox.dataset;
    var template = people.length === 1 ? data[key + "One"] : data[key + "Other"];
    return template.replace("{names}", names(people));
  }

  function others(people) {
    return people.filter(function (person) {
      return !me || person.id !== me.id;
    });
  }

  function showPresence(message) {
    var typers = others(message.typing);
    var typerIds = typers.map(function (person) {
      return person.id;
    });
    var viewers = others(message.viewers).filter(function (person) {
      return typerIds.indexOf(person.id) < 0;
    });
    var parts = [];
    if (typers.length) parts.push(sentence("typing", typers));
    if (viewers.length) parts.push(sentence("viewing", viewers));
    presenceBox.querySelector(".rt-presence-line").textContent = parts.join(" · ");
    presenceBox.classList.toggle("has-others", parts.length > 0);
    // Two people answering the same customer at once: make it stand out while I have a draft.
    presenceBox.classList.toggle("is-collision", typers.length > 0 && hasDraft());
  }

  function hasDraft() {
    return Array.prototype.some.call(
      document.querySelectorAll("textarea[data-typing]"),
      function (field) {
        return field.value.trim() !== "";
      }
    );
  }

  function showChanged(eventName) {
    var key = "changed" + eventName.replace(/(^|_)(\w)/g, function (match, sep, letter) {
      return letter.toUpperCase();
    });
    var data = presenceBox.dataset;
    var bar = presenceBox.querySelector(".rt-changed");
    bar.setAttribute("data-ticket-changed", eventName);
    bar.querySelector(".rt-changed-text").textContent = data[key] || data.changed;
    presenceBox.querySelector(".rt-reload").hidden = false;
    presenceBox.classList.add("has-changed");
  }

  function refreshTimeline() {
    var timeline = document.querySelector("ol.timeline");
    if (!window.htmx || !timeline) return false;
    window.htmx.ajax("GET", location.pathname + location.search, {
      target: "ol.timeline",
      select: "ol.timeline",
      swap: "outerHTML",
    });
    var line = presenceBox.querySelector(".rt-chat-typing");
    if (line) line.textContent = "";
    return true;
  }

  function typingInput(event) {
    if (!watched || !event.target.matches || !event.target.matches("textarea[data-typing]")) return;
    var now = Date.now();
    if (!typing.active || now - typing.sentAt > TYPING_REFRESH_MS) {
      typing.active = true;
      typing.sentAt = now;
      send({ type: "typing", ticket: watched, active: true });
    }
    clearTimeout(typing.idleTimer);
    typing.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typing.idleTimer);
    if (!typing.active) return;
    typing.active = false;
    send({ type: "typing", ticket: watched, active: false });
  }

  // --- notifications -----------------------------------------------------------------------

  function toastRegion() {
    var region = document.querySelector(".rt-toasts");
    if (!region) {
      region = document.createElement("div");
      region.className = "rt-toasts";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      body.appendChild(region);
    }
    return region;
  }

  function showToast(message) {
    var region = toastRegion();
    var toast = document.createElement("div");
    toast.className = "rt-toast rt-toast-" + message.kind;
    var text = document.createElement("p");
    text.textContent = message.text;
    toast.appendChild(text);
    if (message.url) {
      var link = document.createElement("a");
      link.href = message.url;
      link.textContent = strings.open || "#" + message.ticket;
      toast.appendChild(link);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "rt-toast-close";
    close.setAttribute("aria-label", strings.dismiss || "×");
    close.textContent = "×";
    close.addEventListener("click", function () {
      toast.remove();
    });
    toast.appendChild(close);
    region.appendChild(toast);
    while (region.children.length > MAX_TOASTS) region.firstElementChild.remove();
    dismissLater(toast);
    desktopNotification(message);
  }

  function dismissLater(toast) {
    // Not while the agent is reading or about to click it.
    var timer = setTimeout(function () {
      toast.remove();
    }, TOAST_MS);
    ["mouseenter", "focusin"].forEach(function (name) {
      toast.addEventListener(name, function () {
        clearTimeout(timer);
      });
    });
    ["mouseleave", "focusout"].forEach(function (name) {
      toast.addEventListener(name, function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          toast.remove();
        }, TOAST_MS);
      });
    });
  }

  function desktopNotification(message) {
    // Only if the agent already allowed it (we never ask): for a tab in the background.
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") {
      return;
    }
    var note = new Notification("Jornada", { body: message.text, tag: "jornada-" + message.id });
    note.addEventListener("click", function () {
      window.focus();
      if (message.url) location.href = message.url;
    });
  }

  function bumpBell() {
    var bell = document.querySelector("[data-notification-count]");
    if (!bell) return;
    var count = (parseInt(bell.dataset.notificationCount, 10) || 0) + 1;
    bell.dataset.notificationCount = count;
    bell.classList.add("has-unread");
    var badge = bell.querySelector(".count");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "count";
      bell.appendChild(document.createTextNode(" "));
      bell.appendChild(badge);
    }
    badge.textContent = count;
  }

  // --- wiring ------------------------------------------------------------------------------

  document.addEventListener("input", typingInput);
  document.addEventListener("submit", stopTyping, true);
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest(".rt-live-show, .rt-reload");
    if (!target) return;
    if (target.classList.contains("rt-live-show")) refreshList();
    else location.reload();
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) retryNow();
  });
  window.addEventListener("online", retryNow);
  window.addEventListener("pagehide", function () {
    leaving = true;
    if (socket) socket.close(1000);
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      leaving = false; // back from the back/forward cache: the old socket is gone
      connect();
    }
  });

  connect();
})();
