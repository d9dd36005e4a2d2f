// The chat frame's connection to the desk (docs/chat.md): the /ws/chat/ websocket, reconnected
// with exponential backoff, or long polling (/chat/api/<key>/send and poll) when websockets cannot
// connect on this network. Either way the frame sees the same server frames (welcome, message, ack, bot,
// typing, read, state, survey, error) through onFrame, and sends client frames with send().
// Loaded before frame.js, which is its only user: window.JornadaChatTransport(options).
(function () {
  "use strict";

  var MAX_RETRY_DELAY_MS = 30000;
  var NO_RETRY = { 4403: true, 4404: true }; // origin or key refused: retrying cannot help
  // Websocket attempts in a row that never got to the welcome (refused, or cut by a proxy that
  // accepts the upgrade and then drops it) before the chat goes over long polling instead.
  var FAILED_SOCKETS_BEFORE_POLLING = 2;
  var POLL_ERROR_DELAY_MS = 3000;

  function backoff(attempt) {
    var delay = Math.min(MAX_RETRY_DELAY_MS, 1000 * Math.pow(2, attempt));
    return delay * (0.5 + Math.random() / 2); // jitter: not every tab at once after a restart
  }

  // options: socketUrl, sendUrl, pollUrl, hello() -> the hello frame for this (re)connect,
  // lastId() -> the last message id the frame has shown,
  // onFrame(frame), onStatus("connecting" | "open" | "reconnecting" | "unavailable").
  window.JornadaChatTransport = function (options) {
    var mode = "WebSocket" in window ? "socket" : "poll";
    var socket = null;
    var attempts = 0;
    var failedSockets = 0;
    var everWelcomed = false;
    var retryTimer = null;
    var stopped = true;
    var polling = null; // {token} while long polling
    var ready = false; // welcome received on the current connection

    function status(value) {
      if (options.onStatus) options.onStatus(value);
    }

    function deliver(frame) {
      if (frame && frame.type === "welcome") {
        ready = everWelcomed = true;
        attempts = 0;
        failedSockets = 0;
        if (polling) polling.token = frame.token;
      }
      options.onFrame(frame);
    }

    function retry() {
      if (stopped) return;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, backoff(attempts));
      attempts += 1;
    }

    // --- websocket ---------------------------------------------------------------------------

    function openSocket() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      try {
        socket = new WebSocket(scheme + location.host + options.socketUrl);
      } catch (e) {
        socket = null;
        return socketFailed();
      }
      var current = socket;
      current.addEventListener("open", function () {
        current.send(JSON.stringify(options.hello()));
      });
      current.addEventListener("message", function (event) {
        var frame;
        try {
          frame = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        deliver(frame);
      });
      current.addEventListener("close", function (event) {
        if (socket !== current) return;
        var welcomed = ready;
        socket = null;
        ready = false;
        if (stopped) return;
        if (NO_RETRY[event.code]) {
          stopped = true;
          return status("unavailable");
        }
        status("reconnecting");
        if (welcomed) retry();
        else socketFailed();
      });
    }

    function socketFailed() {
      failedSockets += 1;
      if (!everWelcomed && failedSockets >= FAILED_SOCKETS_BEFORE_POLLING) {
        mode = "poll"; // a network that refuses websockets: the same chat over plain HTTP
        attempts = 0;
      }
      retry();
    }

    // --- long polling ------------------------------------------------------------------------

    function request(method, url, body) {
      var init = {
        method: method,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch(url, init).then(function (response) {
        if (response.status === 403 || response.status === 404) {
          var refused = new Error("refused");
          refused.refused = true;
          throw refused;
        }
        return response.json().then(function (data) {
          if (!response.ok && !(data && data.type)) throw new Error("HTTP " + response.status);
          return data;
        });
      });
    }

    // send answers a list of frames, poll {"frames": [...]}, an error one frame.
    function handleHttpAnswer(data) {
      var frames = Array.isArray(data) ? data : data && data.frames ? data.frames : [data];
      frames.forEach(function (frame) {
        if (frame && frame.type) deliver(frame);
      });
    }

    function startPolling() {
      var hello = options.hello();
      polling = { token: hello.token, lang: hello.lang };
      request("POST", options.sendUrl, hello)
        .then(function (data) {
          handleHttpAnswer(data);
          status("open");
          poll();
        })
        .catch(pollFailed);
    }

    function poll() {
      if (stopped || mode !== "poll" || !polling) return;
      var query =
        "?token=" + encodeURIComponent(polling.token || "") +
        "&after=" + options.lastId() +
        "&lang=" + encodeURIComponent(polling.lang || "");
      request("GET", options.pollUrl + query)
        .then(function (data) {
          handleHttpAnswer(data);
          poll();
        })
        .catch(pollFailed);
    }

    function pollFailed(error) {
      if (stopped) return;
      if (error && error.refused) {
        stopped = true;
        return status("unavailable");
      }
      ready = false;
      status("reconnecting");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(startPolling, Math.max(POLL_ERROR_DELAY_MS, backoff(attempts++)));
    }

    function connect() {
      if (stopped) return;
      if (mode === "socket") openSocket();
      else startPolling();
    }

    return {
      start: function () {
        if (!stopped) return;
        stopped = false;
        status("connecting");
        connect();
      },
      isReady: function () {
        return ready;
      },
      mode: function () {
        return mode;
      },
      // Client frames; false when it cannot go now (the frame keeps it and resends after the
      // next welcome).
      send: function (frame) {
        if (!ready) return false;
        if (mode === "socket") {
          if (!socket || socket.readyState !== WebSocket.OPEN) return false;
          socket.send(JSON.stringify(frame));
          return true;
        }
        var body = Object.assign({ token: polling.token, lang: polling.lang }, frame);
        request("POST", options.sendUrl, body).then(handleHttpAnswer, function () {
          /* the frame resends what was not acknowledged after the next welcome */
        });
        return true;
      },
    };
  };
})();
