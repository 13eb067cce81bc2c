"""The canary sweep: a distinct canary in every restricted and internal field of every seed
case, then the whole flow (publish, update, deadline, close, reminders, stale notices,
digests, letters in every format through bot.letters.service and the CLI, exports, error
paths, deliveries by the worker), then a scan of every message the local Bot API server
received (documents included), every callback answer, every log record (DEBUG, root), every
exported file and every error reply.

0 hits, except where staff asked, in a private chat, for exactly that: /person (restricted
fields of that person), /case and /audit (internal fields), and the operator's own CLI
(`cases show`, `audit export`: internal fields). Those are checked to hold their canaries,
which proves the canaries were there to be found.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.config import Settings
from bot.domain import cases, demo
from bot.domain.cases import PersonInput
from bot.domain.demo import DEMO_TARGETS, SEED_CASES
from bot.domain.staff import SYSTEM
from bot.letters import export, service
from bot.sandbox.local import ControlClient, RunningServer
from bot.scheduler import Scheduler
from bot.store.models import Action, Alert, Delivery, Person, Subscriber, utcnow
from bot.telegram.thread import BotThread
from bot.texts import render
from tests.clock import typed_deadline
from tests.conftest import TEST_KEY
from tests.letters.conftest import pdf_text
from tests.security import conftest as sec
from tests.telegram.harness import Chat, button_data

GROUP = -100_424_242
FOLLOWERS = {
    8_000_001: "/follow all",
    8_000_002: "/follow country KZ",  # in digest mode
    8_000_003: "/follow theme freedom_of_assembly",  # one case's theme only
}
READER, DIGEST_READER = 8_000_001, 8_000_002
CASE_INTERNAL = ("internal_index", "internal_notes")


@dataclass
class Canaries:
    """Every planted value's core (what is searched for), by where it was planted."""

    restricted: dict[tuple[str, int, str], str] = field(default_factory=dict)  # ref, pos, field
    internal: dict[tuple[str, str], str] = field(default_factory=dict)  # ref, field

    def of_person(self, ref: str, position: int) -> list[str]:
        return [v for (r, p, _), v in self.restricted.items() if (r, p) == (ref, position)]

    def internal_of(self, ref: str | None = None) -> list[str]:
        """The case's internal fields (a case event's internal note is never shown)."""
        return [
            v
            for (r, name), v in self.internal.items()
            if name in CASE_INTERNAL and ref in (None, r)
        ]

    @property
    def all(self) -> list[str]:
        return [*self.restricted.values(), *self.internal.values()]


def _decorated(core: str) -> str:
    """The stored value: the canary among markup, quotes and Cyrillic, as people type."""
    return f"{core} <b>&amp;</b> 'кв. 5' \"x\""


def _seed(session: Session) -> Canaries:
    canaries = Canaries()
    now = utcnow()
    for n, seed in enumerate(SEED_CASES, start=1):
        internal = {"internal_index": f"CNRYI{n}IDX", "internal_notes": f"CNRYI{n}NOTES"}
        canaries.internal.update({(seed.ref, k): v for k, v in internal.items()})
        demo.create_seed_case(
            session,
            seed,
            now,
            internal_index=_decorated(internal["internal_index"]),
            internal_notes=_decorated(internal["internal_notes"]),
        )
        for position, person in enumerate(seed.people, start=1):
            secret = {f: f"CNRYR{n}{position}{f[:3].upper()}" for f in Person.RESTRICTED}
            canaries.restricted.update({(seed.ref, position, f): v for f, v in secret.items()})
            values = {f: _decorated(v) for f, v in secret.items()}
            cases.add_person(
                session, SYSTEM, seed.ref, PersonInput(**{**person.__dict__, **values})
            )
        for target in seed.targets or DEMO_TARGETS:
            cases.add_target(session, SYSTEM, seed.ref, target)
    return canaries


# --- what was seen ----------------------------------------------------------------------


@dataclass
class Item:
    kind: str  # message, document, callback answer, log record, file, error reply, ...
    name: str
    text: str
    allowed: tuple[str, ...] = ()  # canaries this item may show (an explicit staff request)


@dataclass
class Sweep:
    items: list[Item] = field(default_factory=list)
    allowed_ids: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)

    def add(self, kind: str, name: str, text_: str, allowed: tuple[str, ...] = ()) -> None:
        self.items.append(Item(kind, name, text_, allowed))

    def allow(self, chat_id: int, messages: list[dict[str, Any]], canaries: list[str]) -> None:
        for message in messages:
            self.allowed_ids[(chat_id, message["message_id"])] = tuple(canaries)


