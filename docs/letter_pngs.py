"""Page 1 of the English, Russian and Kazakh letters of a case document, as PNGs for docs/.

    .venv/bin/python docs/letter_pngs.py bot/seed/KZ-2026-001.yaml docs/

Imports the case into a throwaway SQLite database (bot/domain/documents.py, as
`uabot cases import` does), renders the first primary
target's letter in each language signed by a supporter, and converts page 1 of each PDF
with `pdftoppm -r 100 -f 1 -l 1 -png` (Debian: apt-get install poppler-utils).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.domain import cases, documents
from bot.domain.staff import SYSTEM
from bot.letters import service
from bot.letters.sender import Signer
from bot.store import migrate
from bot.store.crypto import generate_key, keyring
from bot.store.db import make_engine, make_session_factory
from bot.store.models import utcnow

LANGS = ("en", "ru", "kk")
SIGNERS = {
    "en": Signer.of("Aigerim Seitkali", "Almaty, Kazakhstan", "aigerim@example.org"),
    "ru": Signer.of("Айгерим Сейткали", "г. Алматы, Казахстан", "aigerim@example.org"),
    "kk": Signer.of("Әйгерім Сейітқали", "Алматы қ., Қазақстан", "aigerim@example.org"),
}


def _build(session: Any, text: str) -> str:
    """The case as `uabot cases import` makes it, given a deadline a month ahead, published."""
    data, lines = documents.load(text)
    case, _ = documents.import_document(session, SYSTEM, data, lines)
    cases.set_deadline(session, SYSTEM, case.ref, utcnow() + timedelta(days=30))
    cases.publish(session, SYSTEM, case.ref)
    return case.ref


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
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/letters.sqlite3")
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            ref = _build(session, document.read_text("utf-8"))
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
