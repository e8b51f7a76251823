/* Maru agent console. Everything from customers is inserted with textContent, never as HTML. */
(function () {
  "use strict";
  var me = null;
  var baseTitle = document.title;

  function $(id) { return document.getElementById(id); }
  function make(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function showError(text) { var e = $("error") || $("login-error"); if (e) e.textContent = text || ""; }

  /* Says a change through the page's status region. Emptied first, so the same words are said again. */
  var announcing = null;
  function announce(text) {
    var region = $("announce");
    region.textContent = "";
    clearTimeout(announcing);
    announcing = setTimeout(function () { region.textContent = text; }, 50);
  }

  function shown(node) { return !!node && document.contains(node) && !node.disabled && node.getClientRects().length > 0; }

  /* Redraws part of the page keeping a keyboard user's place: the control with the same data-key gets the
     focus back; if it is gone (another agent took the chat), the part itself (tabindex -1) gets it. */
  function redraw(part, draw) {
    var focused = document.activeElement;
    var inside = part.contains(focused) && focused !== part;
    var key = inside ? focused.getAttribute("data-key") : null;
    draw();
    if (!inside) return;
    var again = key ? part.querySelector('[data-key="' + CSS.escape(key) + '"]') : null;
    (again || part).focus();
  }

  function api(path, options) {
    options = options || {};
    var headers = { "Content-Type": "application/json" };
    if (me) headers["X-CSRF-Token"] = me.csrf;
    return fetch(path, { method: options.method || "GET", credentials: "same-origin", headers: headers,
      body: options.body ? JSON.stringify(options.body) : undefined })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.status === 401) { window.location = "/console/login"; }
          if (!response.ok) throw new Error(data.error || ("request failed: " + response.status));
          return data;
        });
      });
  }

  function minutes(seconds) { return Math.max(0, Math.round(seconds / 60)) + " min"; }
  // "bot_unavailable" reads "bot unavailable": the bot could not answer and the customer asked for a person.
  function reasonLabel(reason) { return String(reason || "").replace(/_/g, " "); }

  function socket(query, onEvent) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + window.location.host + "/console/socket" + query);
    ws.addEventListener("open", function () { $("live").textContent = "live"; });
    ws.addEventListener("message", function (event) {
      var data; try { data = JSON.parse(event.data); } catch (error) { return; }
      onEvent(data);
    });
    ws.addEventListener("close", function () {
      $("live").textContent = "reconnecting…";
      setTimeout(function () { socket(query, onEvent); }, 1000);
    });
  }

  function beep() {
    try {
      var context = new (window.AudioContext || window.webkitAudioContext)();
      var tone = context.createOscillator();
      tone.connect(context.destination); tone.frequency.value = 880;
      tone.start(); tone.stop(context.currentTime + 0.15);
    } catch (error) { /* sound is a nicety; the title badge still shows */ }
  }

  /* --- login ------------------------------------------------------------ */
  function loginPage() {
    $("login-form").addEventListener("submit", function (event) {
      event.preventDefault();
      api("/console/login", { method: "POST", body: { name: $("name").value, password: $("password").value } })
        .then(function (data) { window.location = data.home; })
        .catch(function (error) { showError(error.message); });
    });
  }

  /* --- queue -------------------------------------------------------------- */
  function cell(row, text) { var td = make("td", text); row.appendChild(td); return td; }
  // A repeated button named in its row's context ("Claim chat with Mina"); key: what it stays after a redraw.
  function button(label, onClick, name, key) {
    var b = make("button", label); b.type = "button"; b.addEventListener("click", onClick);
    if (name) b.setAttribute("aria-label", name);
    if (key) b.setAttribute("data-key", key);
    return b;
  }
  function rowHeader(row, text) { var th = make("th", text); th.scope = "row"; row.appendChild(th); return th; }

  // Who a chat is with, for the names of its row's controls: the customer's name, else the start of its id.
  function customerOf(handoff) {
    var name = ((handoff.identity || {}).name) || (((handoff.context || {}).customer || {}).name);
    return name || handoff.conversation.slice(0, 10);
  }

  function firstAsk(handoff) {
    var said = ((handoff.context || {}).summary || {}).customer_said || [];
    return said.length ? said[said.length - 1] : "";
  }

  // The customer's language (context.language, e.g. "ko"), so an agent sees it before claiming.
  function languageBadge(handoff) {
    var code = String(((handoff || {}).context || {}).language || "en");
    var badge = make("span", " " + code.toUpperCase(), "language");
    badge.title = "Customer writes in " + code;
    badge.setAttribute("data-language", code);
    return badge;
  }

  function renderQueue(data) {
    redraw($("queued"), function () { renderQueued(data.queued); });
    document.title = data.queued.length ? "(" + data.queued.length + ") " + baseTitle : baseTitle;
    redraw($("assigned"), function () { renderAssigned(data.assigned); });
    redraw($("callbacks"), function () { renderCallbacks(data.callbacks, data.mail); });
    redraw($("failed-mail"), function () { renderFailedMail(data.mail.failed); });
    var agents = $("agents"); agents.textContent = "";
    data.agents_online.forEach(function (name) { agents.appendChild(make("li", name)); });
    return data;
  }

  function renderQueued(queued) {
    var body = $("queued").querySelector("tbody"); body.textContent = "";
    queued.forEach(function (h) {
      var row = make("tr"); row.setAttribute("data-conversation", h.conversation);
      var who = rowHeader(row, h.conversation + " (" + h.channel + ") ");
      who.appendChild(identityBadge(h.identity, (h.context || {}).customer));
      who.appendChild(languageBadge(h));
      if (h.priority) who.appendChild(make("span", " priority", "priority"));
      var reopened = checkInMark(h);
      if (reopened) who.appendChild(reopened);
      cell(row, reasonLabel(h.reason)); cell(row, minutes(h.waiting_seconds)); cell(row, firstAsk(h));
      cell(row, "").appendChild(button("Claim", function () { claim(h.conversation); },
        "Claim chat with " + customerOf(h), "claim:" + h.conversation));
      body.appendChild(row);
    });
    $("queued-count").textContent = queued.length;
  }

  /* A chat a customer reopened by answering their check-in: says so, who had it, and whom it waits for first. */
  function checkInMark(handoff) {
    var context = handoff.context || {};
    if (!context.reopened_after_check_in) return null;
    var text = " check-in reply";
    if (context.previous_agent) text += " · previously " + context.previous_agent;
    if (handoff.first_offer) text += " · for " + handoff.first_offer.name + " first until " + clock(handoff.first_offer.until);
    return make("span", text, "check-in-reply");
  }

  function renderAssigned(assigned) {
    var body = $("assigned").querySelector("tbody"); body.textContent = "";
    assigned.forEach(function (h) {
      var row = make("tr");
      rowHeader(row, h.conversation); cell(row, h.agent); cell(row, reasonLabel(h.reason));
      var open = make("a", "Open"); open.href = "/console/conversations/" + encodeURIComponent(h.conversation);
      open.setAttribute("aria-label", "Open chat with " + customerOf(h));
      open.setAttribute("data-key", "open:" + h.conversation);
      cell(row, "").appendChild(open);
      body.appendChild(row);
    });
  }

  /* A new chat in the queue, in words: the beep and the title's count are not enough for everyone. */
  function announceQueued(conversation, data) {
    var h = data.queued.filter(function (q) { return q.conversation === conversation; })[0];
    if (!h) return;
    announce("New chat waiting: " + reasonLabel(h.reason) + ", " + h.channel + (h.priority ? ", priority" : "") +
      ". " + data.queued.length + " waiting.");
  }

  function renderCallbacks(callbacks, mail) {
    var body = $("callbacks").querySelector("tbody"); body.textContent = "";
    callbacks.forEach(function (c) {
      var row = make("tr"); row.setAttribute("data-callback", c.id);
      var contact = c.phone || c.email || c.channel;
      rowHeader(row, new Date(c.due * 1000).toLocaleString()); cell(row, c.window_label); cell(row, c.method);
      cell(row, contact); cell(row, c.state + (c.agent ? " · " + c.agent : ""));
      var mails = cell(row, ""); mails.className = "mail-status";
      c.mails.forEach(function (m) { mails.appendChild(make("div", mailStatus(m), "mail-" + m.state)); });
      var actions = cell(row, "");
      if (c.state === "in_progress" && c.agent === me.name && c.email && mail.enabled) {
        actions.appendChild(button("Reply by email", function () { openEmailReply(c); },
          "Reply by email to " + contact, "email:" + c.id));
      }
      // Picked up, the row's Done button takes the place (and the focus) of Pick up.
      if (c.state === "pending") actions.appendChild(button("Pick up", function () {
        api("/console/api/callbacks/" + c.id + "/pick-up", { method: "POST" }).then(loadQueue).catch(function (e) { alert(e.message); });
      }, "Pick up callback to " + contact, "callback:" + c.id));
      if (c.state === "in_progress" && c.agent === me.name) actions.appendChild(button("Done", function () {
        var note = window.prompt("What happened on the callback?") || "";
        api("/console/api/callbacks/" + c.id + "/done", { method: "POST", body: { note: note } }).then(loadQueue);
      }, "Callback to " + contact + " done", "callback:" + c.id));
      body.appendChild(row);
    });
  }

  /* --- mail to customers ------------------------------------------------------ */
  var MAIL_KINDS = { callback_booked: "confirmation", callback_reply: "reply", check_in: "check-in",
    follow_up_reply: "follow-up reply" };
  function clock(seconds) { return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }

  // "reply: sent 14:02", "confirmation: queued, try 3 at 14:05 (the connection … failed)", "reply: failed (…)".
  function mailStatus(m) {
    var kind = (MAIL_KINDS[m.kind] || m.kind) + ": ";
    if (m.state === "sent") return kind + "sent " + clock(m.sent_at);
    if (m.state === "failed") return kind + "failed (" + m.last_error + ")";
    if (!m.attempts) return kind + "queued";
    return kind + "queued, try " + (m.attempts + 1) + " at " + clock(m.next_attempt_at) + " (" + m.last_error + ")";
  }

  function renderFailedMail(failed) {
    var body = $("failed-mail").querySelector("tbody"); body.textContent = "";
    failed.forEach(function (m) {
      var row = make("tr"); row.setAttribute("data-mail", m.id);
      rowHeader(row, new Date(m.failed_at * 1000).toLocaleString()); cell(row, MAIL_KINDS[m.kind] || m.kind);
      var who = cell(row, m.to + " ");
      var link = make("a", m.conversation); link.href = "/console/conversations/" + encodeURIComponent(m.conversation);
      link.setAttribute("data-key", "mail:" + m.id);
      who.appendChild(link);
      cell(row, m.subject); cell(row, m.last_error + " (" + m.attempts + (m.attempts === 1 ? " try)" : " tries)"));
      body.appendChild(row);
    });
    $("failed-mail-count").textContent = failed.length;
  }

  // The reply box lives outside the callbacks table, which is redrawn on every queue event.
  var emailing = null;
  function openEmailReply(callback) {
    emailing = callback;
    $("email-reply-to").textContent = callback.email + " (" + callback.language.toUpperCase() + ")";
    $("email-reply").hidden = false; $("email-text").focus();
  }
  // The box goes: the focus goes back to the callbacks table.
  function closeEmailReply() {
    emailing = null; $("email-text").value = ""; $("email-reply").hidden = true; $("callbacks").focus();
  }
  function sendEmailReply(finish) {
    var text = $("email-text").value.trim(); if (!emailing || !text) return;
    api("/console/api/callbacks/" + emailing.id + "/email", { method: "POST", body: { text: text, finish: finish } })
      .then(function () { closeEmailReply(); loadQueue(); })
      .catch(function (error) { alert(error.message); });
  }

  function claim(conversation) {
    api("/console/api/conversations/" + encodeURIComponent(conversation) + "/claim", { method: "POST" })
      .then(function () { window.location = "/console/conversations/" + encodeURIComponent(conversation); })
      .catch(function (error) { alert(error.message); loadQueue(); });
  }

  function renderFollowUps(data) {
    redraw($("followups"), function () { renderFollowUpRows(data.follow_ups); });
    redraw($("followups-done"), function () { renderDoneFollowUps(data.done); });
    var kudos = $("kudos"); kudos.textContent = "";
    data.kudos.forEach(function (k) { kudos.appendChild(make("li", k.comment)); });
  }

  /* --- follow-ups ------------------------------------------------------- */
  var FACES = ["", "😞", "😐", "😊"];
  function ratingLabel(f) { return f.kind === "nps" ? "NPS " + f.score : FACES[f.score] + " " + f.score + "/3"; }
  function when(seconds) { return seconds ? new Date(seconds * 1000).toLocaleString() : "–"; }
  function conversationLink(f, key) {
    var link = make("a", f.customer); link.href = "/console/conversations/" + encodeURIComponent(f.conversation);
    link.setAttribute("data-key", key + f.id);
    return link;
  }
  // "taken by yuna · 12/7/2026, 14:02", "done by yuna · …: called the courier".
  function historyLine(event) {
    return event.event + " by " + event.agent + " · " + when(event.at) + (event.note ? ": " + event.note : "");
  }
  function historyList(f) {
    var ul = make("ul", null, "followup-history");
    f.history.forEach(function (event) { ul.appendChild(make("li", historyLine(event))); });
    return ul;
  }

  function takeFollowUp(f) {
    return api("/console/api/follow-ups/" + f.id + "/take", { method: "POST" });
  }

  function renderFollowUpRows(followUps) {
    var body = $("followups").querySelector("tbody"); body.textContent = "";
    followUps.forEach(function (f) {
      var row = make("tr"); row.setAttribute("data-followup", f.id);
      rowHeader(row, "").appendChild(conversationLink(f, "followup-link:"));
      cell(row, f.channel); cell(row, (f.language || "").toUpperCase()); cell(row, ratingLabel(f));
      cell(row, f.comment); cell(row, f.owner || "nobody yet"); cell(row, when(f.due));
      var actions = cell(row, "");
      if (!f.owner) actions.appendChild(button("Take", function () {
        takeFollowUp(f).then(function () { window.location = "/console/conversations/" + encodeURIComponent(f.conversation); })
          .catch(function (error) { alert(error.message); loadFollowUps(); });
      }, "Take follow-up on " + f.customer, "followup:" + f.id));
      if (f.owner === me.name) actions.appendChild(button("Done", function () {
        var note = window.prompt("What did you do?") || "";
        api("/console/api/follow-ups/" + f.id + "/done", { method: "POST", body: { note: note } }).then(loadFollowUps);
      }, "Follow-up on " + f.customer + " done", "followup:" + f.id));
      body.appendChild(row);
    });
    $("followups-count").textContent = followUps.length;
  }

  function renderDoneFollowUps(done) {
    var body = $("followups-done").querySelector("tbody"); body.textContent = "";
    done.forEach(function (f) {
      var row = make("tr"); row.setAttribute("data-followup", f.id);
      rowHeader(row, "").appendChild(conversationLink(f, "followup-done-link:"));
      cell(row, f.channel); cell(row, ratingLabel(f)); cell(row, f.comment);
      cell(row, "").appendChild(historyList(f));
      body.appendChild(row);
    });
  }

  /* The follow-up on the conversation page: what the customer rated and said, its history, and Done for its owner. */
  function renderFollowUp(f) {
    var box = $("follow-up"); box.hidden = !f; if (!f) return;
    $("follow-up-facts").textContent = f.customer + " · " + f.channel + " · " + (f.language || "").toUpperCase() +
      " · " + ratingLabel(f) + " · due " + when(f.due) + " · " + (f.state === "done" ? "done" : "owner: " + (f.owner || "nobody yet")) +
      (f.contact_email ? " · your messages are also emailed to " + f.contact_email : "");
    $("follow-up-comment").textContent = f.comment || "(no comment)";
    var history = $("follow-up-history"); history.textContent = "";
    f.history.forEach(function (event) { history.appendChild(make("li", historyLine(event))); });
    $("follow-up-take").hidden = !(f.state === "open" && !f.owner);
    $("follow-up-done").hidden = !(f.state === "open" && f.owner === me.name);
  }

  function followUpPage() {
    $("follow-up-take").addEventListener("click", function () {
      showError("");
      takeFollowUp(state.follow_up).then(function () { loadConversation(true); }).catch(function (e) { showError(e.message); });
    });
    $("follow-up-done").addEventListener("submit", function (event) {
      event.preventDefault();
      showError("");
      api("/console/api/follow-ups/" + state.follow_up.id + "/done", { method: "POST", body: { note: $("follow-up-note").value.trim() } })
        .then(function () { $("follow-up-note").value = ""; announce("Follow-up done."); return loadConversation(); })
        .catch(function (e) { showError(e.message); });
    });
  }

  function loadFollowUps() { return api("/console/api/follow-ups").then(renderFollowUps); }

  function loadQueue() { return api("/console/api/queue").then(renderQueue); }

  function queuePage() {
    $("who").textContent = me.display_name + " (" + me.role + ")";
    $("logout").addEventListener("click", function () {
      api("/console/logout", { method: "POST" }).then(function () { window.location = "/console/login"; });
    });
    $("email-send").addEventListener("click", function () { sendEmailReply(false); });
    $("email-send-finish").addEventListener("click", function () { sendEmailReply(true); });
    $("email-cancel").addEventListener("click", closeEmailReply);
    loadQueue();
    loadFollowUps();
    socket("", function (event) {
      if (event.type === "followups") loadFollowUps();
      var queued = event.type === "queue" && event.event === "queued";
      if (queued) beep();
      if (["queue", "callbacks", "mail", "presence", "resubscribed"].indexOf(event.type) >= 0) {
        loadQueue().then(function (data) { if (queued) announceQueued(event.conversation, data); });
      }
      if (event.type === "resubscribed") loadFollowUps();
    });
  }

  /* --- conversation ----------------------------------------------------- */
  var conversationId = null;
  var state = null;

  function addEntry(entry) {
    if (entry.id && document.querySelector('[data-id="' + entry.id + '"]')) return;
    var role = entry.role;
    var bubble = make("div", null, "entry entry-" + role);
    if (entry.id) bubble.setAttribute("data-id", entry.id);
    var who = role === "agent" ? ((entry.meta || {}).agent || entry.agent || "agent") : role;
    bubble.appendChild(make("span", who, "who"));
    bubble.appendChild(make("span", entry.text, "text"));
    var messageId = entry.id || (entry.meta || {}).message_id;
    var failed = messageId && state && state.delivery && state.delivery.undelivered[messageId];
    if (failed) {
      bubble.classList.add("undelivered");
      bubble.appendChild(make("span", "Not delivered: " + (DELIVERY_PROBLEMS[failed.reason] || failed.reason), "delivery-problem"));
    }
    $("transcript").appendChild(bubble);
    $("transcript").scrollTop = $("transcript").scrollHeight;
  }

  /* Why a message never reached the customer, in the agent's words (bot/channels/dispatch.py). */
  var DELIVERY_PROBLEMS = {
    unreachable: "the customer blocked the bot",
    expired: "the channel was down for too long",
    rejected: "the channel refused the message"
  };

  function renderDelivery(delivery) {
    var box = $("delivery"), unreachable = delivery && delivery.unreachable;
    box.hidden = !unreachable;
    box.textContent = unreachable ? "Unreachable: the customer blocked the bot on this channel. " +
      "Messages are not delivered until they write again." : "";
  }

  /* A list; an item is text, or a node built already (an answer's links). */
  function list(title, items) {
    var block = make("div"); block.appendChild(make("h3", title));
    var ul = make("ul");
    items.forEach(function (item) { ul.appendChild(typeof item === "string" ? make("li", item) : item); });
    block.appendChild(ul); return block;
  }

  /* Markdown as the server parsed it (bot/rendering.py): text, bold, links and breaks as DOM nodes, never HTML. */
  function segmentsNode(tag, segments, fallback) {
    var node = make(tag);
    if (!segments || !segments.length) { node.textContent = fallback || ""; return node; }
    segments.forEach(function (segment) {
      if (segment["break"]) { node.appendChild(make("br")); return; }
      var part = document.createTextNode(segment.text);
      if (segment.href && /^(https:|mailto:|tel:)/.test(segment.href)) {
        part = make("a", segment.text); part.href = segment.href; part.target = "_blank"; part.rel = "noopener noreferrer";
      }
      if (segment.bold) { var strong = make("strong"); strong.appendChild(part); part = strong; }
      node.appendChild(part);
    });
    return node;
  }

  /* How the customer was proven, beside the name: an agent never mistakes a claim for a proof. */
  var PROOF_LABELS = {
    store_login: "verified: signed in at the shop",
    code: "verified: one-time code by email",
    order: "verified: one order (number + email)",
    none: "not verified"
  };

  function identityLabel(identity, customer) {
    var proof = (identity && identity.proof) || (customer && customer.proof) || "none";
    var name = (identity && identity.name) || (customer && customer.name) || "Name unknown";
    var label = PROOF_LABELS[proof] || PROOF_LABELS.none;
    if (proof === "order" && identity && identity.order_number) label = "verified: order #" + identity.order_number + " only";
    return name + " · " + label;
  }

  function identityBadge(identity, customer) {
    var badge = make("span", identityLabel(identity, customer), "identity");
    badge.setAttribute("data-proof", (identity && identity.proof) || (customer && customer.proof) || "none");
    return badge;
  }

  function renderSummary(handoff) {
    var box = $("summary"); box.textContent = "";
    if (!handoff) { box.appendChild(make("p", "The bot has this conversation.")); return; }
    var context = handoff.context || {};
    var summary = context.summary || {};
    var heading = make("h2", "Handed off: " + reasonLabel(handoff.reason) + (handoff.priority ? " (priority)" : "") +
      (handoff.agent ? " · with " + handoff.agent : " · waiting"));
    var reopened = checkInMark(handoff);
    if (reopened) heading.appendChild(reopened);
    heading.appendChild(languageBadge(handoff));
    box.appendChild(heading);
    if (context.interrupted_flow) box.appendChild(make("p", "Interrupted: " + context.interrupted_flow));
    box.appendChild(list("Customer asked", summary.customer_said || []));
    box.appendChild(list("Bot answered", (summary.bot_said || []).map(function (text, i) {
      return segmentsNode("li", ((state && state.bot_said) || [])[i], text);
    })));
    var details = summary.details || {};
    box.appendChild(list("Details given", Object.keys(details).map(function (k) { return k + ": " + details[k]; })));
    if (context.frustration) {
      box.appendChild(make("p", "Frustration " + context.frustration.score + ": " + (context.frustration.reasons || []).join(", ")));
    }
    var customer = context.customer || {};
    var card = $("customer"); card.textContent = "";
    var who = make("p"); who.appendChild(identityBadge(state.identity, customer));
    if (customer.returning) who.appendChild(document.createTextNode(" · returning customer"));
    card.appendChild(who);
    card.appendChild(list("Recent orders", (customer.recent_orders || []).map(function (o) {
      return "#" + o.number + " · " + o.status + " · " + o.placed_on + " · ₩" + o.total;
    })));
  }

  /* Who has the chat, in words: said through the status region whenever it changes. */
  function holder(handoff) {
    if (!handoff) return "The bot has this conversation.";
    if (handoff.state === "queued") return "Waiting in the queue for an agent.";
    return handoff.agent === me.name ? "You have this chat." : "With " + handoff.agent + ".";
  }

  /* Shows the controls this agent has now. A control that had the focus and went (Claim after claiming,
     the reply form after Resolve or Transfer) hands it on, as does a page just opened (focused null):
     to the reply box, to Claim, else to the summary that says who has the chat. */
  function renderControls(focused) {
    var handoff = state.handoff;
    var mine = handoff && handoff.state === "agent" && handoff.agent === me.name;
    $("claim").hidden = !(handoff && handoff.state === "queued");
    $("reply-form").hidden = !mine;
    if (shown(focused)) return;
    if (mine) $("reply").focus(); else if (!$("claim").hidden) $("claim").focus(); else $("summary").focus();
  }

  function insertReply(text) {
    var reply = $("reply");
    reply.setRangeText(text, reply.selectionStart, reply.selectionEnd, "end");
    reply.focus();
  }

  function loadAssist() {
    api("/console/api/conversations/" + encodeURIComponent(conversationId) + "/assist").then(function (data) {
      redraw($("assist"), function () { renderAssist(data.suggestions || []); });
    }).catch(function () { /* suggestions are optional */ });
  }

  function renderAssist(suggestions) {
    var ol = $("assist"); ol.textContent = "";
    suggestions.forEach(function (s, index) {
      var li = make("li"); li.appendChild(make("strong", s.question + " (" + Math.round(s.confidence * 100) + "%)"));
      li.appendChild(segmentsNode("p", s.segments, s.answer));
      li.appendChild(button("Insert", function () { insertReply(s.answer); },
        "Insert suggested answer: " + s.question, "assist:" + index));
      ol.appendChild(li);
    });
  }

  // first: the page just opened (after Claim in the queue, say): the focus goes to what the agent does next.
  function loadConversation(first) {
    var focused = first === true ? null : document.activeElement;
    return api("/console/api/conversations/" + encodeURIComponent(conversationId)).then(function (data) {
      var before = state && holder(state.handoff);
      state = data;
      $("title").textContent = data.conversation;
      renderSummary(data.handoff);
      renderDelivery(data.delivery);
      $("transcript").textContent = "";
      data.transcript.forEach(addEntry);
      var notes = $("notes"); notes.textContent = "";
      data.notes.forEach(function (n) { notes.appendChild(make("li", n.agent + ": " + n.text)); });
      var canned = $("canned"), chosen = canned.selectedIndex;
      canned.textContent = "";
      data.canned.forEach(function (c) { var o = make("option", c.title); o.value = c.text; canned.appendChild(o); });
      canned.selectedIndex = Math.min(Math.max(chosen, 0), canned.options.length - 1);
      $("canned-row").hidden = !data.canned.length;
      renderFollowUp(data.follow_up);
      renderControls(focused);
      var now = holder(data.handoff);
      if (before && before !== now) announce(now);
    });
  }

  function post(action, body) {
    showError("");
    return api("/console/api/conversations/" + encodeURIComponent(conversationId) + "/" + action, { method: "POST", body: body || {} })
      .catch(function (error) { showError(error.message); throw error; });
  }

  function conversationPage() {
    conversationId = decodeURIComponent(window.location.pathname.split("/").pop());
    $("claim").addEventListener("click", function () { post("claim").then(loadConversation); });
    // Choosing a canned reply (arrow keys move through the list) changes nothing; Insert puts it in the reply.
    $("insert-canned").addEventListener("click", function () { if ($("canned").value) insertReply($("canned").value); });
    $("reply-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("reply").value.trim(); if (!text) return;
      post("reply", { text: text }).then(function (message) {
        $("reply").value = ""; addEntry(message); $("reply").focus();
      });
    });
    $("resolve").addEventListener("click", function () { post("resolve").then(loadConversation); });
    followUpPage();
    $("transfer").addEventListener("click", function () { post("transfer", { agent: $("transfer-to").value }).then(loadConversation); });
    $("note-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("note").value.trim(); if (!text) return;
      post("notes", { text: text }).then(function () { $("note").value = ""; $("note").focus(); announce("Note added."); });
    });
    api("/console/api/agents").then(function (agents) {
      agents.filter(function (a) { return a.name !== me.name; }).forEach(function (a) {
        var o = make("option", a.display_name); o.value = a.name; $("transfer-to").appendChild(o);
      });
    });
    loadConversation(true).then(loadAssist).catch(function (error) { showError(error.message); });
    socket("?conversation=" + encodeURIComponent(conversationId), function (event) {
      if (event.type === "message") { addEntry(event); if (event.role === "customer") loadAssist(); }
      else if (event.type === "note") $("notes").appendChild(make("li", event.agent + ": " + event.text));
      else if (event.type === "queue" && event.conversation === conversationId) loadConversation();
      else if ((event.type === "undelivered" || event.type === "unreachable") && event.conversation === conversationId) loadConversation();
      // Redis restarted: what was published meanwhile is only in the stored conversation.
      else if (event.type === "resubscribed") loadConversation();
    });
  }

  function start() {
    if ($("login-form")) { loginPage(); return; }
    api("/console/api/me").then(function (data) {
      me = data;
      if ($("queued")) queuePage(); else conversationPage();
    });
  }

  start();
})();
