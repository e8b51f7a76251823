"""Editor pages: search and change the knowledge base, preview what the model picks, see and undo changes.

Only editors and admins get in. Every change goes through ``knowledge.editing``:
validated first, written atomically, logged with the editor and the old and new
values. An answer is live on the next message; phrasing changes need a retrain.

A change to an FAQ carries the ``version`` the page read; if the FAQ changed since, the answer is
409 with the FAQ as it is now and the changes made meanwhile, and nothing is saved. Phrasings nearly
the same as another FAQ's are saved only with ``confirm: true`` (422 with the warnings otherwise).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file
from sanic.response import json as json_response

from bot.console.assist import suggestions
from bot.console.auth import guard
from bot.editor.inbox import group_questions
from bot.rasa import RasaUnavailable
from bot.request_body import json_object, text_field
from bot.store.feedback import STORE_TIMEZONE
from bot.store.inbox import InboxStore
from knowledge import Faq
from knowledge.changelog import Change
from knowledge.editing import EditConflict, EditRefused, KnowledgeEditor, NeedsConfirmation
from knowledge.history import described, numbers_of
from support.language import languages

INBOX_DAYS, INBOX_READ, INBOX_GROUPS = 30, 500, 30
PAGES = Path(__file__).resolve().parent.parent / "static" / "editor"
EDITOR_ROLES = ("editor", "admin")
# Preview questions and inbox wordings; knowledge texts are checked against the real rules instead.
MAX_FIELD = 5000
CHANGES_PAGE, MAX_CHANGES_PAGE = 20, 100


class BadEdit(ValueError):
    """A request body the editor API can't use."""


