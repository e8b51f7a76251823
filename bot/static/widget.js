/* Maru chat widget. Embed with one tag: <script src="https://<gateway>/widget.js" defer></script>
 * The page's site must be listed in the gateway's WIDGET_ORIGINS (README, "Configuration").
 * A shop page where the customer is signed in adds data-customer-token="<signed token>" (docs/store-login.md).
 * The chat's session token is kept in the shop site's own storage (no third-party cookie) and sent
 * with each session request and, as a web-socket subprotocol, on each socket (never in a URL).
 * Messages are built from DOM nodes and text only; nothing received is ever parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script ? script.src : window.location.href).origin;
  var wsOrigin = origin.replace(/^http/, "ws");
  var labels = {};
  var language = "";
  var socket = null;
  var retryDelay = 500;
  var seen = {};
  var el = {};
  // Sent once, when the page opens the chat; reconnects resume the conversation it settled.
  var customerToken = script ? script.getAttribute("data-customer-token") : null;
  var opened = false;
  var pendingNotice = null;
  var keepLog = false;
  // Whether the log shows its newest message: it stays there when the log changes size (the panel
  // opens, the style sheet arrives late, the window shrinks) unless the customer scrolled up to read.
  var atEnd = true;
  // Messages not yet acknowledged by the server, oldest first: kept across reconnects and reloads
  // (sessionStorage) and sent again until acknowledged; the server handles each client_id once.
  var PENDING_KEY = "maru-pending";
  var SESSION_KEY = "maru-session";
  var SUBPROTOCOL = "maru.v1";
  var RESEND_MS = 5000;
  // Longer pastes could not cross the socket (256 KiB a frame); the server refuses far shorter ones.
  var MAX_SEND_CHARS = 40000;
  // The queue's "Leave the queue" button stays usable while the customer waits, whatever else is said.
  var LEAVE_QUEUE = "/queue_leave";
  var pending = loadPending();
  var sessionToken = loadSessionToken();
  // Messages from the team that came while the chat was closed (an answer to a follow-up, say) are counted on
  // the chat button until the customer opens it, on this visit or the next: the newest message they saw is kept.
  var READ_KEY = "maru-read";
  var unread = 0;
  var newestId = "";
  var socketNumber = Date.now();
  // The browser's language: the server's hint for a first message without letters, and for the
  // labels of a new conversation. The conversation's own language wins once the customer writes.
  var browserLanguage = navigator.language || document.documentElement.lang || "";

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    var style = make("link");
    style.rel = "stylesheet";
    style.href = origin + "/widget.css";
    document.head.appendChild(style);

    el.launcher = make("button", "maru-launcher");
    el.launcher.type = "button";
    el.launcher.setAttribute("aria-expanded", "false");
    el.launcher.setAttribute("aria-controls", "maru-panel");

    el.panel = make("section", "maru-panel");
    el.panel.id = "maru-panel";
    el.panel.hidden = true;
    el.panel.setAttribute("role", "dialog");

    // A div, not a header: inside the store's page a <header> would be a second banner landmark.
    var header = make("div", "maru-header");
    el.title = make("h2", "maru-title");
    header.appendChild(el.title);
    el.close = make("button", "maru-close", "×");
    el.close.type = "button";
    header.appendChild(el.close);

    el.log = make("div", "maru-log");
    el.log.setAttribute("role", "log");
    el.log.setAttribute("aria-live", "polite");
    // Focusable, so the history scrolls with the arrow keys once no button in it can take the focus.
    el.log.tabIndex = 0;
    el.log.addEventListener("scroll", function () {
      if (!el.panel.hidden) atEnd = el.log.scrollHeight - el.log.scrollTop - el.log.clientHeight < 4;
    });
    if (window.ResizeObserver) new ResizeObserver(function () { if (atEnd) scrollToEnd(); }).observe(el.log);
    el.status = make("div", "maru-status");
    el.status.setAttribute("aria-live", "polite");
    el.queue = make("div", "maru-queue");
    el.queue.setAttribute("aria-live", "polite");

    el.form = make("form", "maru-form");
    el.input = make("input", "maru-input");
    el.input.type = "text";
    el.input.autocomplete = "off";
    el.send = make("button", "maru-send");
    el.send.type = "submit";
    el.form.appendChild(el.input);
    el.form.appendChild(el.send);
    relabel(labels, language);

    el.panel.appendChild(header);
    el.panel.appendChild(el.log);
    el.panel.appendChild(el.queue);
    el.panel.appendChild(el.status);
    el.panel.appendChild(el.form);
    document.body.appendChild(el.launcher);
    document.body.appendChild(el.panel);

    el.launcher.addEventListener("click", function () { toggle(true); });
    el.close.addEventListener("click", function () { toggle(false); });
    // On the document, not the panel: Escape closes the chat wherever its focus is, even if it was lost.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || el.panel.hidden) return;
      var focused = document.activeElement;
      if (focused && focused !== document.body && !el.panel.contains(focused)) return;
      toggle(false);
    });
    el.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = el.input.value;
      if (!text.trim()) return;
      if (text.length > MAX_SEND_CHARS) { addMessage({ role: "notice", text: labels.too_long }); return; }
      el.input.value = "";
      sendFrame({ type: "message", text: text }, text);
    });
  }

  // Every label in the conversation's language; called again when the customer switches language.
  function relabel(newLabels, newLanguage) {
    labels = newLabels;
    if (newLanguage) el.panel.lang = newLanguage;
    el.launcher.textContent = labels.open;
    showUnread();
    el.panel.setAttribute("aria-label", labels.title);
    el.title.textContent = labels.title;
    el.close.setAttribute("aria-label", labels.close);
    el.log.setAttribute("aria-label", labels.history);
    el.input.setAttribute("aria-label", labels.placeholder);
    el.input.placeholder = labels.placeholder;
    el.send.textContent = labels.send;
    Array.prototype.forEach.call(el.log.querySelectorAll(".maru-rating"), function (node) {
      node.setAttribute("aria-label", labels[node.getAttribute("data-label")]);
    });
    Array.prototype.forEach.call(el.log.querySelectorAll(".maru-sending-label"), function (node) {
      node.textContent = labels.sending;
    });
  }

  function toggle(open) {
    el.panel.hidden = !open;
    el.launcher.hidden = open;
    el.launcher.setAttribute("aria-expanded", String(open));
    if (open) markRead();
    // Messages that arrived while the panel was closed (a signed-in customer's greeting) end at the bottom.
    if (open) { scrollToEnd(); el.input.focus(); } else el.launcher.focus();
  }

  function scrollToEnd() {
    el.log.scrollTop = el.log.scrollHeight;
    atEnd = true;
  }

  function renderSegments(container, segments, fallback) {
    if (!segments || !segments.length) { container.appendChild(document.createTextNode(fallback || "")); return; }
    segments.forEach(function (segment) {
      if (segment["break"]) { container.appendChild(make("br")); return; }
      var node;
      if (segment.href && /^(https:|mailto:|tel:)/.test(segment.href)) {
        node = make("a", null, segment.text);
        node.href = segment.href;
        node.target = "_blank";
        node.rel = "noopener noreferrer";
      } else {
        node = document.createTextNode(segment.text);
      }
      if (segment.bold) { var strong = make("strong"); strong.appendChild(node); node = strong; }
      container.appendChild(node);
    });
  }

  function loadPending() {
    try { return JSON.parse(window.sessionStorage.getItem(PENDING_KEY)) || []; } catch (error) { return []; }
  }

  function loadSessionToken() {
    try { return window.localStorage.getItem(SESSION_KEY) || ""; } catch (error) { return ""; }
  }

  function saveSessionToken(token) {
    try { window.localStorage.setItem(SESSION_KEY, token); } catch (error) { /* memory only */ }
  }

  function savePending() {
    try { window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending)); } catch (error) { /* memory only */ }
  }

  /* ``replayed``: drawn from the stored history, where only the newest message's buttons are live. */
  function addMessage(message, replayed) {
    if (message.id && seen[message.id]) return;
    if (message.id) seen[message.id] = true;
    if (message.client_id && seen[message.client_id]) return;
    if (message.client_id) seen[message.client_id] = true;
    var bubble = make("div", "maru-message maru-" + message.role);
    bubble.setAttribute("data-role", message.role);
    if (message.client_id) bubble.setAttribute("data-client-id", message.client_id);
    if (message.role === "agent" && message.agent) bubble.appendChild(make("div", "maru-author", message.agent));
    var body = make("div", "maru-text");
    if (message.role === "customer") body.textContent = message.text;
    else renderSegments(body, message.segments, message.text);
    bubble.appendChild(body);
    // An editor's notice is an aside: the answer it came with keeps its buttons (the thumbs).
    if (message.role !== "customer" && !message.notice_id) retireButtons(replayed || leavesQueue(message));
    if (message.buttons && message.buttons.length) bubble.appendChild(buttonRow(message.buttons));
    el.log.appendChild(bubble);
    scrollToEnd();
  }

  /* Only the newest bot message keeps live buttons, and the leave button while queued; older choices no longer apply. */
  function retireButtons(leaveToo) {
    disable(el.log.querySelectorAll(leaveToo ? ".maru-button" : ".maru-button:not(.maru-leave)"));
  }

  /* Whether the message ends the wait as the customer saw it: a person (or a notice) took over, or a newer leave button came. */
  function leavesQueue(message) {
    if (message.role === "agent" || message.role === "notice") return true;
    return (message.buttons || []).some(function (button) { return button.payload === LEAVE_QUEUE; });
  }

  /* A disabled button loses the focus to the page's body: a keyboard user's focus goes to the message field. */
  function disable(buttons) {
    var hadFocus = Array.prototype.indexOf.call(buttons, document.activeElement) >= 0;
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    if (hadFocus) el.input.focus();
  }

  /* The label key of a rating button, whose title is only an emoji: the screen reader says the label instead. */
  function ratingLabel(payload) {
    var answer = /^\/rate_answer:.*:(up|down)$/.exec(payload);
    if (answer) return answer[1] === "up" ? "helpful" : "not_helpful";
    var csat = /^\/csat:.*:([123])$/.exec(payload);
    return csat ? "csat_" + csat[1] : null;
  }

  function buttonRow(buttons) {
    var row = make("div", "maru-buttons");
    buttons.forEach(function (button) {
      var rating = ratingLabel(button.payload);
      var node = make("button", rating ? "maru-button maru-rating" : "maru-button", button.title);
      if (button.payload === LEAVE_QUEUE) node.classList.add("maru-leave");
      node.type = "button";
      if (rating) { node.setAttribute("data-label", rating); node.setAttribute("aria-label", labels[rating]); }
      node.addEventListener("click", function () {
        disable(row.querySelectorAll("button"));
        sendFrame({ type: "button", payload: button.payload }, button.title);
      });
      row.appendChild(node);
    });
    return row;
  }

  function sendFrame(frame, shownText) {
    frame.client_id = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2);
    pending.push({ frame: frame, shown: shownText });
    savePending();
    addMessage({ role: "customer", text: shownText, client_id: frame.client_id });
    markSending(frame.client_id, true);
    flush();
  }

  /* Sends what is unacknowledged, in order: what this socket has not carried yet, or carried a while ago. */
  function flush() {
    if (!socket || socket.readyState !== WebSocket.OPEN) { if (pending.length) setStatus(labels.reconnecting); return; }
    var now = Date.now();
    pending.forEach(function (item) {
      if (item.socket === socketNumber && now - item.sentAt < RESEND_MS) return;
      item.socket = socketNumber;
      item.sentAt = now;
      socket.send(JSON.stringify(item.frame));
    });
    savePending();
  }

  function acknowledged(clientId) {
    pending = pending.filter(function (item) { return item.frame.client_id !== clientId; });
    savePending();
    markSending(clientId, false);
  }

  function markSending(clientId, sending) {
    var bubble = el.log.querySelector('[data-client-id="' + clientId + '"]');
    if (!bubble) return;
    bubble.classList.toggle("maru-sending", sending);
    var label = bubble.querySelector(".maru-sending-label");
    if (sending && !label) bubble.appendChild(make("div", "maru-sending-label", labels.sending));
    if (!sending && label) label.remove();
  }

  /* After a history frame: messages still unacknowledged stay on screen, after the stored ones. */
  function mergePending() {
    pending.forEach(function (item) {
      addMessage({ role: "customer", text: item.shown, client_id: item.frame.client_id });
      markSending(item.frame.client_id, true);
    });
  }

  /* Counts the team's messages the customer has not seen: all after the newest one seen with the chat open. */
  function countUnread(messages, live) {
    if (messages.length && messages[messages.length - 1].id) newestId = messages[messages.length - 1].id;
    if (!el.panel.hidden) { markRead(); return; }
    var seenAt = live ? -1 : messages.map(function (m) { return m.id; }).lastIndexOf(loadRead());
    var fresh = messages.slice(seenAt + 1).filter(function (m) { return m.role === "agent"; }).length;
    unread = live ? unread + fresh : fresh;
    showUnread();
  }

  function markRead() {
    unread = 0;
    showUnread();
    try { if (newestId) window.localStorage.setItem(READ_KEY, newestId); } catch (error) { /* memory only */ }
  }

  function loadRead() {
    try { return window.localStorage.getItem(READ_KEY) || ""; } catch (error) { return ""; }
  }

  /* The count on the chat button; its name says it in words ("Chat with us, 1 new"). */
  function showUnread() {
    var badge = el.launcher.querySelector(".maru-badge");
    if (badge) badge.remove();
    el.launcher.removeAttribute("aria-label");
    if (!unread) return;
    badge = make("span", "maru-badge", String(unread));
    badge.setAttribute("aria-hidden", "true");
    el.launcher.appendChild(badge);
    el.launcher.setAttribute("aria-label", labels.open + ", " + String(labels.unread).replace("{count}", unread));
  }

  function setStatus(text) { el.status.textContent = text || ""; }

  function onEvent(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (data.type === "history") {
      // After "forget me on this device" the new, empty conversation keeps the old one's last words on screen.
      if (!(keepLog && data.messages.length === 0)) {
        // Redrawn from the stored history: a focused button in the log goes, so the focus goes to the field.
        if (el.log.contains(document.activeElement) && document.activeElement !== el.log) el.input.focus();
        el.log.textContent = ""; seen = {};
      }
      keepLog = false;
      data.messages.forEach(function (message) { addMessage(message, true); });
      countUnread(data.messages);
      mergePending();
      flush();
      if (pendingNotice) { addMessage({ role: "notice", text: pendingNotice }); pendingNotice = null; }
    } else if (data.type === "session_ended") {
      // Frames are handled in order, so the message that ended the session is the oldest one this
      // socket carried; its acknowledgement goes to the old conversation, so it never comes.
      var ending = pending.filter(function (item) { return item.socket === socketNumber; })[0];
      if (ending) acknowledged(ending.frame.client_id);
      keepLog = true;
      socket.close();
    } else if (data.type === "typing") {
      setStatus(data.on ? labels.typing : "");
    } else if (data.type === "message") {
      if (data.role === "agent" || data.role === "notice") el.queue.textContent = "";
      addMessage(data);
      countUnread([data], true);
    } else if (data.type === "queue") {
      el.queue.textContent = data.text;
      if (!data.text) disable(el.log.querySelectorAll(".maru-leave"));
    } else if (data.type === "ack") {
      acknowledged(data.client_id);
    } else if (data.type === "language") {
      relabel(data.labels, data.language);
    }
  }

  function connect() {
    socketNumber += 1;
    var protocols = sessionToken ? [SUBPROTOCOL, "maru.token." + sessionToken] : [SUBPROTOCOL];
    socket = new WebSocket(wsOrigin + "/web/socket?lang=" + encodeURIComponent(browserLanguage), protocols);
    socket.addEventListener("open", function () { retryDelay = 500; setStatus(""); });
    socket.addEventListener("message", onEvent);
    socket.addEventListener("close", function () {
      setStatus(labels.reconnecting);
      setTimeout(start, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    });
  }

  function start() {
    var body = opened ? { resume: true } : (customerToken ? { customer_token: customerToken } : {});
    body.language = browserLanguage;
    if (sessionToken) body.session_token = sessionToken;
    fetch(origin + "/web/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json().then(function (session) { return { status: response.status, session: session }; });
      })
      .then(function (answer) {
        var session = answer.session;
        if (answer.status !== 200 && answer.status !== 429) throw new Error("session refused: " + answer.status);
        if (!el.panel) { labels = session.labels; language = session.language; build(); }
        if (answer.status === 429) { refused(session); return; }
        opened = true;
        sessionToken = session.session_token;
        saveSessionToken(sessionToken);
        pendingNotice = session.notice || null;
        connect();
      })
      .catch(function () { setTimeout(start, Math.min(retryDelay *= 2, 10000)); });
  }

  /* Too many new chats from this network: say so once, and try again when the gateway says. */
  function refused(session) {
    if (el.log.lastChild === null || el.log.lastChild.textContent !== session.notice) {
      addMessage({ role: "notice", text: session.notice });
    }
    setTimeout(start, (session.retry_after || 60) * 1000);
  }

  // A message whose acknowledgement never came (Redis was down during its turn) is sent again.
  window.setInterval(function () { if (pending.length) flush(); }, RESEND_MS);

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
