"""Builders for the letter tests: a Kazakhstan case with Kazakh, Russian and copy targets,
and a canary planted in every restricted and internal field it has."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pypdf
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.staff import Actor
from bot.domain.views import PublicCase, PublicPerson, PublicTarget
from tests.clock import NOW

ON = date(2026, 3, 2)
REF = "KZ-2026-201"
COORDINATOR = Actor(user_id=2002, role="coordinator")
PLAIN = Actor(user_id=2003, role=None)
KAZAKH_LETTERS = "әғқңөұүһі"
ORG_KK = "Қаһарман қоры"

# Planted where no letter may ever reach: Person's restricted fields, Case's internal
# fields, and a further information's internal note.
RESTRICTED = {
    "whereabouts": "CANARY-whereabouts-cell-17",
    "family_contacts": "CANARY-family-+7-701-555-0101",
    "sources": "CANARY-sources-cousin-at-ministry",
    "health": "CANARY-health-untreated-fracture",
    "notes": "CANARY-notes-do-not-publish",
}
INTERNAL = {
    "internal_index": "CANARY-internal-index-EUR-57",
    "internal_notes": "CANARY-internal-notes-lawyer-strategy",
}
EVENT_NOTE = "CANARY-event-internal-note-witness-name"
CANARIES = (*RESTRICTED.values(), *INTERNAL.values(), EVENT_NOTE)

KK_TARGET = TargetInput(
    title="Бас прокурор",
    name="Берік Асқарұлы Жұмабаев",
    institution="Қазақстан Республикасының Бас прокуратурасы (illustrative)",
    country="KZ",
    address="Мәңгілік Ел даңғылы, 14\nАстана, 010000",
    email="bas-prokuror@example.org",
    salutation="Құрметті Бас прокурор!",
    language="kk",
    role="primary",
)
RU_TARGET = TargetInput(
    title="Министр внутренних дел",
    name="Ерлан Маратович Тұрғынбеков",
    institution="Министерство внутренних дел (illustrative)",
    country="KZ",
    address="Мәңгілік Ел даңғылы, 8, Үкімет үйі\nАстана, 010000",
    email="minister@example.org",
    salutation="Уважаемый господин министр!",
    language="ru",
    role="primary",
)
COPY_TARGET = TargetInput(
    title="Ambassador",
    name="Embassy of Kazakhstan (illustrative)",
    institution="Embassy of the Republic of Kazakhstan",
    country="DE",
    address="Demo street 1, Berlin",
    email="embassy@example.org",
    salutation="Your Excellency",
    language="en",
    role="copy",
)
PEOPLE = (
    PersonInput(
        name="Әлия Үсенқызы",
        status="detained",
        pronoun="she",
        age=34,
        occupation="journalist",
        **RESTRICTED,
    ),
    PersonInput(name="Жаңаөзеннің бейбіт тұрғындары", status="detained", group_size=40),
)


def make_case(
    session: Session,
    ref: str = REF,
    *,
    targets: Iterable[TargetInput] = (KK_TARGET, RU_TARGET, COPY_TARGET),
    people: Iterable[PersonInput] = PEOPLE,
    languages: tuple[str, ...] = ("kk", "ru", "en"),
    themes: tuple[str, ...] = ("detention",),
    publish: bool = True,
) -> str:
    cases.create_case(
        session,
        COORDINATOR,
        ref=ref,
        title="Journalist detained in Zhanaozen",
        country="KZ",
        summary="A journalist and residents were detained after a peaceful protest.",
        themes=themes,
        languages=languages,
        deadline=NOW + timedelta(days=14),
        now=NOW,
        **INTERNAL,
    )
    for person in people:
        cases.add_person(session, COORDINATOR, ref, person)
    for target in targets:
        cases.add_target(session, COORDINATOR, ref, target)
    if publish:
        cases.publish(session, COORDINATOR, ref, now=NOW)
        cases.further_information(
            session, COORDINATOR, ref, "Family visits were refused.", internal_note=EVENT_NOTE
        )
    return ref


@pytest.fixture
def case_ref(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        return make_case(session)


def public_target(spec: TargetInput) -> PublicTarget:
    return PublicTarget(
        role=spec.role,
        title=spec.title,
        name=spec.name,
        institution=spec.institution,
        country=spec.country,
        address=spec.address,
        email=spec.email,
        salutation=spec.salutation,
        language=spec.language,
    )


def public_case(
    *,
    themes: tuple[str, ...] = ("detention",),
    people: tuple[PublicPerson, ...] | None = None,
    targets: tuple[TargetInput, ...] = (KK_TARGET, RU_TARGET, COPY_TARGET),
) -> PublicCase:
    """The public view as the store would give it, for the pure tests (no database)."""
    return PublicCase(
        ref=REF,
        title="Journalist detained in Zhanaozen",
        country="KZ",
        timezone="Asia/Almaty",
        summary="A journalist and residents were detained after a peaceful protest.",
        background="",
        themes=themes,
        languages=("kk", "ru", "en"),
        deadline=datetime(2026, 3, 20, 18, 0, tzinfo=UTC),
        status="active",
        outcome=None,
        fi_count=0,
        people=people
        or (
            PublicPerson(1, "Әлия Үсенқызы", "she", 34, "journalist", None, "detained"),
            PublicPerson(2, "Жаңаөзеннің бейбіт тұрғындары", None, None, None, 40, "detained"),
        ),
        targets=tuple(public_target(t) for t in targets),
    )


def pdf_text(data: bytes) -> str:
    """The text a reader copies out of the PDF, whitespace collapsed to single spaces."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    return " ".join(f"{text} {metadata}".split())


# A case whose texts are in English (the original), Russian and Kazakh, as a coordinator
# writes them with /translate: what a letter in each language is made from.
TRANSLATED = {
    "title": {"ru": "Журналистка задержана в Жанаозене", "kk": "Жаңаөзенде журналист ұсталды"},
    "summary": {
        "ru": "Журналистку задержали после мирного протеста.",
        "kk": "Журналист бейбіт наразылықтан кейін ұсталды.",
    },
    "people[1].name": {"ru": "Алия Усенкызы", "kk": "Әлия Үсенқызы"},
    "targets[1].title": {"ru": "Генеральный прокурор", "kk": "Бас прокурор"},
    "targets[1].addressee": {
        "ru": "Генеральному прокурору\nРеспублики Казахстан",
        "kk": "Қазақстан Республикасының\nБас прокурорына",
    },
    "targets[1].polite_name": {"ru": "Берик Асқарович"},
    "targets[3].title": {"ru": "Посол", "kk": "Елші"},
    "targets[3].addressee": {"ru": "Послу Республики Казахстан в Германии"},
}


def translate(session: Session, ref: str = REF) -> None:
    from bot.domain import translations

    case = cases.get_case(session, ref)
    for path, texts in TRANSLATED.items():
        for lang, text in texts.items():
            translations.set_text(
                session, COORDINATOR, case, translations.parse_path(path), lang, text
            )