def editor_blueprint() -> Blueprint:
    """Routes of the editor pages and their API."""
    editor = Blueprint("editor")

    @editor.get("/editor")
    @guard(EDITOR_ROLES)
    async def page(_: Request) -> HTTPResponse:
        return await file(PAGES / "index.html")

    @editor.get("/editor/static/<name:[a-z]+\\.(?:js|css)>")
    async def asset(_: Request, name: str) -> HTTPResponse:
        return await file(PAGES / name)

    @editor.get("/editor/api/faqs")
    @guard(EDITOR_ROLES)
    async def search(request: Request) -> HTTPResponse:
        found = _editor(request).search(str(request.args.get("q") or ""), _language(request))
        return json_response([_summary(faq) for faq in found])

    @editor.get("/editor/api/languages")
    @guard(EDITOR_ROLES)
    async def language_list(_: Request) -> HTTPResponse:
        return json_response([{"code": code, "name": languages().name(code)} for code in languages().codes])

    @editor.get("/editor/api/faqs/<faq_id:str>")
    @guard(EDITOR_ROLES)
    async def show(request: Request, faq_id: str) -> HTTPResponse:
        faq = _editor(request).get(_language(request), faq_id)
        if faq is None:
            return json_response({"error": f"no FAQ '{faq_id}'"}, status=404)
        # The FAQ's other languages, side by side in the editor (None: not written yet).
        others = {code: _editor(request).get(code, faq_id) for code in languages().codes if code != faq.language}
        translations = {code: faq_json(other) if other else None for code, other in others.items()}
        rules = _editor(request).rules
        limits = {"answer": rules.max_answer_chars, "phrasing": rules.max_phrasing_chars}
        return json_response({**faq_json(faq), "translations": translations, "limits": limits})

    @editor.post("/editor/api/faqs/<faq_id:str>/answer")
    @guard(EDITOR_ROLES)
    async def edit_answer(request: Request, faq_id: str) -> HTTPResponse:
        answer, version = _field(request, "answer"), _version(request)
        return await _apply(request, lambda e, who: e.edit_answer(who, _language(request), faq_id, answer, version))

    @editor.post("/editor/api/faqs")
    @guard(EDITOR_ROLES)
    async def add_faq(request: Request) -> HTTPResponse:
        body = _body(request)
        phrasings = body.get("phrasings")
        if not isinstance(phrasings, list):
            raise BadEdit("phrasings must be a list of questions")
        return await _apply(
            request,
            lambda e, who: e.add_faq(
                who,
                _language(request),
                _field(request, "topic"),
                _field(request, "id"),
                _field(request, "question"),
                _field(request, "answer"),
                [str(p) for p in phrasings],
                confirmed=_confirmed(request),
            ),
        )

    @editor.post("/editor/api/faqs/<faq_id:str>/phrasings")
    @guard(EDITOR_ROLES)
    async def add_phrasing(request: Request, faq_id: str) -> HTTPResponse:
        text, version, confirmed = _field(request, "text"), _version_if_given(request), _confirmed(request)
        return await _apply(
            request, lambda e, who: e.add_phrasing(who, _language(request), faq_id, text, version, confirmed)
        )

    @editor.post("/editor/api/faqs/<faq_id:str>/phrasings/remove")
    @guard(EDITOR_ROLES)
    async def remove_phrasing(request: Request, faq_id: str) -> HTTPResponse:
        text, version = _field(request, "text"), _version(request)
        return await _apply(request, lambda e, who: e.remove_phrasing(who, _language(request), faq_id, text, version))

    @editor.post("/editor/api/faqs/<faq_id:str>/phrasings/move")
    @guard(EDITOR_ROLES)
    async def move_phrasing(request: Request, faq_id: str) -> HTTPResponse:
        text, target, version, confirmed = (
            _field(request, "text"),
            _field(request, "to"),
            _version(request),
            _confirmed(request),
        )
        return await _apply(
            request,
            lambda e, who: e.move_phrasing(who, _language(request), text, faq_id, target, version, confirmed),
        )

    @editor.post("/editor/api/faqs/<faq_id:str>/retire")
    @guard(EDITOR_ROLES)
    async def retire(request: Request, faq_id: str) -> HTTPResponse:
        version = _version(request)
        return await _apply(request, lambda e, who: e.retire_faq(who, _language(request), faq_id, version))

    @editor.get("/editor/api/changes")
    @guard(EDITOR_ROLES)
    async def changes(request: Request) -> HTTPResponse:
        """A page of the log, newest first: ``faq``, ``editor``, ``before`` (a number) and ``limit`` filter it."""
        log = _editor(request).log
        faq, who = request.args.get("faq") or None, request.args.get("editor") or None
        before, limit = _number(request, "before"), _number(request, "limit") or CHANGES_PAGE
        entries, more = log.page(faq, who, before, min(limit, MAX_CHANGES_PAGE))
        numbers = numbers_of(log.entries())
        return json_response(
            {"changes": [described(entry, numbers) for entry in entries], "more": more, "editors": log.editors()}
        )

    @editor.post("/editor/api/changes/<change_id:str>/rollback")
    @guard(EDITOR_ROLES)
    async def rollback(request: Request, change_id: str) -> HTTPResponse:
        return await _apply(request, lambda e, who: e.rollback(who, change_id))

    @editor.get("/editor/api/preview")
    @guard(EDITOR_ROLES)
    async def preview(request: Request) -> HTTPResponse:
        question = str(request.args.get("q") or "").strip()[:MAX_FIELD]
        if not question:
            return json_response({"error": "type a question to preview"}, status=400)
        try:
            parsed = await request.app.ctx.rasa.parse(question)
        except RasaUnavailable:
            return json_response({"error": "The assistant is not reachable for a preview right now."}, status=503)
        return json_response(preview_of(parsed))

    @editor.get("/editor/api/inbox")
    @guard(EDITOR_ROLES)
    async def inbox(request: Request) -> HTTPResponse:
        ctx = request.app.ctx
        language = _language(request)
        today = datetime.now(STORE_TIMEZONE).date()
        days = [today - timedelta(days=n) for n in range(INBOX_DAYS)]
        questions = await ctx.analytics.feedback.top_unanswered(days, ["web", "telegram"], [language], INBOX_READ)
        groups = group_questions(questions, await InboxStore(ctx.redis).dismissed())[:INBOX_GROUPS]
        return json_response([{**asdict(g), "suggestions": await _suggestions(request, g.text)} for g in groups])

    @editor.post("/editor/api/inbox/dismiss")
    @guard(EDITOR_ROLES)
    async def dismiss(request: Request) -> HTTPResponse:
        texts = _body(request).get("texts")
        if not isinstance(texts, list) or not texts:
            raise BadEdit("'texts' must list the wordings to dismiss")
        await InboxStore(request.app.ctx.redis).dismiss([str(t)[:MAX_FIELD] for t in texts])
        return json_response({"ok": True})

    @editor.get("/editor/api/training")
    @guard(EDITOR_ROLES)
    async def training_status(request: Request) -> HTTPResponse:
        store = request.app.ctx.training
        return json_response({**(await store.state()), "log": await store.lines()})

    @editor.post("/editor/api/training")
    @guard(EDITOR_ROLES)
    async def retrain(request: Request) -> HTTPResponse:
        outcome = await request.app.ctx.trainer.request(request.ctx.session.user)
        return json_response({"training": outcome}, status=202)

    @editor.exception(EditRefused)
    async def refused(request: Request, error: EditRefused) -> HTTPResponse:
        return json_response(
            {"error": "The change was refused; nothing was saved.", "reasons": error.errors}, status=422
        )

    @editor.exception(EditConflict)
    async def conflict(request: Request, error: EditConflict) -> HTTPResponse:
        return json_response(conflict_json(error, numbers_of(_editor(request).log.entries())), status=409)

    @editor.exception(NeedsConfirmation)
    async def unconfirmed(request: Request, error: NeedsConfirmation) -> HTTPResponse:
        return json_response(
            {
                "error": "Nearly the same as a phrasing of another FAQ; nothing was saved yet. Save it anyway?",
                "confirm": error.errors,
            },
            status=422,
        )

    @editor.exception(BadEdit)
    async def bad_edit(request: Request, error: BadEdit) -> HTTPResponse:
        return json_response({"error": str(error)}, status=400)

    return editor


