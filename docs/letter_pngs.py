"""Page 1 of the English, Russian and Kazakh letters of a case document, as PNGs for docs/.

    .venv/bin/python docs/letter_pngs.py bot/seed/KZ-2026-001.yaml docs/

Builds the case in a throwaway SQLite database (each text in each language through
bot/domain/translations.set_text, as a coordinator would), renders the first primary
target's letter in each language signed by a supporter, and converts page 1 of each PDF
with `pdftoppm -r 100 -f 1 -l 1 -png` (Debian: apt-get install poppler-utils).
Needs PyYAML, which reads case documents.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.domain import cases, translations
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.staff import SYSTEM
from bot.letters import service
from bot.letters.sender import Signer
from bot.store import migrate
from bot.store.crypto import generate_key, keyring
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Case, utcnow

LANGS = ("en", "ru", "kk")
SIGNERS = {
    "en": Signer.of("Aigerim Seitkali", "Almaty, Kazakhstan", "aigerim@example.org"),
    "ru": Signer.of("Айгерим Сейткали", "г. Алматы, Казахстан", "aigerim@example.org"),
    "kk": Signer.of("Әйгерім Сейітқали", "Алматы қ., Қазақстан", "aigerim@example.org"),
}
CASE_TEXTS = ("title", "summary", "background", "asks")
TARGET_TEXTS = ("title", "name", "institution", "address", "salutation", "addressee", "asks")


def _build(session: Any, doc: dict[str, Any]) -> str:
    original = doc["language"]
    now = utcnow()
    ref = doc["ref"]
    cases.create_case(
        session,
        SYSTEM,
        ref=ref,
        country=doc["country"],
        language=original,
        themes=doc["themes"],
        languages=doc["languages"],
        deadline=now + timedelta(days=30),
        now=now,
        **{field: doc[field][original] for field in ("title", "summary", "background")},
    )
    for person in doc["people"]:
        cases.add_person(
            session,
            SYSTEM,
            ref,
            PersonInput(
                name=person["name"][original],
                status=person["status"],
                pronoun=person.get("pronoun"),
                age=person.get("age"),
                group_size=person.get("group_size"),
            ),
        )
    for spec in doc["targets"]:
        link = cases.add_target(
            session,
            SYSTEM,
            ref,
            TargetInput(
                title=spec["title"]["en"],
                name=spec["name"]["en"],
                institution=spec["institution"]["en"],
                country=spec["country"],
                address=spec["address"]["en"],
                email=spec.get("email"),
                language=spec["language"],
                role=spec["role"],
            ),
        )
        link.target.pronoun = spec.get("pronoun")
    case = cases.get_case(session, ref)
    _translate(session, case, doc)
    cases.publish(session, SYSTEM, ref, now=now)
    return ref


def _translate(session: Any, case: Case, doc: dict[str, Any]) -> None:
    def put(path: str, texts: dict[str, str] | None) -> None:
        for lang, text in (texts or {}).items():
            translations.set_text(session, SYSTEM, case, translations.parse_path(path), lang, text)

    for field in CASE_TEXTS:
        put(field, doc.get(field))
    for number, person in enumerate(doc["people"], start=1):
        put(f"people[{number}].name", person["name"])
    for number, spec in enumerate(doc["targets"], start=1):
        for field in TARGET_TEXTS:
            put(f"targets[{number}].{field}", spec.get(field))


def _one_page(pdf: Path) -> None:
    """A letter is one page (the layout in bot/letters/pdf.py is set for it): say if not."""
    # Our own file and poppler's tool from PATH: no input from anyone else.
    info = subprocess.run(  # noqa: S603
        ["pdfinfo", pdf],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
    if pages != "1":
        print(f"warning: {pdf.name} has {pages} pages", file=sys.stderr)


def main(document: Path, out_dir: Path) -> None:
    keyring.configure([generate_key()])
    doc = yaml.safe_load(document.read_text("utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/letters.sqlite3")
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            ref = _build(session, doc)
        for lang in LANGS:
            with sessions() as session:
                letter = service.letters_for(session, ref, lang, SIGNERS[lang])[0]
            pdf = Path(tmp) / f"letter-{lang}.pdf"
            pdf.write_bytes(letter.pdf)
            _one_page(pdf)
            stem = out_dir / f"letter-{lang}"
            command = ["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-singlefile", "-png"]
            subprocess.run([*command, pdf, stem], check=True)  # noqa: S603
            print(f"{stem}.png")
        engine.dispose()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else Path("docs"))