def _readable(name: str, data: bytes) -> str:
    if name.endswith(".pdf"):
        return pdf_text(data) + " " + data.decode("latin-1")
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(_readable(n, archive.read(n)) for n in archive.namelist())
    return data.decode("utf-8", "replace")


def _messages(control: ControlClient, chats: set[int], sweep: Sweep) -> None:
    for chat_id in sorted(chats):
        for m in control.messages(chat_id):
            if not m["from_bot"]:
                continue
            allowed = sweep.allowed_ids.get((chat_id, m["message_id"]), ())
            shown = f"{m['text']} {m.get('plain_text') or ''} {m.get('reply_markup') or ''}"
            sweep.add("message", f"chat {chat_id} #{m['message_id']}", shown, allowed)
            if m.get("document"):
                document = m["document"]
                data = control.document(document["file_id"])
                sweep.add("document", document["file_name"], _readable(document["file_name"], data))
    for answer in control.callback_answers():
        sweep.add("callback answer", answer["callback_query_id"], str(answer.get("text") or ""))


# --- the flow ---------------------------------------------------------------------------


@pytest.fixture
def canaries(sessions: sessionmaker[Session], staffed: None) -> Canaries:
    with sessions.begin() as session:
        return _seed(session)


@pytest.fixture
def bot(
    server: RunningServer,
    sessions: sessionmaker[Session],
    engine: Engine,
    canaries: Canaries,
    logs: sec.Capture,
) -> Iterator[BotThread]:
    with sec.start_bot(server, sessions, engine) as running:
        yield running


def _confirm(chat: Chat, command: str) -> dict[str, Any]:
    [preview] = chat.say(command)
    return chat.press_edit(preview, button_data(preview, "ok:"))


def _group(control: ControlClient, user_id: int, command: str) -> list[dict[str, Any]]:
    sent = control.send_text(user_id, command, chat_id=GROUP, chat_type="group")
    return control.wait(GROUP, count=1, since=sent["message_id"])


def _run_flow(
    server: RunningServer,
    sessions: sessionmaker[Session],
    engine: Engine,
    canaries: Canaries,
    sweep: Sweep,
) -> list[dict[str, Any]]:
    """Everything the bot does with these cases; returns the error replies."""
    control = server.control
    coordinator = Chat(control, sec.COORDINATOR)
    admin = Chat(control, sec.ADMIN)
    followers = {uid: Chat(control, uid) for uid in FOLLOWERS}
    for uid, follow in FOLLOWERS.items():
        followers[uid].say(follow)
    [settings] = followers[DIGEST_READER].say("/settings")
    followers[DIGEST_READER].press(settings, "mode:digest")

    refs = [seed.ref for seed in SEED_CASES]
    for ref in refs:
        _confirm(coordinator, f"/publish {ref}")
    _confirm(coordinator, f"/update {refs[0]} The family was questioned again on Monday.")
    with sessions.begin() as session:  # an internal note, as another channel would add it
        note = "CNRYI9EVENTNOTE"
        canaries.internal[(refs[1], "event_note")] = note
        cases.further_information(
            session, SYSTEM, refs[1], "Lawyers were denied access.", _decorated(note)
        )
    coordinator.say(f"/deadline {refs[2]} {typed_deadline(365, '12:00')}")
    coordinator.say(f"/status {refs[3]} 1 released")
    _confirm(coordinator, f"/close {refs[3]} released She was released on bail.")
    # The edit commands: a restricted and an internal value typed by a coordinator.
    typed = "CNRYE1WHERE"
    canaries.restricted[(refs[0], 1, "whereabouts")] = typed
    coordinator.say(f"/editperson {refs[0]} 1 whereabouts {_decorated(typed)}")
    index = "CNRYE2IDX"
    canaries.internal[(refs[1], "internal_index")] = index
    coordinator.say(f"/editcase {refs[1]} internal_index {index}")
    coordinator.say(f"/editcase {refs[1]} title A title edited from the phone")
    coordinator.say(f"/edittarget {refs[1]} 1 salutation Dear Prosecutor General,")
    coordinator.say(f"/stats {refs[0]}")
    # per primary target (2): the text, the PDF, the .eml; then the calls to act
    coordinator.say(f"/letter {refs[0]}", expect=7, timeout=30)
    coordinator.say(f"/letters_zip {refs[0]} Qaharman Foundation", timeout=30)
    [preview] = coordinator.say(f"/letter_set {refs[0]} en\nDear {{{{ target.name }}}}, act now.")
    coordinator.press_edit(preview, button_data(preview, "no:"))

    # Explicit staff requests in a private chat: the only places canaries may show.
    sweep.allow(
        sec.COORDINATOR, coordinator.say(f"/person {refs[3]} 1"), canaries.of_person(refs[3], 1)
    )
    sweep.allow(sec.COORDINATOR, coordinator.say(f"/case {refs[0]}"), canaries.internal_of(refs[0]))
    sweep.allow(sec.ADMIN, admin.say(f"/audit {refs[1]}"), canaries.internal_of(refs[1]))

    errors = [
        *coordinator.say(f"/person {refs[0]} 9"),
        *coordinator.say(f"/person {refs[0]} x"),
        *coordinator.say("/case XX-2026-999"),
        *coordinator.say(f"/publish {refs[0]}"),  # already published
        *coordinator.say(f"/update {refs[3]} Too late."),  # closed
        *followers[READER].say(f"/person {refs[0]} 1"),  # refused: a subscriber
        *followers[READER].say(f"/audit {refs[0]}"),
        *_group(control, sec.COORDINATOR, f"/person {refs[0]} 1"),  # refused: a group
        *_group(control, sec.ADMIN, f"/audit {refs[0]}"),
    ]
    _group(control, sec.COORDINATOR, f"/case {refs[0]}")  # staff, but not in private
    errors += _seized_phone_paths(control, coordinator, admin, sweep, canaries, refs)
    errors += _failing_handler(engine, followers[READER], refs[0])

    reader = followers[READER]
    reader.say("/cases")
    reader.say("/mine")
    [shown] = reader.say(f"/case {refs[0]}")
    reader.press(shown, button_data(shown, "letter:"), expect=7, timeout=30)
    reader.press(shown, button_data(shown, "acted:"))
    reader.say(f"/letter {refs[1]} ru", expect=7, timeout=30)
    return errors


