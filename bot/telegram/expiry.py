"""Replies with restricted data leave the chat: each is remembered (a row, so a restart
forgets none) and deleted by a repeating job when its time comes (bot/domain/safeguards.py).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Message
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from bot.domain import safeguards

log = logging.getLogger("uabot.expiry")
JOB_NAME = "expiry:sweep"


def remember(sessions: sessionmaker[Session], message: Message, delete_at: datetime) -> None:
    with sessions.begin() as session:
        safeguards.remember(
            session, message.chat_id, message.message_id, message.chat_id, delete_at
        )


async def sweep(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Delete the messages that are due; how many rows were settled."""
    services = application.bot_data.services
    with services.sessions.begin() as session:
        due = safeguards.due_messages(session, services.clock())
    settled = 0
    for row_id, chat_id, message_id in due:
        try:
            await application.bot.delete_message(chat_id, message_id)
        except BadRequest as exc:
            # Deleted already (by the person), or past Telegram's 48 hours: nothing more
            # can be done about it, so it is settled.
            log.warning("an expiring message could not be deleted: %s", exc.message[:80])
        except TelegramError as exc:  # the network: the next sweep tries again
            log.warning("deleting an expiring message failed: %s", type(exc).__name__)
            continue
        with services.sessions.begin() as session:
            safeguards.mark_deleted(session, row_id, services.clock())
        settled += 1
    return settled


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await sweep(context.application)


def schedule(application: Application[Any, Any, Any, Any, Any, Any], interval: float) -> None:
    """Sweep at start-up (what fell due while the bot was down) and every `interval` s."""
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot's job queue is missing (the job-queue extra)")
    application.job_queue.run_repeating(_job, interval=interval, first=0.0, name=JOB_NAME)
