"""Demo data: four seed cases from Kazakhstan (a family under surveillance, detained
protesters, a party's prosecuted supporters, women activists) as drafts, imported from their
case documents (bot/seed/*.yaml) in English, Russian and Kazakh; and synthetic subscribers.

Illustrative only: the targets live at example.org, never real officials' contacts.
Loading twice changes nothing (cases are found by reference, subscribers by chat id).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot import resources
from bot.domain import cases, documents
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.staff import SYSTEM
from bot.domain.vocab import country_timezone
from bot.store.models import Case, Scope, Subscriber, WatchSource, utcnow

BATCH = 5_000
# The sandbox's local Bot API server serves this feed (bot/sandbox/samples.py) at the default
# SANDBOX_HOST and SANDBOX_PORT; the seed case watches it, so a newcomer sees news arrive.
SAMPLE_FEED_URL = "http://127.0.0.1:8080/_samples/feeds/kz-monitor.xml"
SAMPLE_FEED_CASE = "KZ-2026-001"
SAMPLE_FEED_KEYWORDS = ["Agadil", "Агадил"]
SEED_DEADLINE_DAYS = 30


@dataclass(frozen=True)
class SeedCase:
    """A seed case's English texts and rows, read off its document (bot/seed/*.yaml)."""

    ref: str
    title: str
    summary: str
    background: str
    themes: tuple[str, ...]
    people: tuple[PersonInput, ...]
    deadline_days: int = 30
    languages: tuple[str, ...] = ("kk", "ru", "en")
    targets: tuple[TargetInput, ...] = field(default=())


def seed_documents() -> list[tuple[Any, dict[str, int]]]:
    """The four seed cases' documents, parsed, with their lines, in reference order."""
    return copy.deepcopy(_parsed_seed_documents())


@lru_cache(maxsize=1)
def _parsed_seed_documents() -> list[tuple[Any, dict[str, int]]]:
    folder = resources.directory(resources.SEED_CASES)
    return [
        documents.load(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.yaml"))
    ]


def _seed_case(data: Any, lines: dict[str, int]) -> SeedCase:
    doc = documents.validate(data, lines)
    english = {name: texts.get("en", "") for name, texts in doc.texts.items()}
    return SeedCase(
        ref=doc.ref,
        title=english["title"],
        summary=english["summary"],
        background=english["background"],
        themes=tuple(doc.themes),
        languages=tuple(doc.languages),
        people=tuple(
            PersonInput(
                name=p.name["en"],
                status=p.status,
                pronoun=p.pronoun,
                age=p.age,
                occupation=p.occupation.get("en"),
                group_size=p.group_size,
            )
            for p in doc.people
        ),
        targets=tuple(
            TargetInput(
                title=t.texts["title"]["en"],
                name=t.texts["name"]["en"],
                institution=t.texts["institution"].get("en", ""),
                country=t.country,
                address=t.texts["address"].get("en", ""),
                email=t.email,
                salutation=t.texts["salutation"].get("en", ""),
                language=t.language,
                role=t.role,
                key=t.key,
            )
            for t in doc.targets
        ),
    )


@lru_cache(maxsize=1)
def seed_cases() -> tuple[SeedCase, ...]:
    """The seed cases as rows, for tests and benchmarks that build them their own way (with
    canaries in their restricted fields, say); `load_cases` imports the documents themselves."""
    return tuple(_seed_case(data, lines) for data, lines in _parsed_seed_documents())


def __getattr__(name: str) -> Any:
    # SEED_CASES and DEMO_TARGETS, read from the documents when first asked for: importing
    # this module reads no file, so `uabot --help` works whatever is in bot/seed.
    if name == "SEED_CASES":
        return seed_cases()
    if name == "DEMO_TARGETS":
        return seed_cases()[0].targets
    raise AttributeError(name)


@dataclass(frozen=True)
class DemoResult:
    cases_created: int
    subscribers_created: int


def load_cases(session: Session, now: datetime | None = None) -> int:
    """Import each seed document whose case is not there yet, as a demo draft whose
    deadline is a month from `now`."""
    now = now or utcnow()
    existing = set(session.scalars(select(Case.ref)))
    created = 0
    for data, lines in seed_documents():
        if data["ref"] in existing:
            continue
        zone = ZoneInfo(data.get("timezone") or country_timezone(data["country"]))
        deadline = (now + timedelta(days=SEED_DEADLINE_DAYS)).astimezone(zone)
        data = {**data, "deadline": deadline.strftime(documents.DEADLINE_FORMAT)}
        documents.import_document(session, SYSTEM, data, lines, now=now, demo=True)
        created += 1
    return created


def create_seed_case(session: Session, seed: SeedCase, now: datetime, **fields: Any) -> Case:
    """The seed case's row, without its people and targets; `fields` add to it."""
    return cases.create_case(
        session,
        SYSTEM,
        ref=seed.ref,
        title=seed.title,
        country="KZ",
        summary=seed.summary,
        background=seed.background,
        themes=seed.themes,
        languages=seed.languages,
        deadline=now + timedelta(days=seed.deadline_days),
        now=now,
        **fields,
    )


def load_subscribers(session: Session, count: int, language: str = "en") -> int:
    """Chat ids 1..count following all cases; set-based, so 100,000 take seconds."""
    created = 0
    for start in range(1, count + 1, BATCH):
        wanted = range(start, min(start + BATCH, count + 1))
        have = set(
            session.scalars(
                select(Subscriber.chat_id).where(
                    Subscriber.chat_id.between(wanted.start, wanted.stop - 1)
                )
            )
        )
        missing = [chat_id for chat_id in wanted if chat_id not in have]
        if not missing:
            continue
        session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": chat_id,
                    "language": language,
                    "mode": "immediate",
                    "status": "active",
                    "timezone": "UTC",
                    "digest_hour": 9,
                    "created_at": utcnow(),
                }
                for chat_id in missing
            ],
        )
        ids = session.scalars(select(Subscriber.id).where(Subscriber.chat_id.in_(missing)))
        session.execute(
            insert(Scope), [{"subscriber_id": sid, "kind": "all", "value": "*"} for sid in ids]
        )
        created += len(missing)
    return created


def load_sample_source(
    session: Session, now: datetime | None = None, url: str = SAMPLE_FEED_URL
) -> bool:
    """The seed case's sample feed, written directly: /watch would refuse its loopback
    address unless WATCH_ALLOW_PRIVATE, and the sandbox allows exactly its own origin."""
    case = session.scalar(select(Case).where(Case.ref == SAMPLE_FEED_CASE))
    if case is None:
        return False
    exists = session.scalar(
        select(WatchSource.id).where(WatchSource.case_id == case.id, WatchSource.url == url)
    )
    if exists is not None:
        return False
    now = now or utcnow()
    session.add(
        WatchSource(
            case_id=case.id,
            url=url,
            keywords=SAMPLE_FEED_KEYWORDS,
            added_at=now,
            next_check_at=now,
        )
    )
    return True


def load(session: Session, subscribers: int = 0, now: datetime | None = None) -> DemoResult:
    result = DemoResult(load_cases(session, now), load_subscribers(session, subscribers))
    load_sample_source(session, now)
    return result
