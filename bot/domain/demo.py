"""Demo data: four seed cases from Kazakhstan (a family under surveillance, detained
protesters, a party's prosecuted supporters, women activists) as drafts, and synthetic
subscribers.

Illustrative only: the targets live at example.org, never real officials' contacts.
Loading twice changes nothing (cases are found by reference, subscribers by chat id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.domain import cases
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.staff import SYSTEM
from bot.store.models import Case, Scope, Subscriber, WatchSource, utcnow

BATCH = 5_000
# The sandbox's local Bot API server serves this feed (bot/sandbox/samples.py) at the default
# SANDBOX_HOST and SANDBOX_PORT; the seed case watches it, so a newcomer sees news arrive.
SAMPLE_FEED_URL = "http://127.0.0.1:8080/_samples/feeds/kz-monitor.xml"
SAMPLE_FEED_CASE = "KZ-2026-001"
SAMPLE_FEED_KEYWORDS = ["Agadil", "Агадил"]


@dataclass(frozen=True)
class SeedCase:
    ref: str
    title: str
    summary: str
    background: str
    themes: tuple[str, ...]
    people: tuple[PersonInput, ...]
    deadline_days: int = 30
    languages: tuple[str, ...] = ("kk", "ru", "en")
    targets: tuple[TargetInput, ...] = field(default=())


DEMO_TARGETS = (
    TargetInput(
        title="Prosecutor General",
        name="Prosecutor General of the Republic of Kazakhstan (illustrative)",
        institution="Office of the Prosecutor General",
        country="KZ",
        address="Demo address, Astana, Kazakhstan",
        email="prosecutor-general@example.org",
        salutation="Dear Prosecutor General",
        language="ru",
        role="primary",
    ),
    TargetInput(
        title="Minister of Internal Affairs",
        name="Minister of Internal Affairs (illustrative)",
        institution="Ministry of Internal Affairs",
        country="KZ",
        address="Demo address, Astana, Kazakhstan",
        email="interior-minister@example.org",
        salutation="Dear Minister",
        language="ru",
        role="primary",
    ),
    TargetInput(
        title="Head of the Presidential Administration",
        name="Presidential Administration (illustrative)",
        institution="Office of the President",
        country="KZ",
        address="Demo address, Astana, Kazakhstan",
        email="president-office@example.org",
        salutation="Dear Head of Administration",
        language="ru",
        role="copy",
    ),
)

SEED_CASES = (
    SeedCase(
        ref="KZ-2026-001",
        title="Family of Dulat Agadil under surveillance",
        summary=(
            "The sons and family of activist Dulat Agadil, who died in custody in February 2020 "
            "after torture and medical neglect, are under surveillance for reporting his death "
            "and that of his son Zhanbolat to the EU."
        ),
        background=(
            "Dulat Agadil, a supporter of the peaceful opposition movement Koshe Partiyasy, was "
            "arrested many times. His son Zhanbolat, a key witness to his arrest, was killed "
            "later that November."
        ),
        themes=("surveillance", "reprisals", "death_in_custody"),
        people=(
            PersonInput(
                name="The family of Dulat Agadil", status="under_surveillance", group_size=5
            ),
        ),
    ),
    SeedCase(
        ref="KZ-2026-002",
        title="Post-election protesters detained",
        summary=(
            "Thousands who protested alleged electoral fraud were arrested and held without "
            "water or food, denied a lawyer and contact with their families."
        ),
        background="Kassym-Jomart Tokaev was declared elected with 71% of the vote.",
        themes=("detention", "freedom_of_assembly"),
        people=(
            PersonInput(
                name="Detained post-election protesters", status="detained", group_size=1000
            ),
        ),
    ),
    SeedCase(
        ref="KZ-2026-003",
        title="Koshe Partiyasy supporters prosecuted",
        summary=(
            "At least 177,000 supporters of the peaceful movement Koshe Partiyasy face prosecution."
        ),
        background="Persecution and arrests of opposition supporters are widespread.",
        themes=("freedom_of_expression", "political_prisoners", "fair_trial"),
        people=(
            PersonInput(name="Koshe Partiyasy supporters", status="prosecuted", group_size=177000),
        ),
    ),
    SeedCase(
        ref="KZ-2026-004",
        title="Six women activists who shaved their heads in protest",
        summary=(
            "Six women who shaved their heads on video to demand the release of political "
            "prisoners and laws protecting freedom of choice are at risk of reprisals."
        ),
        background="Among them Rakilja Beknazarova, 42, a physiotherapist.",
        themes=("womens_rights", "freedom_of_expression", "reprisals"),
        people=(
            PersonInput(
                name="Rakilja Beknazarova",
                status="at_risk",
                pronoun="she",
                age=42,
                occupation="physiotherapist",
            ),
            PersonInput(name="Five other women activists", status="at_risk", group_size=5),
        ),
    ),
)


@dataclass(frozen=True)
class DemoResult:
    cases_created: int
    subscribers_created: int


def load_cases(session: Session, now: datetime | None = None) -> int:
    now = now or utcnow()
    existing = set(session.scalars(select(Case.ref)))
    created = 0
    for seed in SEED_CASES:
        if seed.ref in existing:
            continue
        create_seed_case(session, seed, now, demo=True)
        for person in seed.people:
            cases.add_person(session, SYSTEM, seed.ref, person)
        for target in seed.targets or DEMO_TARGETS:
            cases.add_target(session, SYSTEM, seed.ref, target)
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
