"""Fuzzing through the local Bot API server: random text (unicode, control characters,
5,000-character strings, HTML/Markdown metacharacters, SQL fragments, lone command words) to
every command, as a subscriber, a coordinator and an admin, and malformed callback data on
a real message. 0 unhandled exceptions (the error handler is never reached), 0 tracebacks to
users, 0 half-written rows, and the bot still answers /help afterwards.

The seed corpus (fuzz_corpus.json) runs first, every time. Generation is derandomized, so a
failure replays on the next run; UABOT_FUZZ_SEED=N explores elsewhere, UABOT_FUZZ_EXAMPLES=N
runs longer. Add any falsifying input the test prints to the corpus.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.staff import SYSTEM
from bot.sandbox.local import ControlClient, RunningServer
from bot.store.models import Alert, AuditEvent, Case, CaseEvent, Delivery, Person
from bot.telegram.app import COMMANDS
from bot.telegram.buttons import ROUTES
from bot.texts import LANGUAGES, render
from tests import demo_rows
from tests.clock import day
from tests.security import conftest as sec

CORPUS = json.loads((Path(__file__).with_name("fuzz_corpus.json")).read_text(encoding="utf-8"))
EXAMPLES = int(os.environ.get("UABOT_FUZZ_EXAMPLES", "150"))
SEED = os.environ.get("UABOT_FUZZ_SEED")
ACTIVE = "KZ-2026-002"
BOARD = -100_990  # a group where the bot posted a case with buttons, pressed by anyone
FIRST_SUBSCRIBER = 6_000_000

REFS = ["KZ-2026-001", ACTIVE, "KZ-2026-004", "kz-2026-002", "XX-0000-000", "KZ-2026-", "-"]
WORDS = ["1", "0", "-1", "2", "all", "country", "theme", "KZ", "detained", "released", "en"]
WORDS += ["ru", "kk", "admin", "coordinator", "primary", "copy", ";", "done", day(365)]
METACHARS = ["<b>", "</b>", "<a href='x'>", "&", "&amp;", "<", ">", "*", "_", "`", "```"]
METACHARS += ["[x](y)", "||", "~", "\\", "{{", "}}", "{%", "%}", "'", '"', "--", ";", "%"]
SQL = ["' OR '1'='1", "'; DROP TABLE cases; --", "1 OR 1=1", "UNION SELECT * FROM people"]
CONTROL = st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"])
COMMAND_WORDS = [*COMMANDS, "newcase", "cancel", "done", "start@uabot", "nosuchcommand", ""]
VERBS = [*ROUTES, "newcase", "", "x"]


def _unpack(entry: str | dict[str, Any]) -> str:
    if isinstance(entry, str):
        return entry
    return entry["prefix"] + entry["repeat"] * entry["times"]


# --- what is sent -----------------------------------------------------------------------

token = st.one_of(
    st.sampled_from(REFS + WORDS + METACHARS + SQL),
    st.text(max_size=12),
    st.integers(-(10**20), 10**20).map(str),
)
args = st.one_of(
    st.lists(token, max_size=6).map(" ".join),
    st.text(max_size=300),
    st.text(alphabet=CONTROL, max_size=40),
    st.builds(lambda c, n: c * n, st.characters(exclude_categories=["Cs"]), st.just(5_000)),
    st.builds(lambda s, n: (s * n)[:5_000], st.sampled_from(METACHARS + SQL), st.just(5_000)),
)
message = st.one_of(
    st.builds(lambda c, a: f"/{c} {a}", st.sampled_from(COMMAND_WORDS), args),
    st.sampled_from(COMMAND_WORDS).map(lambda c: f"/{c}"),
    args,
).filter(lambda t: t != "")  # Telegram has no empty messages
callback_data = st.one_of(
    st.builds(
        lambda v, a: f"{v}:{a}", st.sampled_from(VERBS), st.lists(token, max_size=3).map(":".join)
    ),
    st.text(max_size=40),
    st.sampled_from(VERBS),
).map(lambda d: d.encode()[:64].decode("utf-8", "ignore"))  # Telegram's limit: 64 bytes
role = st.sampled_from(["subscriber", "subscriber", "coordinator", "admin"])
language = st.sampled_from(["en", "ru", "kk", None, "pt-BR", "zz"])


def _settings(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    configured = settings(
        max_examples=examples,
        deadline=None,
        derandomize=SEED is None,
        database=None,  # the corpus and derandomization replay failures, not a local cache
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    if SEED is None:
        return configured
    return lambda fn: seed(int(SEED))(configured(fn))


# --- the run ----------------------------------------------------------------------------


class Errors(logging.Handler):
    """ERROR and worse from any logger: the bot's error handler logs 'handler failed' here."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}")


