/* Maru knowledge-base editor. Texts from the knowledge files are inserted with textContent only. */
(function () {
  "use strict";
  var me = null;
  var current = null;
  // The language being edited (data/languages.yml); every FAQ call carries it.
  var language = "en";
  var languageNames = {};

  function $(id) { return document.getElementById(id); }
  function make(tag, text) { var node = document.createElement(tag); if (text !== undefined) node.textContent = String(text); return node; }
  function button(label, onClick) { var b = make("button", label); b.type = "button"; b.addEventListener("click", onClick); return b; }

  function inLanguage(path, code) {
    return path + (path.indexOf("?") < 0 ? "?" : "&") + "language=" + encodeURIComponent(code || language);
  }

  function api(path, body) {
    var options = { credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": me ? me.csrf : "" } };
    if (body !== undefined) { options.method = "POST"; options.body = JSON.stringify(body); }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401) window.location = "/console/login";
        if (!response.ok) { var error = new Error(data.error || "request failed"); error.reasons = data.reasons || []; throw error; }
        return data;
      });
    });
  }

  function report(text, reasons) {
    $("status").textContent = text || "";
    var list = $("reasons"); list.textContent = "";
    (reasons || []).forEach(function (r) { list.appendChild(make("li", r)); });
  }

  function fail(error) { report(error.message, error.reasons); }

  function search() {
    api(inLanguage("/editor/api/faqs?q=" + encodeURIComponent($("search").value))).then(function (faqs) {
      var list = $("results"); list.textContent = "";
      faqs.forEach(function (f) {
        var item = make("li", f.id + " · " + f.question);
        item.addEventListener("click", function () { open(f.id); });
        list.appendChild(item);
      });
    }).catch(fail);
  }

  function open(id) {
    api(inLanguage("/editor/api/faqs/" + encodeURIComponent(id))).then(function (faq) {
      current = faq;
      $("detail").hidden = false;
      $("faq-title").textContent = faq.question;
      $("faq-meta").textContent = faq.id + " · " + faq.topic + " · " + (languageNames[faq.language] || faq.language) + " · " + faq.phrasings.length + " phrasings";
      renderTranslations(faq);
      $("answer").value = faq.answer;
      var list = $("phrasings"); list.textContent = "";
      faq.phrasings.forEach(function (p) {
        var item = make("li"); item.appendChild(make("span", p));
        item.appendChild(moveControl(p));
        item.appendChild(button("Remove", function () { change("/phrasings/remove", { text: p }, "Phrasing removed; it takes effect after retraining."); }));
        list.appendChild(item);
      });
    }).catch(fail);
  }

  // The FAQ in its other languages, next to the one being edited; a missing one is flagged.
  function renderTranslations(faq) {
    var box = $("translations"); box.textContent = "";
    Object.keys(faq.translations || {}).forEach(function (code) {
      var other = faq.translations[code];
      var part = make("section"); part.lang = code; part.className = "translation";
      part.appendChild(make("h3", languageNames[code] || code));
      if (!other) {
        part.appendChild(make("p", "Missing: this FAQ has no " + (languageNames[code] || code) + " version yet, so those customers never get it.")).className = "missing";
      } else {
        part.appendChild(make("p", other.question)).className = "question";
        part.appendChild(make("p", other.answer)).className = "answer";
        part.appendChild(make("p", other.phrasings.length + " phrasings"));
      }
      part.appendChild(button(other ? "Edit in " + (languageNames[code] || code) : "Switch to " + (languageNames[code] || code), function () {
        switchLanguage(code, other ? faq.id : null);
      }));
      box.appendChild(part);
    });
  }

  function switchLanguage(code, openId) {
    language = code;
    $("language").value = code;
    document.documentElement.lang = code;
    search(); loadCatalogue(); loadInbox();
    if (openId) open(openId); else $("detail").hidden = true;
  }

  function moveControl(phrasing) {
    var form = make("form"); form.className = "move";
    var target = make("input"); target.setAttribute("list", "faq-ids");
    target.setAttribute("aria-label", "Move '" + phrasing + "' to FAQ"); target.placeholder = "move to FAQ id";
    var submit = make("button", "Move"); submit.type = "submit";
    form.appendChild(target); form.appendChild(submit);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      change("/phrasings/move", { text: phrasing, to: target.value.trim() }, "Phrasing moved to " + target.value.trim() + " and live there; retraining in the background takes it into the model.");
    });
    return form;
  }

  function loadCatalogue() {
    api(inLanguage("/editor/api/faqs?q=")).then(function (faqs) {
      var ids = $("faq-ids"); ids.textContent = "";
      var topics = {};
      faqs.forEach(function (f) { var o = make("option"); o.value = f.id; ids.appendChild(o); topics[f.topic] = true; });
      var box = $("notice-topics"); box.querySelectorAll("label").forEach(function (l) { l.remove(); });
      Object.keys(topics).sort().forEach(function (t) {
        var label = make("label"); var tick = make("input"); tick.type = "checkbox"; tick.value = t;
        label.appendChild(tick); label.appendChild(document.createTextNode(" " + t)); box.appendChild(label);
      });
    }).catch(fail);
  }

  function isoWithZone(local) { return new Date(local).toISOString().replace("Z", "+00:00"); }

  function loadNotices() {
    api("/editor/api/notices").then(function (notices) {
      var list = $("notices"); list.textContent = "";
      notices.forEach(function (n) {
        var item = make("li"); item.appendChild(make("p", n.text));
        item.appendChild(make("small", n.topics.join(", ") + " · " + new Date(n.starts * 1000).toLocaleString() + " → " + new Date(n.ends * 1000).toLocaleString() + " · " + n.author + " "));
        item.appendChild(button("Withdraw", function () {
          api("/editor/api/notices/" + encodeURIComponent(n.id) + "/withdraw", {}).then(function () { report("Notice withdrawn."); loadNotices(); }).catch(fail);
        }));
        list.appendChild(item);
      });
    }).catch(fail);
  }

  function publishNotice(event) {
    event.preventDefault();
    var topics = Array.prototype.map.call($("notice-topics").querySelectorAll("input:checked"), function (t) { return t.value; });
    var starts = $("notice-starts").value, ends = $("notice-ends").value;
    api("/editor/api/notices", { text: $("notice-text").value, topics: topics, language: language,
      starts: starts ? isoWithZone(starts) : "", ends: ends ? isoWithZone(ends) : "" })
      .then(function () { report("Notice published."); $("notice-form").reset(); loadNotices(); })
      .catch(fail);
  }

  function change(suffix, body, done) {
    api(inLanguage("/editor/api/faqs/" + encodeURIComponent(current.id) + suffix), body)
      .then(function (c) { report(done, c.warnings); open(current.id); loadChanges(); })
      .catch(fail);
  }

  function loadChanges() {
    api("/editor/api/changes").then(function (changes) {
      var list = $("changes"); list.textContent = "";
      changes.slice(0, 20).forEach(function (c) {
        var item = make("li", new Date(c.ts * 1000).toLocaleString() + " · " + c.editor + " · " + c.operation + " · " + c.language + "/" + c.faq_id + " ");
        item.appendChild(button("Roll back", function () {
          api("/editor/api/changes/" + c.id + "/rollback", {}).then(function () { report("Rolled back."); loadChanges(); }).catch(fail);
        }));
        list.appendChild(item);
      });
    }).catch(fail);
  }

  function loadTraining() {
    api("/editor/api/training").then(function (t) {
      $("training-progress").value = Number(t.progress || 0);
      var text = t.state ? "Training: " + t.state : "No training yet";
      if (t.state === "unchanged") text = "Nothing to retrain: the live model was trained on the training data as it is now";
      if (t.accuracy_after) text += " · FAQ accuracy " + Math.round(t.accuracy_before * 1000) / 10 + "% → " + Math.round(t.accuracy_after * 1000) / 10 + "%";
      if (t.error) text += " · " + t.error;
      $("training-state").textContent = text;
      $("training-log").textContent = (t.log || []).slice(-30).join("\n");
    }).catch(function () { /* the status is informative only */ });
  }

  function loadInbox() {
    api(inLanguage("/editor/api/inbox")).then(function (groups) {
      var list = $("inbox"); list.textContent = "";
      groups.forEach(function (g) {
        var item = make("li"); item.appendChild(make("strong", g.text + " (" + g.count + "×)"));
        if (g.variants.length) item.appendChild(make("p", "Also: " + g.variants.join(" · "))).className = "variants";
        var wordings = [g.text].concat(g.variants);
        g.suggestions.forEach(function (s) {
          item.appendChild(button("Add as phrasing of " + s.faq_id, function () {
            api(inLanguage("/editor/api/faqs/" + encodeURIComponent(s.faq_id) + "/phrasings"), { text: g.text })
              .then(function () { return api("/editor/api/inbox/dismiss", { texts: wordings }); })
              .then(function () { report("Added to " + s.faq_id + " and live; retraining in the background takes it into the model."); loadInbox(); loadChanges(); })
              .catch(fail);
          }));
        });
        item.appendChild(button("New FAQ from it", function () {
          $("new-question").value = g.text; $("new-phrasings").value = wordings.join("\n"); $("new-topic").focus();
        }));
        item.appendChild(button("Dismiss", function () {
          api("/editor/api/inbox/dismiss", { texts: wordings }).then(loadInbox).catch(fail);
        }));
        list.appendChild(item);
      });
    }).catch(fail);
  }

  function addFaq(event) {
    event.preventDefault();
    var phrasings = $("new-phrasings").value.split("\n").map(function (p) { return p.trim(); }).filter(Boolean);
    api(inLanguage("/editor/api/faqs"), { topic: $("new-topic").value, id: $("new-id").value, question: $("new-question").value,
      answer: $("new-answer").value, phrasings: phrasings })
      .then(function (c) { report("FAQ added and live; retraining in the background takes it into the model.", c.warnings); loadChanges(); loadInbox(); loadCatalogue(); })
      .catch(fail);
  }

  function start() {
    api("/console/api/me").then(function (data) {
      me = data;
      $("who").textContent = data.display_name + " (" + data.role + ")";
      $("search-form").addEventListener("submit", function (e) { e.preventDefault(); search(); });
      $("save-answer").addEventListener("click", function () { change("/answer", { answer: $("answer").value }, "Saved. The new answer is live."); });
      $("retire").addEventListener("click", function () { if (window.confirm("Retire this FAQ?")) change("/retire", {}, "Retired."); });
      $("phrasing-form").addEventListener("submit", function (e) {
        e.preventDefault();
        change("/phrasings", { text: $("new-phrasing").value }, "Phrasing added and live; retraining in the background takes it into the model.");
        $("new-phrasing").value = "";
      });
      $("preview-form").addEventListener("submit", function (e) {
        e.preventDefault();
        api("/editor/api/preview?q=" + encodeURIComponent($("preview").value)).then(function (p) {
          var text = "Intent " + p.intent + " (" + Math.round(p.intent_confidence * 100) + "%)";
          if (p.faq) text += " · FAQ " + p.faq.faq_id + " (" + Math.round(p.faq.confidence * 100) + "%)";
          if (p.runner_up) text += " · runner-up " + p.runner_up.faq_id + " (" + Math.round(p.runner_up.confidence * 100) + "%)";
          $("preview-result").textContent = text;
        }).catch(fail);
      });
      $("new-faq").addEventListener("submit", addFaq);
      $("language").addEventListener("change", function () {
        var code = $("language").value;
        switchLanguage(code, current && current.translations && current.translations[code] ? current.id : null);
      });
      $("notice-form").addEventListener("submit", publishNotice);
      return api("/editor/api/languages");
    }).then(function (codes) {
      var select = $("language"); select.textContent = "";
      codes.forEach(function (l) { languageNames[l.code] = l.name; var o = make("option", l.name); o.value = l.code; select.appendChild(o); });
      select.value = language;
      search();
      loadCatalogue();
      loadNotices();
      loadChanges();
      loadInbox();
      loadTraining();
      setInterval(loadTraining, 2000);
    });
  }

  start();
})();
