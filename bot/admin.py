"""Admin command line: create console users, and retrain after editing the knowledge files in git.

    python -m bot.admin add-user mina --role agent --display-name "Mina"
    python -m bot.admin retrain --editor dara
    python -m bot.admin unlock mina

The password is asked for interactively, or read from standard input with
``--password-stdin`` (for scripts), so it never appears in the shell history.
``unlock`` lifts the lockout that wrong passwords put on a console account.
``retrain`` runs the same checked job as the editor pages (one at a time, refused if
held-out FAQ accuracy drops) and swaps the new model into the running Rasa server; it
says "nothing to retrain" and leaves the live model alone when that was trained on the
training data as it is now.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

import httpx
from redis.asyncio import Redis

from bot.editor.training import NOTHING_TO_RETRAIN, UNCHANGED, Trainer
from bot.rasa import RasaClient
from bot.settings import PROJECT_ROOT, Settings, SettingsError
from bot.store.login_attempts import unlock
from bot.store.training import TrainingStore
from bot.store.users import ROLES, UserError, UserStore
from support.redis_connection import async_client


class RetrainingFailed(RuntimeError):
    """The retraining job failed, was refused, or could not start."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bot.admin", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-user", help="create a user, or reset their role, name and password")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--display-name", default="", help="the name customers see, e.g. Mina")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("list-users", help="show every user and their role")
    unlock_user = commands.add_parser("unlock", help="lift the lockout wrong passwords put on an account")
    unlock_user.add_argument("name")
    retrain = commands.add_parser("retrain", help="train, check and swap in a new model (needs Rasa running)")
    retrain.add_argument("--editor", default=os.environ.get("USER", "cli"), help="who asked, for the change record")
    retrain.add_argument("--project", type=Path, default=PROJECT_ROOT, help="the project to train")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace, redis: Redis) -> str:
    """Carries out the command and returns what to print."""
    if args.command == "retrain":
        return await retrain(args, redis)
    if args.command == "unlock":
        lifted = await unlock(redis, args.name)
        return f"unlocked {args.name}" if lifted else f"{args.name} was not locked"
    users = UserStore(redis)
    if args.command == "list-users":
        return "\n".join(f"{u.name}\t{u.role}\t{u.display_name}" for u in await users.all()) or "no users yet"
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else _ask_password()
    user = await users.create(args.name, args.role, password, args.display_name)
    return f"saved {user.name} ({user.role}, shown as {user.display_name})"


async def retrain(args: argparse.Namespace, redis: Redis) -> str:
    """Runs one retraining job to its end; raises RetrainingFailed if it failed or another job is running."""
    settings = Settings.from_env()
    async with httpx.AsyncClient() as http:
        rasa = RasaClient(http, settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds)
        state = await Trainer.for_settings(settings, TrainingStore(redis), rasa, args.project).run(args.editor)
    if state is None:
        raise RetrainingFailed("another retraining job is running; see the editor page")
    if state.get("state") == UNCHANGED:
        return NOTHING_TO_RETRAIN
    if state.get("state") != "done":
        raise RetrainingFailed(state.get("error", "retraining failed"))
    return f"the new model is live (held-out FAQ accuracy {state['accuracy_before']} -> {state['accuracy_after']})"


def _ask_password() -> str:
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat the password: "):
        raise UserError("the passwords differ")
    return first


def main() -> None:
    """Entry point."""
    args = parse_args(sys.argv[1:])
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("REDIS_URL is not set; see README, 'Configuration'")

    async def with_redis() -> str:
        redis = async_client(redis_url)
        try:
            return await run(args, redis)
        finally:
            await redis.close()

    try:
        print(asyncio.run(with_redis()))
    except (UserError, SettingsError, RetrainingFailed) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