@dataclass
class Fuzzer:
    control: ControlClient
    errors: Errors
    board_message: dict[str, Any]
    fresh: Iterator[int] = field(default_factory=lambda: count(FIRST_SUBSCRIBER))
    sent: dict[str, int] = field(default_factory=lambda: {"text": 0, "callback": 0})
    chats: set[int] = field(default_factory=lambda: {BOARD})

    def user(self, who: str) -> int:
        """Staff as themselves; each subscriber input from a new person (a flood guard
        would rightly slow one person sending hundreds)."""
        user_id = {"coordinator": sec.COORDINATOR, "admin": sec.ADMIN}.get(who) or next(self.fresh)
        self.chats.add(user_id)
        return user_id

    def replies(self) -> list[dict[str, Any]]:
        return [m for c in sorted(self.chats) for m in self.control.messages(c) if m["from_bot"]]

    def help_answered(self) -> bool:
        user_id = self.user("subscriber")
        sent = self.control.send_text(user_id, "/help")
        [reply] = self.control.wait(user_id, count=1, since=sent["message_id"])
        return reply["text"] == render("bot/help.html", "en", staff=None)

    def settle(self, user_id: int, lang: str | None, who: str) -> None:
        """/help from the same user, and wait for its answer: updates are handled in order,
        so everything sent before has been handled (or has failed) by then — but for the
        letter commands (bot/telegram/app.py OFF_LOOP), which do not hold up the updates
        after them: their answer may come after the /help's."""
        # Any language: a /start or a button may have set the chat's own. A staff member's
        # own /panic suspends their role: from then on they read the subscribers' help.
        staff = None if who == "subscriber" else who
        expected = {
            render("bot/help.html", code, staff=role)
            for code in LANGUAGES
            for role in {staff, None}
        }
        sent = self.control.send_text(user_id, "/help", language_code=lang)
        have = 1
        while True:
            replies = self.control.wait(user_id, count=have, since=sent["message_id"], timeout=15)
            if any(reply["text"] in expected for reply in replies):
                return
            have = len(replies) + 1

    def check(self, what: str) -> None:
        assert self.errors.records == [], f"{what!r} reached the error handler"

    def say(self, text_: str, who: str, lang: str | None) -> None:
        user_id = self.user(who)
        self.control.send_text(user_id, text_, language_code=lang)
        self.sent["text"] += 1
        self.settle(user_id, lang, who)
        self.check(text_)

    def press(self, data: str, who: str) -> None:
        user_id = self.user(who)
        self.control.press(user_id, self.board_message["message_id"], data, chat_id=BOARD)
        self.sent["callback"] += 1
        self.settle(user_id, "en", who)
        self.check(data)


@pytest.fixture
def fuzzer(
    server: RunningServer, sessions: sessionmaker[Session], staffed: None
) -> Iterator[Fuzzer]:
    with sessions.begin() as session:
        demo_rows.load_cases(session)
        cases.publish(session, SYSTEM, ACTIVE)
    errors = Errors()
    root = logging.getLogger()
    root.addHandler(errors)
    try:
        with sec.start_bot(server, sessions):
            posted = server.control.send_text(
                sec.COORDINATOR, f"/case {ACTIVE}", chat_id=BOARD, chat_type="group"
            )
            [board] = server.control.wait(BOARD, count=1, since=posted["message_id"])
            yield Fuzzer(server.control, errors, board)
    finally:
        root.removeHandler(errors)


def _half_written(sessions: sessionmaker[Session], engine: Engine) -> list[str]:
    """Rows that exist without the rows written in the same transaction as them."""
    problems = []
    with sessions() as session:
        for case in session.scalars(select(Case)):
            kinds = {
                e.kind
                for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
            }
            created = session.scalar(
                select(func.count()).where(
                    AuditEvent.action == "case.create", AuditEvent.entity_id == case.id
                )
            )
            if "created" not in kinds or not created:
                problems.append(f"case {case.ref} without its creation records")
        for person_id in session.scalars(select(Person.id)):
            if not session.scalar(
                select(func.count()).where(
                    AuditEvent.action == "person.add", AuditEvent.entity_id == person_id
                )
            ):
                problems.append(f"person {person_id} without its audit event")
        for alert in session.scalars(select(Alert)):
            queued = session.scalar(select(func.count()).where(Delivery.alert_id == alert.id))
            if (queued or 0) > alert.recipients:
                problems.append(f"alert {alert.id}: {queued} deliveries for {alert.recipients}")
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            problems += [repr(r) for r in conn.execute(text("PRAGMA foreign_key_check"))]
    return problems


def test_random_input_to_every_command_and_button_is_survived(
    fuzzer: Fuzzer, sessions: sessionmaker[Session], engine: Engine
) -> None:
    started = time.perf_counter()

    for entry in CORPUS["texts"]:
        for who in ("subscriber", "coordinator", "admin"):
            fuzzer.say(_unpack(entry), who, "en")
    for entry in CORPUS["callback_data"]:
        for who in ("subscriber", "coordinator"):
            fuzzer.press(_unpack(entry), who)
    from_corpus = dict(fuzzer.sent)

    @_settings(EXAMPLES)
    @given(text_=message, who=role, lang=language)
    def texts(text_: str, who: str, lang: str | None) -> None:
        fuzzer.say(text_, who, lang)

    @_settings(max(20, EXAMPLES // 3))
    @given(data=callback_data, who=role)
    def presses(data: str, who: str) -> None:
        fuzzer.press(data, who)

    texts()
    presses()

    replies = fuzzer.replies()
    shown = [m["text"] for m in replies]
    assert not [t for t in shown if "Traceback" in t or 'File "' in t or "Error:" in t]
    assert render("bot/failed.html", "en") not in shown
    assert _half_written(sessions, engine) == []
    assert fuzzer.help_answered()
    print(
        f"\nfuzz: {fuzzer.sent['text']} messages and {fuzzer.sent['callback']} button presses "
        f"({from_corpus['text']} and {from_corpus['callback']} from the corpus) in "
        f"{time.perf_counter() - started:.1f}s; {len(replies)} bot messages scanned: "
        "0 errors, 0 tracebacks, 0 half-written rows; /help still answered"
    )
