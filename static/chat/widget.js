// Jornada live chat: the loader a customer's site adds with one tag (see docs/chat.md):
//   <script src="https://desk.example/static/chat/widget.js" data-key="PUBLIC_KEY" async></script>
// It adds a launcher button and an iframe to the desk's /chat/widget/<key>/, both inside a
// shadow root: the host's CSS cannot reach them and theirs cannot leak out. The chat
// itself (connection, messages, forms) lives in the iframe (static/chat/frame.js), on the
// desk's origin; this file only opens, closes and places it. No framework, no CDN.
//
// Optional attributes of the tag: data-lang ("pt-br" | "en", default: the browser's language),
// data-position ("right" | "left"), and a signed identity of the host's signed-in user:
// data-user-id, data-user-hash (hex HMAC-SHA256 of the id with the channel's secret),
// data-user-name, data-user-email, data-user-email-hash (HMAC of "email:" + the address).
// window.JornadaChatSettings = {identity: {id, hmac, name, email, email_hmac}, lang: "en"}
// set before the tag may give the same things.
(function () {
  "use strict";

  var script =
    document.currentScript ||
    document.querySelector('script[data-key][src*="/chat/widget.js"]');
  if (!script || !script.getAttribute("data-key")) return;
  var key = script.getAttribute("data-key");
  var registry = (window.__jornadaChat = window.__jornadaChat || {});
  if (registry[key]) return; // the tag was added twice
  registry[key] = true;

  var origin = new URL(script.src, location.href).origin;
  var settings = window.JornadaChatSettings || {};
  var lang = script.getAttribute("data-lang") || settings.lang || "";
  var frameUrl =
    origin + "/chat/widget/" + encodeURIComponent(key) + "/" +
    (lang ? "?lang=" + encodeURIComponent(lang) : "");
  var stateKey = "jornada-chat-open:" + key;
  var MOBILE_MAX_WIDTH = 480;
  var position = script.getAttribute("data-position") === "left" ? "left" : "right";

  // The host's signed-in user, passed on unchanged: the desk checks the HMACs (docs/chat.md).
  function identity() {
    if (settings.identity && settings.identity.id) return settings.identity;
    var id = script.getAttribute("data-user-id");
    if (!id) return null;
    var given = { id: id, hmac: script.getAttribute("data-user-hash") || "" };
    [["name", "data-user-name"], ["email", "data-user-email"], ["email_hmac", "data-user-email-hash"]]
      .forEach(function (pair) {
        var value = script.getAttribute(pair[1]);
        if (value) given[pair[0]] = value;
      });
    return given;
  }

  function storedOpen() {
    try {
      return localStorage.getItem(stateKey) === "1";
    } catch (e) {
      return false; // storage blocked: start closed
    }
  }

  function storeOpen(open) {
    try {
      if (open) localStorage.setItem(stateKey, "1");
      else localStorage.removeItem(stateKey);
    } catch (e) {
      /* storage blocked: nothing to remember */
    }
  }

  var CSS =
    ":host{all:initial}" +
    ".launcher{position:fixed;bottom:20px;" + position + ":20px;z-index:2147483646;" +
    "width:56px;height:56px;border-radius:50%;border:0;padding:0;margin:0;cursor:pointer;" +
    "background:var(--jc-color,#1d4ed8);color:var(--jc-ink,#fff);" +
    "box-shadow:0 4px 14px rgba(0,0,0,.3);display:flex;align-items:center;justify-content:center;" +
    "font:600 14px/1 system-ui,sans-serif}" +
    ".launcher[hidden]{display:none}" +
    ".launcher:focus-visible{outline:3px solid #111;outline-offset:3px;" +
    "box-shadow:0 0 0 6px #fff}" +
    ".launcher svg{width:28px;height:28px;fill:currentColor}" +
    ".launcher .close{display:none}" +
    ".launcher[aria-expanded=true] .open{display:none}" +
    ".launcher[aria-expanded=true] .close{display:block}" +
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;" +
    "box-sizing:border-box;border-radius:10px;background:#b91c1c;color:#fff;" +
    "font:700 12px/20px system-ui,sans-serif;text-align:center}" +
    ".badge[hidden]{display:none}" +
    ".panel{position:fixed;bottom:88px;" + position + ":20px;z-index:2147483647;" +
    "width:380px;height:600px;max-height:calc(100vh - 108px);max-width:calc(100vw - 40px);" +
    "border:0;margin:0;padding:0;border-radius:12px;background:#fff;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.3);color-scheme:normal}" +
    ".panel[hidden]{display:none}" +
    "@media (max-width:" + MOBILE_MAX_WIDTH + "px){" +
    ".panel{inset:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}" +
    ".launcher[aria-expanded=true]{display:none}}" +
    "@media (prefers-reduced-motion:no-preference){.launcher{transition:transform .15s}" +
    ".launcher:hover{transform:scale(1.06)}}";

  var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  var ICON_CLOSE =
    "M18.3 5.7 13.4 10.6 12 12l6.3 6.3-1.4 1.4L12 13.4l-6.3 6.3-1.4-1.4L10.6 12 4.3 5.7 " +
    "5.7 4.3 12 10.6l6.3-6.3z";

  function icon(className, path) {
    var svgNs = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("class", className);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var shape = document.createElementNS(svgNs, "path");
    shape.setAttribute("d", path);
    svg.appendChild(shape);
    return svg;
  }

  var host = document.createElement("div");
  host.setAttribute("data-jornada-chat", key);
  // The host element is the one part the page's CSS reaches (a "div {display: none}"...).
  host.style.setProperty("display", "block", "important");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent = CSS;

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.hidden = true; // shown once the frame says it is ready (and allowed here)
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "jornada-chat-panel");
  launcher.setAttribute("aria-label", "Chat"); // replaced by the frame's translated label
  launcher.appendChild(icon("open", ICON_CHAT));
  launcher.appendChild(icon("close", ICON_CLOSE));
  var badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  badge.setAttribute("aria-hidden", "true");
  launcher.appendChild(badge);

  var frame = document.createElement("iframe");
  frame.className = "panel";
  frame.id = "jornada-chat-panel";
  frame.hidden = true;
  frame.title = "Chat";
  frame.setAttribute("allow", "clipboard-write");
  frame.src = frameUrl;

  root.appendChild(style);
  root.appendChild(frame);
  root.appendChild(launcher);

  var ready = false;
  var open = false;
  var labels = { open: "Chat", close: "Close chat" };
  var unread = 0;

  function setLabels(given) {
    if (!given) return;
    labels.open = given.open || labels.open;
    labels.close = given.close || labels.close;
    frame.title = given.title || frame.title;
  }

  function post(message) {
    if (frame.contentWindow) frame.contentWindow.postMessage(message, origin);
  }

  function render() {
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    var label = open ? labels.close : labels.open;
    launcher.setAttribute("aria-label", !open && unread ? label + " (" + unread + ")" : label);
    frame.hidden = !(open && ready);
    badge.hidden = open || !unread;
    badge.textContent = unread > 9 ? "9+" : String(unread);
  }

  function setOpen(value, options) {
    open = value;
    storeOpen(open);
    if (open) unread = 0;
    render();
    post({ type: "jornada-chat:" + (open ? "opened" : "closed") });
    if (open && !(options && options.quiet)) frame.focus();
    if (!open && options && options.returnFocus) launcher.focus();
  }

  launcher.addEventListener("click", function () {
    setOpen(!open, { returnFocus: open });
  });

  // Esc inside the frame is sent up by the frame; Esc on the launcher closes too.
  launcher.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && open) setOpen(false, { returnFocus: true });
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (typeof data.type !== "string" || data.type.indexOf("jornada-chat:") !== 0) return;
    switch (data.type.slice("jornada-chat:".length)) {
      case "ready":
        ready = true;
        if (data.color) host.style.setProperty("--jc-color", data.color);
        if (data.ink) host.style.setProperty("--jc-ink", data.ink);
        setLabels(data.labels);
        launcher.hidden = false;
        open = storedOpen();
        post({
          type: "jornada-chat:init",
          identity: identity(),
          lang: lang,
          open: open,
        });
        render();
        break;
      case "labels": // the frame switched to the language the host asked for
        setLabels(data.labels);
        render();
        break;
      case "close":
        if (open) setOpen(false, { returnFocus: true });
        break;
      case "unread":
        if (!open) {
          unread = Math.max(0, parseInt(data.count, 10) || 0);
          render();
        }
        break;
    }
  });

  function attach() {
    document.body.appendChild(host);
  }

  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach);

  // For the host page's own buttons ("Chat with us"): JornadaChat.open() / .close().
  window.JornadaChat = window.JornadaChat || {
    open: function () {
      if (ready) setOpen(true);
    },
    close: function () {
      if (ready) setOpen(false);
    },
  };
})();
