/* The console's list of check-ins: scheduled, sent and answered, with how the reply was read. */
(function () {
  "use strict";
  var STATES = { scheduled: "scheduled", sent: "sent, no reply yet", answered: "answered", replaced: "replaced by a later chat's" };
  var OUTCOMES = { sorted: "all sorted: closed with thanks", reopened: "problem: back in the queue", question: "new question: answered by the bot" };

  function make(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function when(seconds) {
    return seconds ? new Date(seconds * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
  }

  function row(c) {
    var tr = make("tr"); tr.setAttribute("data-conversation", c.conversation);
    var who = make("th"); who.scope = "row";
    var link = make("a", c.customer ? c.customer + " (" + c.conversation + ")" : c.conversation);
    link.href = "/console/conversations/" + encodeURIComponent(c.conversation);
    who.appendChild(link); tr.appendChild(who);
    tr.appendChild(make("td", c.agent_name || c.agent));
    tr.appendChild(make("td", when(c.due)));
    tr.appendChild(make("td", (STATES[c.state] || c.state) + (c.sent_at ? " · sent " + when(c.sent_at) : "")));
    tr.appendChild(make("td", c.outcome ? (OUTCOMES[c.outcome] || c.outcome) + " · " + when(c.answered_at) : ""));
    return tr;
  }

  fetch("/console/api/check-ins", { credentials: "same-origin" })
    .then(function (response) {
      if (response.status === 401) { window.location = "/console/login"; }
      if (!response.ok) throw new Error("The check-ins could not be loaded (" + response.status + ").");
      return response.json();
    })
    .then(function (data) {
      var body = document.querySelector("#check-ins tbody");
      data.check_ins.forEach(function (c) { body.appendChild(row(c)); });
      if (!data.check_ins.length) document.getElementById("empty").textContent = "No check-ins in the last 30 days.";
    })
    .catch(function (error) { document.getElementById("error").textContent = error.message; });
})();
