// The chat widget's frame (chat/widget_frame.html), on the desk's origin inside the host site's
// iframe. It speaks the protocol of docs/chat.md through transport.js, keeps the visitor's token
// in localStorage ("jornada-chat:<public key>", so a reload or a second tab continues the same
// conversation), and renders every text from the server or the visitor with textContent.
//
// Extension point for the satisfaction survey (the surveys issue): a script loaded in this frame
// may set
//   window.JornadaChat.onSurvey = function (survey, chat) { ... };
// It is called with the server's {"type": "survey", ...} frame and
//   chat = {container: <the empty #survey element, shown>, lang: "pt-br" | "en",
//           send: function (frame) {...} (a client frame over the chat's connection),
//           t: function (key, params) {...} (this frame's strings)}.
// Without a handler the survey frame is ignored.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("jornada-chat-config").textContent);
  var $ = function (id) {
    return document.getElementById(id);
  };
  var TOKEN_KEY = "jornada-chat:" + config.key;
  var TYPING_REFRESH_MS = 3000;
  var TYPING_IDLE_MS = 4000;
  var AGENT_TYPING_TIMEOUT_MS = 12000;
  var INIT_WAIT_MS = 1500;
  var embedded = window.parent !== window;

  var JornadaChat = (window.JornadaChat = window.JornadaChat || {});

  var state = {
    lang: pickLanguage(navigator.language),
    token: readToken(),
    identity: null,
    visible: !embedded,
    started: false,
    session: "new", // new | bot | waiting | active | ended
    mode: "chat",
    agent: null,
    lastId: 0,
    welcomed: false, // the first welcome of this page (later ones are reconnects)
    unread: 0,
    readSent: 0,
    lastIncoming: 0,
    contactGiven: false,
  };
  var rendered = {}; // message id -> <li>
  var pending = {}; // client_id -> {text, li}: sent, not acknowledged
  var order = []; // client_ids in the order they were written, for resending
  var strings = config.strings[state.lang] || {};
  var transport = null;
  var typingOut = { on: false, sentAt: 0, idle: null };
  var typingIn = null;

  function pickLanguage(code) {
    code = String(code || "").toLowerCase();
    if (config.strings[code]) return code;
    return code.indexOf("pt") === 0 ? "pt-br" : "en";
  }

  function t(key, params) {
    var text = strings[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  function readToken() {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null; // storage blocked: this page's conversation only
    }
  }

  function saveToken(token) {
    state.token = token;
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch (e) {
      /* storage blocked */
    }
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // --- talking to the host page (widget.js) --------------------------------------------------

  function parentOrigin() {
    if (location.ancestorOrigins && location.ancestorOrigins.length) {
      return location.ancestorOrigins[0];
    }
    try {
      return new URL(document.referrer).origin;
    } catch (e) {
      return "*"; // nothing secret is said to the host: colours, labels, an unread count
    }
  }

  function tellHost(message) {
    if (!embedded) return;
    message.type = "jornada-chat:" + message.type;
    window.parent.postMessage(message, parentOrigin());
  }

  window.addEventListener("message", function (event) {
    if (!embedded || event.source !== window.parent) return;
    var data = event.data || {};
    if (data.type === "jornada-chat:init") {
      state.identity = data.identity && data.identity.id ? data.identity : null;
      if (data.lang) setLanguage(pickLanguage(data.lang));
      setVisible(!!data.open);
      boot();
    } else if (data.type === "jornada-chat:opened") {
      setVisible(true);
      start();
      focusInput();
    } else if (data.type === "jornada-chat:closed") {
      setVisible(false);
    }
  });

  function setVisible(visible) {
    state.visible = visible;
    if (visible) {
      state.unread = 0;
      sendRead();
    }
  }

  // --- page text ---------------------------------------------------------------------------

  function setLanguage(lang) {
    state.lang = lang;
    strings = config.strings[lang] || strings;
    document.documentElement.lang = lang === "pt-br" ? "pt-BR" : lang;
    document.title = t("title");
    document.querySelectorAll("[data-t]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-t"));
    });
    [["label", "aria-label"], ["title", "title"], ["placeholder", "placeholder"]].forEach(
      function (pair) {
        document.querySelectorAll("[data-t-" + pair[0] + "]").forEach(function (el) {
          el.setAttribute(pair[1], t(el.getAttribute("data-t-" + pair[0])));
        });
      }
    );
    renderStatus();
  }

  var NOTICE_MS = 10000;
  var noticeTimer = null;

  // A passing word (saved, sent) goes after a while; a state (reconnecting) stays until replaced.
  function showNotice(text, sticky) {
    var notice = $("notice");
    clearTimeout(noticeTimer);
    notice.textContent = text || "";
    notice.hidden = !text;
    if (text && !sticky) {
      noticeTimer = setTimeout(function () {
        notice.hidden = true;
      }, NOTICE_MS);
    }
  }

  function announce(text) {
    // Re-set so that the same words twice are read twice.
    var live = $("announcer");
    live.textContent = "";
    setTimeout(function () {
      live.textContent = text;
    }, 50);
  }

  // --- messages ----------------------------------------------------------------------------

  function safeUrl(value) {
    try {
      var url = new URL(value, location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function timeOf(iso) {
    var date = iso ? new Date(iso) : new Date();
    if (isNaN(date)) return "";
    return date.toLocaleTimeString(state.lang, { hour: "2-digit", minute: "2-digit" });
  }

  function appendToLog(li) {
    var log = $("log");
    var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.appendChild(li);
    if (atBottom || li.classList.contains("from-visitor")) li.scrollIntoView({ block: "end" });
  }

  function bubble(from, author, text, at) {
    var li = el("li", "msg from-" + from);
    var meta = el("p", "meta");
    meta.appendChild(el("span", "author", from === "visitor" ? t("you") : author || ""));
    var time = el("time", "at", timeOf(at));
    if (at) time.dateTime = at;
    meta.appendChild(time);
    li.appendChild(meta);
    if (text) li.appendChild(el("p", "text", text));
    return li;
  }

  function setDelivery(li, key) {
    var status = li.querySelector(".delivery");
    if (!status) {
      status = el("span", "delivery");
      li.querySelector(".meta").appendChild(status);
    }
    li.dataset.delivery = key;
    status.textContent = t(key);
  }

  function addAttachments(li, attachments) {
    if (!attachments || !attachments.length) return;
    var list = el("ul", "files");
    attachments.forEach(function (file) {
      var item = el("li");
      var href = safeUrl(file.url);
      var link = el(href ? "a" : "span", "file", file.name || t("attachment"));
      if (href) {
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener";
      }
      item.appendChild(link);
      list.appendChild(item);
    });
    li.appendChild(list);
  }

  function showMessage(message, live) {
    if (message.id && rendered[message.id]) return;
    var mine = message.client_id && pending[message.client_id];
    var li;
    if (mine) {
      li = mine.li;
      forget(message.client_id);
      setDelivery(li, "sent");
    } else {
      li = bubble(message.from, message.author, message.text, message.at);
      addAttachments(li, message.attachments);
      if (message.from === "visitor") setDelivery(li, "sent");
      appendToLog(li);
    }
    if (message.id) {
      rendered[message.id] = li;
      li.dataset.id = message.id;
      state.lastId = Math.max(state.lastId, message.id);
    }
    if (message.from !== "visitor") {
      state.lastIncoming = Math.max(state.lastIncoming, message.id || 0);
      if (message.from === "agent") showTyping(false);
      if (live) {
        announce(t("new_message", { name: message.author || "", text: message.text || "" }));
        if (!state.visible || document.hidden) {
          state.unread += 1;
          tellHost({ type: "unread", count: state.unread });
        }
      }
      sendRead();
    }
  }

  // The bot's answer comes as a message (from "bot"), then this frame with its articles and
  // buttons, which go under that message.
  function showBot(frame) {
    var bots = $("log").querySelectorAll(".from-bot");
    var li = bots.length ? bots[bots.length - 1] : null;
    var own = !li || (frame.text && li.querySelector(".text") &&
      li.querySelector(".text").textContent !== frame.text);
    if (own) li = bubble("bot", t("state_bot"), frame.text, null);
    if (frame.articles && frame.articles.length) {
      var list = el("ul", "articles");
      list.setAttribute("aria-label", t("articles"));
      frame.articles.forEach(function (article) {
        var item = el("li");
        var href = safeUrl(article.url);
        var link = el(href ? "a" : "span", "article", article.title);
        if (href) {
          link.href = href;
          link.target = "_blank";
          link.rel = "noopener";
        }
        item.appendChild(link);
        if (article.snippet) item.appendChild(el("p", "snippet", article.snippet));
        list.appendChild(item);
      });
      li.appendChild(list);
    }
    addActions(li, frame.actions);
    if (own) appendToLog(li);
    else li.scrollIntoView({ block: "end" });
    if (frame.articles && frame.articles.length) announce(t("articles"));
  }

  function addActions(li, actions) {
    actions = (actions || []).filter(function (a) {
      return a === "resolved" || a === "handover";
    });
    if (actions.length && !li.querySelector(".actions")) {
      var row = el("div", "row wrap actions");
      actions.forEach(function (action) {
        var button = el("button", action === "handover" ? "primary" : "secondary", t(action));
        button.type = "button";
        button.dataset.action = action;
        button.addEventListener("click", function () {
          if (!transport || !transport.send({ type: action })) return;
          row.querySelectorAll("button").forEach(function (b) {
            b.disabled = true;
          });
          button.setAttribute("aria-pressed", "true");
        });
        row.appendChild(button);
      });
      li.appendChild(row);
    }
  }

  // After a reload the bot's buttons are gone with the frame that brought them: while the bot
  // still answers, its last message offers them again.
  function offerBotActions() {
    if (state.session !== "bot") return;
    var last = $("log").lastElementChild;
    if (last && last.classList.contains("from-bot")) addActions(last, ["resolved", "handover"]);
  }

  // --- sending -----------------------------------------------------------------------------

  function forget(clientId) {
    delete pending[clientId];
    order = order.filter(function (id) {
      return id !== clientId;
    });
  }

  function sendText(text) {
    var clientId = newClientId();
    var li = bubble("visitor", null, text, null);
    li.dataset.clientId = clientId;
    setDelivery(li, "sending");
    appendToLog(li);
    pending[clientId] = { text: text, li: li };
    order.push(clientId);
    if (transport) transport.send({ type: "message", client_id: clientId, text: text });
    start();
  }

  function resendPending() {
    order.slice().forEach(function (clientId) {
      var item = pending[clientId];
      if (item && item.text) {
        transport.send({ type: "message", client_id: clientId, text: item.text });
      }
    });
  }

  function uploadFile(file) {
    if (config.upload_types.indexOf(file.type) < 0) return showNotice(t("file_type"));
    if (file.size > config.max_upload_bytes) return showNotice(t("file_too_large"));
    var clientId = newClientId();
    var li = bubble("visitor", null, t("uploading", { name: file.name }), null);
    setDelivery(li, "sending");
    appendToLog(li);
    pending[clientId] = { text: null, li: li };
    var form = new FormData();
    form.append("token", state.token || "");
    form.append("client_id", clientId);
    form.append("file", file);
    fetch(config.api.upload, { method: "POST", body: form, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok || data.type === "error") throw data;
          li.querySelector(".text").textContent = file.name;
          if (pending[clientId]) setDelivery(li, "sent");
        });
      })
      .catch(function (error) {
        forget(clientId);
        setDelivery(li, "not_sent");
        showNotice(errorText(error));
      });
  }

  function sendTyping(on) {
    if (!transport || !transport.isReady()) return;
    clearTimeout(typingOut.idle);
    if (on) {
      typingOut.idle = setTimeout(function () {
        sendTyping(false);
      }, TYPING_IDLE_MS);
      if (typingOut.on && Date.now() - typingOut.sentAt < TYPING_REFRESH_MS) return;
    } else if (!typingOut.on) {
      return;
    }
    typingOut.on = on;
    typingOut.sentAt = Date.now();
    transport.send({ type: "typing", on: on });
  }

  function sendRead() {
    if (!state.visible || document.hidden || !transport || !transport.isReady()) return;
    if (state.lastIncoming > state.readSent) {
      state.readSent = state.lastIncoming;
      transport.send({ type: "read", up_to: state.lastIncoming });
    }
  }

  function showTyping(on) {
    clearTimeout(typingIn);
    var line = $("typing");
    line.hidden = !on;
    line.textContent = on
      ? state.agent
        ? t("typing", { name: state.agent })
        : t("typing_someone")
      : "";
    if (on) {
      typingIn = setTimeout(function () {
        showTyping(false);
      }, AGENT_TYPING_TIMEOUT_MS);
    }
  }

  function markRead(upTo) {
    Object.keys(rendered).forEach(function (id) {
      var li = rendered[id];
      if (+id <= upTo && li.classList.contains("from-visitor")) setDelivery(li, "read");
    });
  }

  // --- states ------------------------------------------------------------------------------

  function renderStatus() {
    var text = "";
    if (state.session === "bot") text = t("state_bot");
    else if (state.session === "waiting")
      text = state.position
        ? t("state_position", { position: state.position })
        : t("state_waiting");
    else if (state.session === "active") text = t("state_active", { name: state.agent || "" });
    else if (state.session === "ended") text = t("state_ended");
    $("chat-status").textContent = text;
  }

  function renderMode() {
    // Offline (no agent, or outside business hours), a new conversation gets the message form;
    // one already going on continues. "sent": the form went, nothing more to write here.
    var fresh = state.session === "new";
    var offline = fresh && state.mode === "offline";
    var sent = fresh && state.mode === "sent";
    var ended = state.session === "ended";
    $("chat").dataset.state = offline ? "offline" : state.session;
    $("offline").hidden = !offline;
    $("composer").hidden = offline || sent || ended;
    $("ended").hidden = !ended;
    $("details-toggle").hidden = offline || !state.welcomed;
    $("end-toggle").hidden = offline || ended || !state.lastId;
    if (state.session !== "bot") {
      $("chat").querySelectorAll(".actions button").forEach(function (b) {
        b.disabled = true;
      });
    }
    if (ended) {
      showTyping(false);
      $("transcript-download").href =
        config.api.transcript + "?token=" + encodeURIComponent(state.token || "");
    }
    renderStatus();
  }

  function setSession(session, agent, position) {
    var before = state.session;
    state.session = session || state.session;
    state.agent = agent || (state.session === "active" ? state.agent : null);
    state.position = position || null;
    if (before !== "waiting" && state.session === "waiting" && state.welcomed && !state.contactGiven) {
      toggleDetails(true); // queued for a person: a good moment to leave an email
    }
    renderMode();
  }

  function showGreeting(text) {
    if (!text || $("log").querySelector(".greeting")) return;
    var li = bubble("system", config.name, text, null);
    li.classList.add("greeting");
    li.querySelector(".at").textContent = "";
    $("log").insertBefore(li, $("log").firstChild);
  }

  // --- server frames -----------------------------------------------------------------------

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        var first = !state.welcomed;
        if (frame.token) saveToken(frame.token);
        state.mode = frame.mode || "chat";
        state.welcomed = true;
        showNotice("");
        if (frame.greeting) showGreeting(frame.greeting);
        (frame.messages || []).forEach(function (m) {
          showMessage(m, !first);
        });
        var session = frame.session || {};
        setSession(session.state, session.agent, session.position);
        if (first) offerBotActions();
        resendPending();
        sendRead();
        break;
      case "message":
        showMessage(frame, true);
        renderMode();
        break;
      case "ack":
        var item = pending[frame.client_id];
        if (item) {
          forget(frame.client_id);
          setDelivery(item.li, "sent");
          if (frame.id) {
            rendered[frame.id] = item.li;
            item.li.dataset.id = frame.id;
            state.lastId = Math.max(state.lastId, frame.id);
          }
        }
        renderMode();
        break;
      case "bot":
        showBot(frame);
        break;
      case "typing":
        if (frame.from !== "visitor") showTyping(!!frame.on);
        break;
      case "read":
        markRead(frame.up_to || 0);
        break;
      case "state":
        setSession(frame.state, frame.agent, frame.position);
        break;
      case "contact":
        showNotice(t(frame.email_verification === "sent" ? "details_saved" : "details_thanks"));
        break;
      case "transcript":
        showNotice(t(frame.status === "sent" ? "transcript_sent" : "transcript_unverified"));
        break;
      case "survey":
        if (typeof JornadaChat.onSurvey === "function") {
          var container = $("survey");
          container.hidden = false;
          JornadaChat.onSurvey(frame, {
            container: container,
            lang: state.lang,
            t: t,
            send: function (clientFrame) {
              return transport ? transport.send(clientFrame) : false;
            },
          });
        }
        break;
      case "error":
        onError(frame);
        break;
    }
  }

  var ERROR_STRINGS = {
    too_long: "too_long",
    empty: "empty",
    ended: "ended",
    unverified: "transcript_unverified",
    invalid_email: "invalid_email",
    file_type: "file_type",
    file_too_large: "file_too_large",
  };

  function errorText(error) {
    var key = error && ERROR_STRINGS[error.code];
    return key ? t(key) : (error && error.message) || t("error");
  }

  function onError(frame) {
    var clientId = frame.client_id;
    var item = clientId && pending[clientId];
    if (frame.code === "rate_limited" && item) {
      // Kept as sending: it goes again when the server allows.
      setTimeout(function () {
        if (pending[clientId] && transport) {
          transport.send({ type: "message", client_id: clientId, text: item.text });
        }
      }, 1000 * Math.max(1, +frame.retry_after || 5));
      return;
    }
    if (item) {
      forget(clientId);
      setDelivery(item.li, "not_sent");
      if (frame.code !== "ended" && frame.code !== "too_long") retryButton(item.li, item.text);
    }
    if (frame.code === "ended") setSession("ended");
    showNotice(errorText(frame));
  }

  function retryButton(li, text) {
    if (!text || li.querySelector(".retry")) return;
    var button = el("button", "retry link", t("retry"));
    button.type = "button";
    button.addEventListener("click", function () {
      li.remove();
      sendText(text);
    });
    li.appendChild(button);
  }

  function onStatus(value) {
    if (value === "reconnecting") showNotice(t("reconnecting"), true);
    else if (value === "unavailable") {
      showNotice(t("unavailable"), true);
      $("composer").hidden = true;
    } else if (value === "connecting" && !state.welcomed) showNotice(t("connecting"), true);
  }

  // --- starting ----------------------------------------------------------------------------

  function hello() {
    return {
      type: "hello",
      token: state.token || null,
      after: state.lastId,
      lang: state.lang,
      identity: state.identity,
    };
  }

  function start() {
    if (state.started) return;
    state.started = true;
    transport = window.JornadaChatTransport({
      socketUrl: config.socket,
      sendUrl: config.api.send,
      pollUrl: config.api.poll,
      lastId: function () {
        return state.lastId;
      },
      hello: hello,
      onFrame: onFrame,
      onStatus: onStatus,
    });
    transport.start();
  }

  var booted = false;

  function boot() {
    if (booted) return;
    booted = true;
    // A conversation under way is joined at once (its news light the launcher's badge); a new
    // visitor connects on opening the chat, so a page view alone creates nothing.
    if (state.token || state.visible) start();
  }

  function focusInput() {
    var target = !$("composer").hidden ? $("text") : !$("offline").hidden ? $("offline-email") : null;
    if (target) target.focus();
  }

  function toggleDetails(open) {
    $("details").hidden = !open;
    $("details-toggle").setAttribute("aria-expanded", open ? "true" : "false");
    if (open) $("details-name").focus();
  }

  function toggleEnd(open) {
    $("end-confirm").hidden = !open;
    $("end-toggle").setAttribute("aria-expanded", open ? "true" : "false");
    if (open) $("end-yes").focus();
  }

  function wire() {
    var text = $("text");
    $("composer").addEventListener("submit", function (event) {
      event.preventDefault();
      var value = text.value.trim();
      if (!value) return;
      text.value = "";
      autosize();
      sendTyping(false);
      sendText(value);
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    function autosize() {
      text.style.height = "auto";
      text.style.height = Math.min(text.scrollHeight, 120) + "px";
    }
    text.addEventListener("input", function () {
      autosize();
      sendTyping(text.value.trim() !== "");
    });
    $("attach").addEventListener("click", function () {
      $("file").click();
    });
    $("file").addEventListener("change", function () {
      var file = $("file").files[0];
      $("file").value = "";
      if (file) uploadFile(file);
    });
    $("details-toggle").addEventListener("click", function () {
      toggleDetails($("details").hidden);
    });
    $("details-cancel").addEventListener("click", function () {
      toggleDetails(false);
      $("details-toggle").focus();
    });
    $("details").addEventListener("submit", function (event) {
      event.preventDefault();
      var email = $("details-email");
      var error = $("details-error");
      error.hidden = email.checkValidity();
      error.textContent = email.validationMessage;
      if (!error.hidden) return email.focus();
      var sent = transport && transport.send({
        type: "contact",
        name: $("details-name").value.trim(),
        email: email.value.trim(),
      });
      if (!sent) return showNotice(t("error"));
      state.contactGiven = true;
      toggleDetails(false);
      text.focus();
    });
    $("end-toggle").addEventListener("click", function () {
      toggleEnd($("end-confirm").hidden);
    });
    $("end-no").addEventListener("click", function () {
      toggleEnd(false);
      $("end-toggle").focus();
    });
    $("end-yes").addEventListener("click", function () {
      if (transport) transport.send({ type: "end" });
      toggleEnd(false);
    });
    $("transcript-email").addEventListener("click", function () {
      if (!transport || !transport.send({ type: "email_transcript" })) showNotice(t("error"));
    });
    $("new-chat").addEventListener("click", function () {
      $("log").textContent = "";
      rendered = {};
      state.session = "new";
      state.lastIncoming = state.readSent = 0;
      showGreeting(config.greetings[state.lang]);
      renderMode();
      text.focus();
    });
    $("offline").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = $("offline");
      var error = $("offline-error");
      var invalid = form.querySelector(":invalid");
      error.hidden = !invalid;
      if (invalid) {
        error.textContent = invalid.validationMessage;
        return invalid.focus();
      }
      var button = form.querySelector("[type=submit]");
      button.disabled = true;
      fetch(config.api.offline, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          name: $("offline-name").value.trim(),
          email: $("offline-email").value.trim(),
          message: $("offline-text").value.trim(),
          lang: state.lang,
        }),
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok || !data.ok) throw data;
            form.reset();
            state.mode = "sent";
            renderMode();
            showNotice(t("offline_sent"));
          });
        })
        .catch(function (data) {
          error.hidden = false;
          error.textContent = errorText(data);
        })
        .then(function () {
          button.disabled = false;
        });
    });
    $("minimize").hidden = !embedded;
    $("minimize").addEventListener("click", function () {
      tellHost({ type: "close" });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      if (!$("end-confirm").hidden) return toggleEnd(false), $("end-toggle").focus();
      if (!$("details").hidden) return toggleDetails(false), $("details-toggle").focus();
      tellHost({ type: "close" });
    });
    document.addEventListener("visibilitychange", sendRead);
  }

  document.documentElement.style.setProperty("--color", config.color);
  document.documentElement.style.setProperty("--ink", config.ink);
  setLanguage(state.lang);
  wire();
  showGreeting(config.greetings[state.lang]);
  renderMode();
  if (embedded) {
    tellHost({
      type: "ready",
      color: config.color,
      ink: config.ink,
      labels: { open: t("open"), close: t("close"), title: t("title") },
    });
    setTimeout(boot, INIT_WAIT_MS); // a host page without widget.js never sends init
  } else {
    boot();
  }
})();
