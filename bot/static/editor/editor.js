/* Maru knowledge-base editor. Texts from the knowledge files are inserted with textContent only.
 *
 * Every change to an FAQ sends the version the page read: if someone changed the FAQ meanwhile the
 * server answers 409 and the page shows their change beside the editor's own, to merge or overwrite
 * knowingly. Messages appear in the feedback box next to the control that caused them, announced to
 * screen readers (role=status, role=alert for problems), and focus moves there after a save. */
(function () {
  "use strict";
  var me = null;
  var current = null;
  // The language being edited (data/languages.yml); every FAQ call carries it.
  var language = "en";
  var languageNames = {};
  var limits = {};
  var changesQuery = { faq: "", editor: "" };
  var oldestShown = null;
  var editingNotice = null;

  function $(id) { return document.getElementById(id); }
  function make(tag, text) { var node = document.createElement(tag); if (text !== undefined) node.textContent = String(text); return node; }
  function button(label, onClick) { var b = make("button", label); b.type = "button"; b.addEventListener("click", onClick); return b; }
  function when(ts) { return new Date(ts * 1000).toLocaleString(); }

  function inLanguage(path, code) {
    return path + (path.indexOf("?") < 0 ? "?" : "&") + "language=" + encodeURIComponent(code || language);
  }

  function faqPath(id) { return "/editor/api/faqs/" + encodeURIComponent(id); }

  function api(path, body) {
    var options = { credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": me ? me.csrf : "" } };
    if (body !== undefined) { options.method = "POST"; options.body = JSON.stringify(body); }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401) window.location = "/console/login";
        if (!response.ok) {
          var error = new Error(data.error || "request failed");
          error.status = response.status; error.data = data; error.reasons = data.reasons || [];
          throw error;
        }
        return data;
      });
    });
  }

  // --- Messages next to the control: a status region and an alert region in each feedback box.

  function feedbackBox(target) {
    var box = typeof target === "string" ? $(target) : target;
    if (!box.firstChild) {
      ["status", "alert"].forEach(function (role) {
        var region = make("div"); region.setAttribute("role", role); region.tabIndex = -1;
        region.className = role === "alert" ? "problem" : "note";
        box.appendChild(region);
      });
    }
    return box;
  }

  function newFeedbackBox() { var box = make("div"); box.className = "feedback"; return feedbackBox(box); }

  function list(into, items, className) {
    if (!items || !items.length) return;
    var ul = make("ul"); ul.className = className;
    items.forEach(function (text) { ul.appendChild(make("li", text)); });
    into.appendChild(ul);
  }

  // Shows a message in a feedback box; options: problem (an error or a question), reasons, warnings,
  // actions ([{label, run}]), focus (default true). Returns the region written to.
  function say(target, text, options) {
    options = options || {};
    var box = feedbackBox(target), note = box.children[0], problem = box.children[1];
    note.textContent = ""; problem.textContent = "";
    var region = options.problem ? problem : note;
    region.appendChild(make("p", text));
    list(region, options.reasons, "reasons");
    list(region, options.warnings, "warnings");
    if (options.actions && options.actions.length) {
      var row = make("div"); row.className = "row";
      options.actions.forEach(function (a) { row.appendChild(button(a.label, a.run)); });
      region.appendChild(row);
    }
    if (options.focus !== false) region.focus();
    return region;
  }

  function quiet(target) { var box = feedbackBox(target); box.children[0].textContent = ""; box.children[1].textContent = ""; }

  function failIn(target) { return function (error) { say(target, error.message, { problem: true, reasons: error.reasons }); }; }

  function renderDiff(segments, into) {
    (segments || []).forEach(function (segment) {
      var op = segment[0], text = segment[1];
      if (op === "insert") into.appendChild(make("ins", text));
      else if (op === "delete") into.appendChild(make("del", text));
      else into.appendChild(document.createTextNode(text));
    });
    return into;
  }

  // --- Search and the open FAQ.

  function search() {
    return api(inLanguage("/editor/api/faqs?q=" + encodeURIComponent($("search").value))).then(function (faqs) {
      var results = $("results"); results.textContent = "";
      faqs.forEach(function (f) {
        // A real button: Tab reaches it, Enter and Space open the FAQ.
        var item = make("li");
        item.appendChild(button(f.id + " · " + f.question, function () { openFromList(f.id); })).className = "result";
        results.appendChild(item);
      });
      say("search-feedback", faqs.length === 1 ? "1 FAQ found." : faqs.length + " FAQs found.", { focus: false });
    }).catch(failIn("search-feedback"));
  }

  // Loads an FAQ into the form; focus goes to its heading unless options.focus is false.
  function open(id, options) {
    options = options || {};
    return api(inLanguage(faqPath(id))).then(function (faq) {
      current = faq;
      limits = faq.limits || limits;
      hideConflict();
      $("detail").hidden = false;
      $("faq-title").textContent = faq.question;
      $("faq-meta").textContent = faq.id + " · " + faq.topic + " · " + (languageNames[faq.language] || faq.language) + " · " + faq.phrasings.length + " phrasings";
      renderTranslations(faq);
      $("answer").value = faq.answer;
      countAnswer();
      var phrasings = $("phrasings"); phrasings.textContent = "";
      faq.phrasings.forEach(function (p) {
        var item = make("li"); item.appendChild(make("span", p));
        item.appendChild(moveControl(p));
        item.appendChild(button("Remove", function () {
          faqChange("/phrasings/remove", { text: p }, "Phrasing removed; it takes effect after retraining.", "phrasings-feedback",
            "remove the phrasing ‘" + p + "’");
        })).setAttribute("aria-label", "Remove ‘" + p + "’");
        phrasings.appendChild(item);
      });
      ["answer-feedback", "phrasings-feedback", "new-phrasing-feedback"].forEach(quiet);
      if (options.focus !== false) $("faq-title").focus();
      return faq;
    });
  }

  function openFromList(id) { return open(id).catch(failIn("search-feedback")); }

  function countAnswer() {
    var max = limits.answer, length = $("answer").value.trim().length;
    var text = max ? length + " of " + max + " characters" : length + " characters";
    if (max && length > max) text += ": " + (length - max) + " too many";
    $("answer-chars").textContent = text;
    $("answer-chars").classList.toggle("over", Boolean(max && length > max));
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
    if (openId) openFromList(openId); else { $("detail").hidden = true; current = null; }
  }

  function moveControl(phrasing) {
    var form = make("form"); form.className = "move";
    var target = make("input"); target.setAttribute("list", "faq-ids");
    target.setAttribute("aria-label", "Move '" + phrasing + "' to FAQ"); target.placeholder = "move to FAQ id";
    var submit = make("button", "Move"); submit.type = "submit";
    submit.setAttribute("aria-label", "Move ‘" + phrasing + "’");
    form.appendChild(target); form.appendChild(submit);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var to = target.value.trim();
      faqChange("/phrasings/move", { text: phrasing, to: to },
        "Phrasing moved to " + to + " and live there; retraining in the background takes it into the model.",
        "phrasings-feedback", "move the phrasing ‘" + phrasing + "’ to " + to);
    });
    return form;
  }

  // --- Saving: one path for every change, with the conflict view and the near-duplicate question.

  // action: url, body, where (feedback box), saved(change) -> promise; version (the FAQ's, if any),
  // mine (the change in words, for the conflict view), answer (true: the body's answer can be merged).
  function send(action) {
    var body = Object.assign({}, action.body);
    if (action.version) body.version = action.version;
    if (action.confirmed) body.confirm = true;
    return api(action.url, body).then(function (change) {
      hideConflict();
      return action.saved(change);
    }, function (error) {
      if (error.status === 409 && error.data.conflict) return showConflict(action, error.data);
      if (error.data && error.data.confirm) {
        say(action.where, error.message, { problem: true, reasons: error.data.confirm, actions: [
          { label: "Save anyway", run: function () { send(Object.assign({}, action, { confirmed: true })); } },
          { label: "Don't save", run: function () { say(action.where, "Not saved."); } },
        ] });
        return;
      }
      say(action.where, error.message, { problem: true, reasons: error.reasons });
    });
  }

  // A change to the open FAQ: sent with its version; afterwards the form shows what is live and the
  // message (with an undo) is next to the control.
  function faqChange(suffix, body, done, where, mine, answer) {
    var id = current.id;
    return send({
      url: inLanguage(faqPath(id) + suffix), body: body, version: current.version, where: where, mine: mine, answer: answer,
      saved: function (change) {
        loadChanges();
        var undo = change.number ? [undoAction(change, where)] : [];
        if (change.operation === "retire_faq") {
          hideDetail();
          say("search-feedback", done, { warnings: change.warnings, actions: [undoAction(change, "search-feedback")] });
          return;
        }
        return open(id, { focus: false }).then(function () { say(where, done, { warnings: change.warnings, actions: undo }); });
      },
    });
  }

  function hideDetail() { current = null; $("detail").hidden = true; }

  function undoAction(change, where) {
    return { label: "Undo (roll back #" + change.number + ")", run: function () { rollback(change, function () { return where; }); } };
  }

  function hideConflict() { var view = $("conflict"); view.hidden = true; view.textContent = ""; }

  // Someone changed the FAQ since it was opened: their changes and what is live now beside the
  // editor's own change, to merge (answers) and save over theirs, or to keep theirs.
  function showConflict(action, data) {
    var conflict = data.conflict, view = $("conflict"), live = conflict.faq;
    view.textContent = "";
    var where = typeof action.where === "string" ? $(action.where) : action.where;
    where.parentNode.insertBefore(view, where.nextSibling);
    quiet(action.where);
    var title = make("h3", "Changed by someone else since you opened it"); title.id = "conflict-title"; title.tabIndex = -1;
    view.appendChild(title);
    view.appendChild(make("p", data.error)).setAttribute("role", "alert");
    if (conflict.changes.length) {
      var theirs = make("ol"); theirs.className = "changes";
      conflict.changes.forEach(function (c) { theirs.appendChild(changeSummary(c)); });
      view.appendChild(theirs);
    } else {
      view.appendChild(make("p", "It was changed in the knowledge files, outside the editor (for example in git)."));
    }
    var sides = make("div"); sides.className = "sides";
    var left = make("section"); left.className = "theirs";
    left.appendChild(make("h4", "Live now"));
    if (live) {
      left.appendChild(make("p", live.answer)).className = "answer";
      if (!action.answer) left.appendChild(phrasingChanges(current ? current.phrasings : [], live.phrasings));
    } else {
      left.appendChild(make("p", "Retired: this FAQ is no longer in the knowledge base. The change log can roll the retirement back."));
    }
    var right = make("section"); right.className = "mine";
    right.appendChild(make("h4", "Your change"));
    var mine = null;
    if (action.answer) {
      var label = make("label", "Your text (edit it to merge, then save)"); label.htmlFor = "conflict-mine";
      mine = make("textarea"); mine.id = "conflict-mine"; mine.rows = 8; mine.value = action.body.answer;
      right.appendChild(label); right.appendChild(mine);
    } else {
      right.appendChild(make("p", action.mine));
    }
    sides.appendChild(left); sides.appendChild(right);
    view.appendChild(sides);
    var row = make("div"); row.className = "row";
    if (live) {
      row.appendChild(button(action.answer ? "Save my text over theirs" : "Apply my change anyway", function () {
        var body = action.answer ? Object.assign({}, action.body, { answer: mine.value }) : action.body;
        send(Object.assign({}, action, { body: body, version: conflict.version }));
      }));
    }
    row.appendChild(button("Keep theirs", function () {
      var reload = live ? open(live.id, { focus: false }) : Promise.resolve(hideDetail());
      reload.then(function () {
        say(live ? action.where : "search-feedback", "Kept what is live; your change was not saved.");
      }).catch(failIn("search-feedback"));
    }));
    view.appendChild(row);
    view.hidden = false;
    title.focus();
  }

  // The phrasings live now, marking those added (ins) and removed (del) since the page read them.
  function phrasingChanges(read, live) {
    var ul = make("ul"); ul.className = "phrasing-changes";
    ul.setAttribute("aria-label", "Phrasings live now");
    live.forEach(function (p) {
      var item = make("li");
      item.appendChild(read.indexOf(p) < 0 ? make("ins", p) : document.createTextNode(p));
      ul.appendChild(item);
    });
    read.filter(function (p) { return live.indexOf(p) < 0; }).forEach(function (p) {
      ul.appendChild(make("li")).appendChild(make("del", p));
    });
    return ul;
  }

  // --- Change log.

  function changeSummary(c) {
    var item = make("li"); item.className = "change"; item.dataset.number = c.number;
    var meta = make("p"); meta.className = "meta";
    meta.appendChild(make("strong", "#" + c.number));
    meta.appendChild(document.createTextNode(" · "));
    meta.appendChild(make("span", c.kind)).className = "kind";
    meta.appendChild(document.createTextNode(" · " + c.language + "/" + c.faq_id + " · " + c.editor + " · "));
    var time = make("time", when(c.ts)); time.dateTime = new Date(c.ts * 1000).toISOString();
    meta.appendChild(time);
    item.appendChild(meta);
    var diff = make("p"); diff.className = "diff";
    item.appendChild(renderDiff(c.diff, diff));
    list(item, c.warnings, "warnings");
    return item;
  }

  function changeEntry(c) {
    var item = changeSummary(c);
    item.tabIndex = -1;
    var box = newFeedbackBox();
    item.appendChild(button("Roll back #" + c.number, function () {
      rollback(c, function () {
        var again = document.querySelector("#changes li[data-number='" + c.number + "'] .feedback");
        return again || $("changes-feedback");
      });
    }));
    item.appendChild(box);
    return item;
  }

  function changesUrl(older) {
    var url = "/editor/api/changes?limit=20";
    if (changesQuery.faq) url += "&faq=" + encodeURIComponent(changesQuery.faq);
    if (changesQuery.editor) url += "&editor=" + encodeURIComponent(changesQuery.editor);
    if (older && oldestShown) url += "&before=" + oldestShown;
    return url;
  }

  // Loads the newest page of the log (or, with older, the next page after the one shown).
  function loadChanges(older) {
    return api(changesUrl(older)).then(function (page) {
      var entries = $("changes");
      if (!older) entries.textContent = "";
      var first = null;
      page.changes.forEach(function (c) { var item = changeEntry(c); entries.appendChild(item); first = first || item; });
      if (page.changes.length) oldestShown = page.changes[page.changes.length - 1].number;
      $("changes-more").hidden = !page.more;
      var select = $("changes-editor"), chosen = changesQuery.editor;
      select.querySelectorAll("option[value]:not([value=''])").forEach(function (o) { o.remove(); });
      page.editors.forEach(function (name) { var o = make("option", name); o.value = name; select.appendChild(o); });
      select.value = chosen;
      var filtered = changesQuery.faq || changesQuery.editor;
      if (!page.changes.length && !older) say("changes-feedback", filtered ? "No changes match." : "No changes yet.", { focus: false });
      else quiet("changes-feedback");
      return first;
    }).catch(failIn("changes-feedback"));
  }

  // Rolls a change back; the open FAQ is reloaded so the form shows what is live now.
  function rollback(change, where) {
    return api("/editor/api/changes/" + encodeURIComponent(change.id) + "/rollback", {}).then(function (undo) {
      var reopen = current ? current.id : (undo.operation === "add_faq" && undo.language === language ? undo.faq_id : null);
      var reload = reopen ? open(reopen, { focus: false }).catch(hideDetail) : Promise.resolve();
      return reload.then(function () { return loadChanges(); }).then(function () {
        var text = "Rolled back #" + change.number + " as #" + undo.number + ".";
        if (current && undo.faq_id === current.id) text += " The form shows what is live now.";
        if (undo.needs_training) text += " Retraining in the background takes it into the model.";
        say(where(), text, { warnings: undo.warnings });
      });
    }).catch(function (error) { say(where(), error.message, { problem: true, reasons: error.reasons }); });
  }

  // --- Catalogue, notices, training, inbox, new FAQs.

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
    }).catch(failIn("search-feedback"));
  }

  function isoWithZone(local) { return new Date(local).toISOString().replace("Z", "+00:00"); }

  function localInput(ts) {
    var moment = new Date(ts * 1000);
    moment.setMinutes(moment.getMinutes() - moment.getTimezoneOffset());
    return moment.toISOString().slice(0, 16);
  }

  function noticeText(n) { return n.text + " (" + n.topics.join(", ") + " · " + when(n.starts) + " → " + when(n.ends) + " · " + n.author + ")"; }

  // A notice changed meanwhile: what is live beside the editor's own, to overwrite or keep.
  function noticeConflict(where, error, mine, overwriteLabel, overwrite) {
    var live = error.data.conflict.notice;
    var region = say(where, error.message, { problem: true });
    var sides = make("div"); sides.className = "sides";
    var left = make("section"); left.appendChild(make("h4", "Live now"));
    left.appendChild(make("p", live ? noticeText(live) : "Withdrawn."));
    var right = make("section"); right.appendChild(make("h4", "Yours"));
    right.appendChild(make("p", mine));
    sides.appendChild(left); sides.appendChild(right);
    region.appendChild(sides);
    var row = make("div"); row.className = "row";
    if (live) row.appendChild(button(overwriteLabel, function () { overwrite(live.version); }));
    row.appendChild(button("Keep what is live", function () { stopEditingNotice(); loadNotices(); say(where, "Kept what is live."); }));
    region.appendChild(row);
    region.focus();
  }

  function loadNotices() {
    return api("/editor/api/notices").then(function (notices) {
      var items = $("notices"); items.textContent = "";
      notices.forEach(function (n) {
        var item = make("li"); item.appendChild(make("p", n.text));
        item.appendChild(make("small", n.topics.join(", ") + " · " + when(n.starts) + " → " + when(n.ends) + " · " + n.author + " "));
        var box = newFeedbackBox();
        var row = make("div"); row.className = "row";
        row.appendChild(button("Edit", function () { editNotice(n); })).setAttribute("aria-label", "Edit notice: " + n.text);
        row.appendChild(button("Withdraw", function () { withdrawNotice(n, box, n.version); })).setAttribute("aria-label", "Withdraw notice: " + n.text);
        item.appendChild(row);
        item.appendChild(box);
        items.appendChild(item);
      });
    }).catch(failIn("notice-feedback"));
  }

  function withdrawNotice(n, box, version) {
    api("/editor/api/notices/" + encodeURIComponent(n.id) + "/withdraw", { version: version }).then(function () {
      return loadNotices().then(function () { say("notice-feedback", "Notice withdrawn."); });
    }).catch(function (error) {
      if (error.status === 409) {
        noticeConflict(box, error, "withdraw it", "Withdraw it anyway", function (latest) { withdrawNotice(n, box, latest); });
      } else {
        say(box, error.message, { problem: true });
      }
    });
  }

  function editNotice(n) {
    editingNotice = n;
    $("notice-text").value = n.text;
    $("notice-topics").querySelectorAll("input").forEach(function (tick) { tick.checked = n.topics.indexOf(tick.value) >= 0; });
    $("notice-starts").value = localInput(n.starts);
    $("notice-ends").value = localInput(n.ends);
    $("notice-submit").textContent = "Save notice";
    $("notice-cancel").hidden = false;
    $("notice-text").focus();
  }

  function stopEditingNotice() {
    editingNotice = null;
    $("notice-form").reset();
    $("notice-submit").textContent = "Publish notice";
    $("notice-cancel").hidden = true;
  }

  function publishNotice(event, version) {
    if (event) event.preventDefault();
    var topics = Array.prototype.map.call($("notice-topics").querySelectorAll("input:checked"), function (t) { return t.value; });
    var starts = $("notice-starts").value, ends = $("notice-ends").value;
    var body = { text: $("notice-text").value, topics: topics, language: language,
      starts: starts ? isoWithZone(starts) : "", ends: ends ? isoWithZone(ends) : "" };
    var editing = editingNotice;
    var url = "/editor/api/notices";
    if (editing) { url += "/" + encodeURIComponent(editing.id); body.version = version || editing.version; }
    api(url, body)
      .then(function () {
        stopEditingNotice();
        return loadNotices().then(function () { say("notice-feedback", editing ? "Notice saved." : "Notice published."); });
      })
      .catch(function (error) {
        if (error.status === 409) {
          noticeConflict("notice-feedback", error, body.text, "Save mine over it", function (latest) { publishNotice(null, latest); });
        } else {
          say("notice-feedback", error.message, { problem: true, reasons: error.reasons });
        }
      });
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
      var items = $("inbox"); items.textContent = "";
      groups.forEach(function (g) {
        var item = make("li"); item.appendChild(make("strong", g.text + " (" + g.count + "×)"));
        if (g.variants.length) item.appendChild(make("p", "Also: " + g.variants.join(" · "))).className = "variants";
        var wordings = [g.text].concat(g.variants);
        var box = newFeedbackBox();
        g.suggestions.forEach(function (s) {
          item.appendChild(button("Add as phrasing of " + s.faq_id, function () {
            send({
              url: inLanguage(faqPath(s.faq_id) + "/phrasings"), body: { text: g.text }, where: box,
              saved: function () {
                return api("/editor/api/inbox/dismiss", { texts: wordings }).then(function () {
                  say("inbox-feedback", "Added to " + s.faq_id + " and live; retraining in the background takes it into the model.");
                  loadInbox(); loadChanges();
                });
              },
            });
          }));
        });
        item.appendChild(button("New FAQ from it", function () {
          $("new-question").value = g.text; $("new-phrasings").value = wordings.join("\n"); $("new-topic").focus();
        }));
        item.appendChild(button("Dismiss", function () {
          api("/editor/api/inbox/dismiss", { texts: wordings }).then(function () {
            loadInbox(); say("inbox-feedback", "Dismissed.");
          }).catch(failIn(box));
        }));
        item.appendChild(box);
        items.appendChild(item);
      });
    }).catch(failIn("inbox-feedback"));
  }

  function addFaq(event) {
    event.preventDefault();
    var phrasings = $("new-phrasings").value.split("\n").map(function (p) { return p.trim(); }).filter(Boolean);
    send({
      url: inLanguage("/editor/api/faqs"), where: "new-faq-feedback",
      body: { topic: $("new-topic").value, id: $("new-id").value, question: $("new-question").value,
        answer: $("new-answer").value, phrasings: phrasings },
      saved: function (c) {
        say("new-faq-feedback", "FAQ added and live; retraining in the background takes it into the model.", { warnings: c.warnings });
        loadChanges(); loadInbox(); loadCatalogue();
      },
    });
  }

  function start() {
    document.querySelectorAll(".feedback").forEach(feedbackBox);
    api("/console/api/me").then(function (data) {
      me = data;
      $("who").textContent = data.display_name + " (" + data.role + ")";
      $("search-form").addEventListener("submit", function (e) { e.preventDefault(); search(); });
      $("answer").addEventListener("input", countAnswer);
      $("save-answer").addEventListener("click", function () {
        faqChange("/answer", { answer: $("answer").value }, "Saved. The new answer is live.", "answer-feedback", null, true);
      });
      $("retire").addEventListener("click", function () {
        if (window.confirm("Retire this FAQ?")) faqChange("/retire", {}, "Retired.", "answer-feedback", "retire this FAQ");
      });
      $("faq-changes").addEventListener("click", function () {
        changesQuery = { faq: current.id, editor: "" };
        $("changes-faq").value = current.id; $("changes-editor").value = "";
        loadChanges().then(function (first) { if (first) first.focus(); });
      });
      $("phrasing-form").addEventListener("submit", function (e) {
        e.preventDefault();
        var text = $("new-phrasing").value;
        faqChange("/phrasings", { text: text }, "Phrasing added and live; retraining in the background takes it into the model.",
          "new-phrasing-feedback", "add the phrasing ‘" + text + "’").then(function () {
          if (current && current.phrasings.indexOf(text.trim()) >= 0) $("new-phrasing").value = "";
        });
      });
      $("preview-form").addEventListener("submit", function (e) {
        e.preventDefault();
        api("/editor/api/preview?q=" + encodeURIComponent($("preview").value)).then(function (p) {
          var text = "Intent " + p.intent + " (" + Math.round(p.intent_confidence * 100) + "%)";
          if (p.faq) text += " · FAQ " + p.faq.faq_id + " (" + Math.round(p.faq.confidence * 100) + "%)";
          if (p.runner_up) text += " · runner-up " + p.runner_up.faq_id + " (" + Math.round(p.runner_up.confidence * 100) + "%)";
          $("preview-result").textContent = text;
        }).catch(function (error) { $("preview-result").textContent = error.message; });
      });
      $("new-faq").addEventListener("submit", addFaq);
      $("language").addEventListener("change", function () {
        var code = $("language").value;
        switchLanguage(code, current && current.translations && current.translations[code] ? current.id : null);
      });
      $("notice-form").addEventListener("submit", publishNotice);
      $("notice-cancel").addEventListener("click", function () { stopEditingNotice(); $("notice-text").focus(); });
      $("changes-filter").addEventListener("submit", function (e) {
        e.preventDefault();
        changesQuery = { faq: $("changes-faq").value.trim(), editor: $("changes-editor").value };
        loadChanges();
      });
      $("changes-more").addEventListener("click", function () {
        loadChanges(true).then(function (first) { if (first) first.focus(); });
      });
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