def _seized_phone_paths(
    control: ControlClient,
    coordinator: Chat,
    admin: Chat,
    sweep: Sweep,
    canaries: Canaries,
    refs: list[str],
) -> list[dict[str, Any]]:
    """A reveal PIN, a wrong one, a reveal with it; a lockdown and what it stops; staff
    commands in a group: the error replies."""
    coordinator.say("/pin 48151")
    errors = coordinator.say(f"/person {refs[3]} 1")  # the PIN is asked
    errors += coordinator.say(f"/person {refs[3]} 1 00000")  # a wrong one
    revealed = coordinator.say(f"/person {refs[3]} 1 48151")
    sweep.allow(sec.COORDINATOR, revealed, canaries.of_person(refs[3], 1))
    admin.say("/lockdown")
    errors += coordinator.say(f"/person {refs[3]} 1 48151")
    errors += coordinator.say(f"/letters_zip {refs[0]}")
    errors += admin.say(f"/grant {sec.COORDINATOR} admin")
    admin.say("/lockdown off")
    errors += _group(control, sec.COORDINATOR, f"/stats {refs[0]}")
    errors += _group(control, sec.COORDINATOR, f"/watch {refs[0]}")
    errors += _group(control, sec.COORDINATOR, f"/case {refs[0].lower().replace('0', 'o')}")
    return errors


