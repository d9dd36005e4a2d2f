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
//           announce: function (text) {...} (the frame's live region),
//           t: function (key, params) {...} (this frame's strings)}.
// static/chat/survey.js is that handler (an inline form). Without one the frame is ignored.
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
  var view = window.JornadaChatView(t, function () {
    return state.lang;
  });

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
    view.applyStrings();
    renderStatus();
    if (readySent) tellHost({ type: "labels", labels: hostLabels() });
  }

  function hostLabels() {
    return { open: t("open"), close: t("close"), title: t("title") };
  }

  // --- messages ----------------------------------------------------------------------------

  // The bot's articles and buttons, under its message: they come with the message frame (its
  // text lists the same articles as lines, for the transcript and the agents; shown once here,
  // as cards), or in a "bot" frame after it.
  function decorateBot(li, frame) {
    var articles = frame.articles || [];
    var text = li.querySelector(".text");
    var after = "";
    if (text && articles.length) {
      // The lines before the listed articles stay above the cards, those after go below.
      var listed = articles.map(function (a) {
        return "• " + a.title + ": " + a.url;
      });
      var lines = text.textContent.split("\n");
      var first = lines.findIndex(function (line) {
        return listed.indexOf(line) >= 0;
      });
      if (first >= 0) {
        var rest = lines.slice(first).filter(function (line) {
          return listed.indexOf(line) < 0;
        });
        text.textContent = lines.slice(0, first).join("\n");
        after = rest.join("\n");
      }
    }
    view.addArticles(li, articles);
    if (after) li.appendChild(view.el("p", "text", after));
    if (frame.actions && frame.actions.length) {
      // Only the latest answer offers the buttons.
      $("log").querySelectorAll(".actions").forEach(function (row) {
        row.remove();
      });
      view.addActions(li, frame.actions, sendAction);
    }
  }

  function showBot(frame) {
    var bots = $("log").querySelectorAll(".from-bot");
    var li = rendered[frame.id] || (bots.length ? bots[bots.length - 1] : null);
    if (!li || li.querySelector(".articles, .actions")) return;
    decorateBot(li, frame);
    view.keepDown();
  }

  function sendAction(action) {
    return !!transport && transport.send({ type: action });
  }

  function showMessage(message, live) {
    if (message.id && rendered[message.id]) return;
    var mine = message.client_id && pending[message.client_id];
    var li;
    if (mine) {
      li = mine.li;
      forget(message.client_id);
      view.setDelivery(li, "sent");
      if (message.attachments && message.attachments.length && !li.querySelector(".files")) {
        // An upload's bubble said "Sending <name>…": now the file itself, as a link.
        if (!mine.text && li.querySelector(".text")) li.querySelector(".text").remove();
        view.addAttachments(li, message.attachments);
      }
    } else {
      li = view.bubble(message.from, message.author, message.text, message.at);
      view.addAttachments(li, message.attachments);
      if (message.from === "visitor") view.setDelivery(li, "sent");
      if (message.from === "bot") decorateBot(li, message);
      view.appendToLog(li);
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
        view.announce(t("new_message", { name: message.author || "", text: message.text || "" }));
        if (!state.visible || document.hidden) {
          state.unread += 1;
          tellHost({ type: "unread", count: state.unread });
        }
      }
      sendRead();
    }
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
    var li = view.bubble("visitor", null, text, null);
    li.dataset.clientId = clientId;
    view.setDelivery(li, "sending");
    view.appendToLog(li);
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
    if (config.upload_types.indexOf(file.type) < 0) return view.showNotice(t("file_type"));
    if (file.size > config.max_upload_bytes) return view.showNotice(t("file_too_large"));
    var clientId = newClientId();
    var li = view.bubble("visitor", null, t("uploading", { name: file.name }), null);
    view.setDelivery(li, "sending");
    view.appendToLog(li);
    pending[clientId] = { text: null, li: li };
    var form = new FormData();
    form.append("token", state.token || "");
    form.append("client_id", clientId);
    form.append("lang", state.lang);
    form.append("file", file);
    fetch(config.api.upload, { method: "POST", body: form, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok || data.type === "error") throw data;
          var label = li.querySelector(".text");
          if (label) label.textContent = file.name;
          if (pending[clientId]) view.setDelivery(li, "sent");
        });
      })
      .catch(function (error) {
        forget(clientId);
        view.setDelivery(li, "not_sent");
        view.showNotice(view.errorText(error));
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
    var who = state.agent ? t("typing", { name: state.agent }) : t("typing_someone");
    view.showTyping(on ? who : "");
    if (on) {
      typingIn = setTimeout(function () {
        showTyping(false);
      }, AGENT_TYPING_TIMEOUT_MS);
    }
  }

  function markRead(upTo) {
    Object.keys(rendered).forEach(function (id) {
      var li = rendered[id];
      if (+id <= upTo && li.classList.contains("from-visitor")) view.setDelivery(li, "read");
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
    if (!ended) $("survey").hidden = true; // a survey follows an ended chat only
    $("details-toggle").hidden = offline || !state.welcomed;
    $("end-toggle").hidden = fresh || ended || !state.welcomed;
    if (state.session !== "bot" && !fresh) {
      // Past the bot (a person asked for, solved, ended): its buttons have done their work.
      $("chat").querySelectorAll(".actions").forEach(function (row) {
        row.remove();
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
      forms.toggleDetails(true); // queued for a person: a good moment to leave an email
    }
    renderMode();
  }

  function showGreeting(text) {
    if (!text || $("log").querySelector(".greeting")) return;
    var li = view.bubble("system", config.name, text, null);
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
        state.readSent = 0; // a receipt sent just before a drop may be lost: say it again
        state.mode = frame.mode || "chat";
        state.welcomed = true;
        view.showNotice("");
        if (frame.greeting) showGreeting(frame.greeting);
        (frame.messages || []).forEach(function (m) {
          showMessage(m, !first);
        });
        var session = frame.session || {};
        setSession(session.state, session.agent, session.position);
        resendPending();
        sendRead();
        break;
      case "message":
        showMessage(frame, true);
        renderMode();
        break;
      case "ack":
        // The first message opened the session, in the state the server gives a new one (a
        // later "state" frame or welcome corrects it).
        if (state.session === "new") setSession(config.bot_enabled ? "bot" : "waiting");
        var item = pending[frame.client_id];
        if (item) {
          forget(frame.client_id);
          view.setDelivery(item.li, "sent");
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
        var saved = { sent: "details_saved", limited: "details_limited" };
        view.showNotice(t(saved[frame.email_verification] || "details_thanks"));
        break;
      case "transcript":
        var emailed = { sent: "transcript_sent", limited: "transcript_limited" };
        view.showNotice(t(emailed[frame.status] || "transcript_unverified"));
        break;
      case "survey":
        if (typeof JornadaChat.onSurvey === "function") {
          var container = $("survey");
          container.hidden = false;
          JornadaChat.onSurvey(frame, {
            container: container,
            lang: state.lang,
            t: t,
            announce: view.announce,
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

  function onError(frame) {
    var clientId = frame.client_id;
    var item = clientId && pending[clientId];
    if ((frame.code === "rate_limited" || frame.code === "not_stored") && item) {
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
      view.setDelivery(item.li, "not_sent");
      if (frame.code !== "ended" && frame.code !== "too_long") retryButton(item.li, item.text);
    }
    if (frame.code === "ended") setSession("ended");
    view.showNotice(view.errorText(frame));
  }

  function retryButton(li, text) {
    if (!text || li.querySelector(".retry")) return;
    var button = view.el("button", "retry link", t("retry"));
    button.type = "button";
    button.addEventListener("click", function () {
      li.remove();
      sendText(text);
    });
    li.appendChild(button);
  }

  function onStatus(value) {
    if (value === "reconnecting") view.showNotice(t("reconnecting"), true);
    else if (value === "unavailable") {
      view.showNotice(t("unavailable"), true);
      $("composer").hidden = true;
    } else if (value === "connecting" && !state.welcomed) view.showNotice(t("connecting"), true);
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
  var readySent = false;

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

  var forms = null;

  function wire() {
    var text = $("text");
    forms = window.JornadaChatForms({
      config: config,
      t: t,
      view: view,
      errorText: view.errorText,
      lang: function () {
        return state.lang;
      },
      send: function (frame) {
        return !!transport && transport.send(frame);
      },
      onContactGiven: function () {
        state.contactGiven = true;
      },
      onOfflineSent: function () {
        state.mode = "sent";
        renderMode();
        view.showNotice(t("offline_sent"));
      },
      focusComposer: function () {
        text.focus();
      },
    });
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
    $("transcript-email").addEventListener("click", function () {
      if (!transport || !transport.send({ type: "email_transcript" })) view.showNotice(t("error"));
    });
    // Writing after the end reopens the conversation (docs/chat.md): it stays on screen.
    $("new-chat").addEventListener("click", function () {
      state.session = "new";
      renderMode();
      text.focus();
    });
    $("minimize").hidden = !embedded;
    $("minimize").addEventListener("click", function () {
      tellHost({ type: "close" });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      if (!forms.closePanel()) tellHost({ type: "close" });
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
      labels: hostLabels(),
    });
    readySent = true;
    setTimeout(boot, INIT_WAIT_MS); // a host page without widget.js never sends init
  } else {
    boot();
  }
})();