def faq_json(faq: Faq) -> dict[str, Any]:
    """An FAQ as the editor page reads it, with its version."""
    return {**asdict(faq), "version": faq.version}


def conflict_json(error: EditConflict, numbers: dict[str, int]) -> dict[str, Any]:
    """The 409 body: the FAQ as it is now (null if retired) and the logged changes made since the page read it."""
    who = sorted({entry.change.editor for entry in error.since})
    return {
        "error": f"Someone else changed this FAQ since you opened it ({', '.join(who) or 'in the files'}); "
        "nothing was saved.",
        "reasons": error.errors,
        "conflict": {
            "language": error.language,
            "faq_id": error.faq_id,
            "version": error.faq.version if error.faq else None,
            "faq": faq_json(error.faq) if error.faq else None,
            "changes": [described(entry, numbers) for entry in error.since],
        },
    }


def preview_of(parsed: dict[str, Any]) -> dict[str, Any]:
    """What the live model makes of a question: intent, chosen FAQ with confidence, and the runner-up."""
    intent = parsed.get("intent") or {}
    ranking = ((parsed.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
    faqs = [
        {
            "faq_id": str(r.get("intent_response_key", "")).split("/", 1)[-1],
            "confidence": round(r.get("confidence", 0), 3),
        }
        for r in ranking[:2]
    ]
    return {
        "intent": intent.get("name"),
        "intent_confidence": round(float(intent.get("confidence") or 0), 3),
        "faq": faqs[0] if faqs and intent.get("name") == "faq" else None,
        "runner_up": faqs[1] if len(faqs) > 1 else None,
    }


async def _suggestions(request: Request, question: str) -> list[dict[str, Any]]:
    """The FAQs the live model would pick for an unanswered question (none while Rasa is unreachable)."""
    try:
        parsed = await request.app.ctx.rasa.parse(question)
    except RasaUnavailable:
        return []
    return suggestions(parsed, request.app.ctx.knowledge.current(), _language(request))


async def _apply(request: Request, operation: Any) -> HTTPResponse:
    """Runs an edit off the event loop (it validates and writes files); phrasing changes start a retrain."""
    editor = request.ctx.session.user
    change: Change = await asyncio.to_thread(operation, _editor(request), editor)
    training = await request.app.ctx.trainer.request(editor) if change.needs_training else None
    number = numbers_of(_editor(request).log.entries()).get(change.id)
    return json_response({**asdict(change), "number": number, "training": training})


def _editor(request: Request) -> KnowledgeEditor:
    editor: KnowledgeEditor = request.app.ctx.editor
    return editor


def _language(request: Request) -> str:
    """The language the editor works in (``?language=``), one of data/languages.yml's."""
    language = str(request.args.get("language") or languages().default)
    if language not in languages().codes:
        raise BadEdit(f"unknown language '{language}'; use one of {', '.join(languages().codes)}")
    return language


def _body(request: Request) -> dict[str, Any]:
    return json_object(request, BadEdit)


def _field(request: Request, name: str) -> str:
    # No limit of the route's own: the body is at most REQUEST_MAX_SIZE, and the editor's rules
    # refuse a text over its real limit with that limit in the message (1,500 for an answer).
    return text_field(request, name, request.app.config.REQUEST_MAX_SIZE, BadEdit)


def _version(request: Request) -> str:
    """The FAQ's version the client read: required by every change that could overwrite another editor's."""
    version = _body(request).get("version")
    if not isinstance(version, str):
        raise BadEdit("'version' must be the FAQ's version as read, a string")
    return version


def _version_if_given(request: Request) -> str | None:
    """The FAQ's version for an added phrasing; a client that only adds (the inbox) may skip the check."""
    return _version(request) if _body(request).get("version") is not None else None


def _confirmed(request: Request) -> bool:
    """True when the editor confirmed saving phrasings nearly the same as another FAQ's."""
    return _body(request).get("confirm") is True


def _number(request: Request, name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not str(value).isdigit() or int(value) < 1:
        raise BadEdit(f"'{name}' must be a positive whole number")
    return int(value)


def _summary(faq: Faq) -> dict[str, Any]:
    return {
        "id": faq.id,
        "topic": faq.topic,
        "language": faq.language,
        "question": faq.question,
        "phrasings": len(faq.phrasings),
    }