def _failing_handler(engine: Engine, chat: Chat, ref: str) -> list[dict[str, Any]]:
    """A real fault below a handler (its table is gone): the apology, and what is logged."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE actions"))
    try:
        replies = chat.say(f"/acted {ref}")
    finally:
        Action.__table__.create(engine)
    assert replies[-1]["text"] == render("bot/failed.html", "en")
    return replies


def _scheduled(sessions: sessionmaker[Session]) -> int:
    """Reminders, stale-case notices and digests, as the scheduler queues them four weeks on;
    their deliveries are then made due now, so the worker beside the bot sends them."""
    later = utcnow() + timedelta(days=29, hours=20)
    plan = Scheduler(sessions, clock=lambda: later).cycle()
    with sessions.begin() as session:
        session.execute(
            Delivery.__table__.update()
            .where(Delivery.status == "pending")
            .values(next_attempt_at=utcnow())
        )
    return len(plan.due)


def _wait_for_the_worker(sessions: sessionmaker[Session], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            pending = session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
            )
        if not pending:
            return
        time.sleep(0.05)
    raise AssertionError(f"{pending} deliveries still pending")


def _exports(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, sweep: Sweep, canaries: Canaries
) -> None:
    """Letters in every format for every case (service: one language each, since a PDF costs
    0.3 s and the language changes no field; all languages in one zip each from the service
    and the CLI), then the CLI's case view and both audit exports."""
    written: list[Path] = []
    refs = [seed.ref for seed in SEED_CASES]
    with sessions() as session:
        # refs[3] was closed above, and a closed case serves no letter (ActionEnded).
        for n, ref in enumerate(refs[:3]):
            lang = ("kk", "ru", "en")[n % 3]
            letters = service.export_letters(session, ref, [lang], "Qaharman")
            written += export.write_letters(letters, service.FORMATS, tmp_path / "svc" / ref)
            sweep.add("mailto", f"{ref} {lang}", " ".join(x.mailto or "" for x in letters))
        archive = service.export_zip(session, refs[0])
        sweep.add("file", service.zip_name(refs[0]), _readable("x.zip", archive))
    env: dict[str, str | None] = {name: None for name in Settings.model_fields}
    env.update(DATABASE_URL=db_url, UABOT_SECRET_KEYS=TEST_KEY)
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(
        main, ["letters", "export", refs[1], "--out", str(out), "--zip"], env=env
    )
    assert result.exit_code == 0, result.output
    sweep.add("cli output", f"letters export {refs[1]}", result.output)
    written += sorted(p for p in out.rglob("*") if p.is_file())
    for ref in refs:
        shown = runner.invoke(main, ["cases", "show", ref], env=env)
        sweep.add("cli output", f"cases show {ref}", shown.output, tuple(canaries.internal_of(ref)))
    for fmt in ("csv", "jsonl"):
        path = tmp_path / f"audit.{fmt}"
        result = runner.invoke(
            main, ["audit", "export", "--format", fmt, "--out", str(path)], env=env
        )
        assert result.exit_code == 0, result.output
        sweep.add(
            "file", path.name, path.read_text(encoding="utf-8"), tuple(canaries.internal_of())
        )
    for path in written:
        sweep.add("file", path.name, _readable(path.name, path.read_bytes()))


def test_no_canary_leaves_the_store_except_on_an_explicit_staff_request(
    server: RunningServer,
    bot: BotThread,
    sessions: sessionmaker[Session],
    engine: Engine,
    db_url: str,
    canaries: Canaries,
    logs: sec.Capture,
    tmp_path: Path,
) -> None:
    sweep = Sweep()
    errors = _run_flow(server, sessions, engine, canaries, sweep)
    due = _scheduled(sessions)
    _wait_for_the_worker(sessions)
    _exports(sessions, db_url, tmp_path, sweep, canaries)
    with sessions() as session:
        chats = set(session.scalars(select(Subscriber.chat_id)))
        sent = set(
            session.scalars(
                select(Alert.kind).join(Delivery).where(Delivery.status == "sent").distinct()
            )
        )
    assert sent >= {"new", "further_information", "closed", "deadline_reminder", "digest"}
    assert sent & {"stale", "deadline_passed"}
    _messages(server.control, {*chats, *FOLLOWERS, sec.COORDINATOR, sec.ADMIN, GROUP}, sweep)
    for reply in errors:
        sweep.add("error reply", f"#{reply['message_id']}", reply["text"])
    for n, line in enumerate(logs.lines):
        sweep.add("log record", f"log #{n}", line)
    raw = sec.scan_raw(engine, list(canaries.restricted.values()))

    needles = canaries.all
    hits = [
        (item.kind, item.name, canary)
        for item in sweep.items
        for canary in needles
        if canary in item.text and canary not in item.allowed
    ]
    secrets = [item.name for item in sweep.items if sec.TOKEN in item.text or TEST_KEY in item.text]
    found_where_asked = {c for item in sweep.items for c in item.allowed if c in item.text}
    assert hits == []
    assert secrets == []
    assert raw.hits == []  # restricted values are ciphertext in every table
    # The canaries were there to be found: each explicit request showed what it should.
    expected_shown = {c for item in sweep.items for c in item.allowed}
    assert found_where_asked == expected_shown
    assert due >= 3, "reminders, a stale notice and a digest were due"
    # The records that would have carried texts were there, and held none.
    assert any("`sendMessage` with parameters `<withheld>`" in line for line in logs.lines)
    kinds: dict[str, int] = {}
    for item in sweep.items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    print(
        f"\ncanary sweep: {len(needles)} canaries ({len(canaries.restricted)} restricted, "
        f"{len(canaries.internal)} internal); scanned "
        + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))
        + f", {raw.cells} raw database cells; alerts delivered: {', '.join(sorted(sent))}: 0 hits; "
        f"{len(found_where_asked)} canaries shown only where staff asked in private"
    )
