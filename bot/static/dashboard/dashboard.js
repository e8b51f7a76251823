/* Maru feedback dashboard. Customer text (comments, questions) is inserted with textContent, never as HTML. */
(function () {
  "use strict";
  var CHARTS = ["csat", "nps", "handoffs", "faqs"];
  var FILTERS = ["from", "to", "channel", "language"];
  var loads = 0;
  var csrf = "";

  function $(id) { return document.getElementById(id); }
  function make(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function percent(share) { return share === null || share === undefined ? "–" : Math.round(share * 100) + " %"; }
  function count(number, noun) { return number + " " + noun + (number === 1 ? "" : "s"); }
  function seconds(value) {
    if (value === null || value === undefined) return "–";
    var total = Math.round(value);
    return total < 60 ? total + " s" : Math.floor(total / 60) + " min " + (total % 60) + " s";
  }

  function getJson(path) {
    return fetch(path, { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) { window.location = "/console/login"; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || ("request failed: " + response.status));
        return data;
      });
    });
  }

  /* Filters as a query string: from the form, or (first load) from the page's own address. */
  function formQuery() {
    var params = new URLSearchParams();
    FILTERS.forEach(function (name) { if ($(name).value) params.set(name, $(name).value); });
    return params;
  }

  function showFilters(filters, languages) {
    var select = $("language");
    select.textContent = "";
    select.appendChild(new Option("All languages", "all"));
    languages.forEach(function (code) { select.appendChild(new Option(code, code)); });
    FILTERS.forEach(function (name) { $(name).value = filters[name]; });
  }

  function fillTable(id, rows, cells) {
    var body = $(id).querySelector("tbody");
    body.textContent = "";
    if (!rows.length) {
      var empty = make("td", "Nothing in this range", "empty");
      empty.colSpan = $(id).querySelectorAll("th").length;
      body.appendChild(make("tr")).appendChild(empty);
      return;
    }
    rows.forEach(function (row) {
      var tr = make("tr");
      cells(row).forEach(function (value) { tr.appendChild(make("td", value)); });
      body.appendChild(tr);
    });
  }

  function showFigures(data) {
    $("csat-share").textContent = percent(data.csat.share);
    $("csat-note").textContent = count(data.csat.ratings, "rating") + " · happy " + data.csat.counts["3"] +
      " · neutral " + data.csat.counts["2"] + " · unhappy " + data.csat.counts["1"];
    var nps = data.nps;
    $("nps-score").textContent = nps.score === null ? "–" : (nps.score > 0 ? "+" : "") + Math.round(nps.score);
    $("nps-note").textContent = count(nps.promoters, "promoter") + " · " + count(nps.passives, "passive") + " · " +
      count(nps.detractors, "detractor");
    var contained = data.containment;
    // A session counts once it has closed (30 quiet minutes): say how many are still open.
    var open = count(data.open_sessions, "session") + " still open (each counts 30 min after its last message)";
    $("containment").textContent = percent(contained.rate);
    $("containment-note").textContent = (contained.sessions ? contained.contained + " of " +
      count(contained.sessions, "closed session") + " · " : "No session closed yet · ") + open + " · " +
      contained.reopened + " reopened within 24 h";
    $("handoff-rate").textContent = percent(data.handoffs.rate);
    $("handoff-note").textContent = count(data.handoffs.total, "handoff");
    $("wait-median").textContent = seconds(data.queue_wait.median_seconds);
    $("wait-note").textContent = "p90 " + seconds(data.queue_wait.p90_seconds) + " · " + count(data.queue_wait.count, "wait");
  }

  /* Check-ins after agents' chats: how many customers said it was not sorted, of those asked. */
  function showCheckIns(checkIns) {
    $("check-in-reopened").textContent = checkIns.reopened;
    $("check-in-note").textContent = percent(checkIns.reopened_rate) + " of " + checkIns.sent + " check-ins sent · " +
      checkIns.sorted + " sorted · " + checkIns.question + " new questions";
  }

  function showTables(data) {
    var rated = data.csat_daily.filter(function (d) { return d.counts["1"] + d.counts["2"] + d.counts["3"] > 0; });
    fillTable("csat-days", rated, function (d) {
      return [d.day, d.counts["1"], d.counts["2"], d.counts["3"], d.counts["1"] + d.counts["2"] + d.counts["3"]];
    });
    fillTable("faqs", data.faqs, function (f) {
      return [f.question ? f.question + " (" + f.faq_id + ")" : f.faq_id, f.up, f.down, percent(f.ratio), f.volume];
    });
    fillTable("unanswered", data.unanswered, function (u) { return [u.question, u.count]; });
    fillTable("handoffs", data.handoffs.by_reason, function (h) { return [h.reason, h.count, percent(h.rate)]; });
    fillTable("frustration", data.frustration, function (f) { return [f.name, f.count]; });
    fillTable("categories", data.comment_categories, function (c) { return [c.name, c.count]; });
    fillTable("agents", data.csat_by_agent, function (a) { return [a.agent, a.ratings, percent(a.share)]; });
  }

  function showComments(comments) {
    var list = $("comments");
    list.textContent = "";
    if (!comments.length) list.appendChild(make("li", "No comments in this range", "empty"));
    comments.forEach(function (c) {
      var item = make("li");
      var about = [c.time.replace("T", " ").slice(0, 16), c.channel, c.language, c.category];
      if (c.agent) about.push("agent " + c.agent);
      item.appendChild(make("span", about.join(" · "), "meta"));
      item.appendChild(make("p", c.comment, "text"));
      list.appendChild(item);
    });
  }

  function showCharts(query, texts) {
    loads += 1;
    CHARTS.forEach(function (name) {
      $("chart-" + name).alt = texts[name];
      // The counter only makes the browser fetch again when the filters did not change.
      $("chart-" + name).src = "/dashboard/charts/" + name + ".svg?" + query + "&n=" + loads;
    });
    $("export-ratings").href = "/dashboard/export/ratings.csv?" + query;
    $("export-conversations").href = "/dashboard/export/conversations.csv?" + query;
  }

  function load(params) {
    $("error").textContent = "";
    getJson("/dashboard/api/summary?" + params.toString()).then(function (data) {
      showFilters(data.filters, data.options.languages);
      var query = formQuery().toString();
      window.history.replaceState(null, "", "/dashboard?" + query);
      showFigures(data);
      showCheckIns(data.check_ins);
      showTables(data);
      showComments(data.comments);
      showCharts(query, data.chart_texts);
      // Said by screen readers: the figures changed under the filters.
      var f = data.filters;
      $("status").textContent = "Showing " + f.from + " to " + f.to + ", " +
        (f.channel === "all" ? "all channels" : f.channel) + ", " + (f.language === "all" ? "all languages" : f.language) + ".";
    }).catch(function (error) { $("error").textContent = error.message; });
  }

  $("filters").addEventListener("submit", function (event) {
    event.preventDefault();
    load(formQuery());
  });
  $("logout").addEventListener("click", function () {
    fetch("/console/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
      .then(function () { window.location = "/console/login"; });
  });
  getJson("/console/api/me").then(function (me) { csrf = me.csrf; $("who").textContent = me.display_name; });
  load(new URLSearchParams(window.location.search));
})();
