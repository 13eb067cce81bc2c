"""Letters as files for an NGO: one per target, language and format, or one zip of them.

Atomic: everything is written into a hidden staging directory inside the output directory,
then each finished file is moved into place with os.replace (same file system, so a move
is a rename). A failure while writing leaves no file behind, not even a half-written one.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from bot.letters.errors import OutputNotWritable

STAGING_PREFIX = ".uabot-letters-"
Progress = Callable[[int], object]


class Exportable(Protocol):
    """What export needs of a letter (service.RenderedLetter is one)."""

    def content(self, fmt: str) -> bytes: ...

    def filename(self, fmt: str) -> str: ...


def _entries(
    letters: Sequence[Exportable], formats: Sequence[str]
) -> Iterable[tuple[str, Exportable, str]]:
    for letter in letters:
        for fmt in formats:
            yield letter.filename(fmt), letter, fmt


def zip_bytes(
    letters: Sequence[Exportable], formats: Sequence[str], progress: Progress | None = None
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, letter, fmt in _entries(letters, formats):
            archive.writestr(name, letter.content(fmt))
            if progress is not None:
                progress(1)
    return buffer.getvalue()


def _not_writable(path: Path, exc: OSError) -> OutputNotWritable:
    return OutputNotWritable(path=str(path), reason=exc.strerror or type(exc).__name__)


class Staging:
    """Files written here stay hidden until `write` has finished them all."""

    def __init__(self, directory: Path, out_dir: Path) -> None:
        self.directory = directory
        self.out_dir = out_dir
        self.published: list[Path] = []

    def write(
        self,
        letters: Sequence[Exportable],
        formats: Sequence[str],
        *,
        zip_name: str | None = None,
        progress: Progress | None = None,
    ) -> list[Path]:
        """The files (or, with `zip_name`, one archive), moved into place once all are done."""
        if zip_name is None:
            names = self._each(letters, formats, progress)
        else:
            (self.directory / zip_name).write_bytes(zip_bytes(letters, formats, progress))
            names = [zip_name]
        for name in names:
            os.replace(self.directory / name, self.out_dir / name)
            self.published.append(self.out_dir / name)
        return list(self.published)

    def _each(
        self, letters: Sequence[Exportable], formats: Sequence[str], progress: Progress | None
    ) -> list[str]:
        names = []
        for name, letter, fmt in _entries(letters, formats):
            (self.directory / name).write_bytes(letter.content(fmt))
            names.append(name)
            if progress is not None:
                progress(1)
        return names


@contextmanager
def staging(out_dir: Path) -> Iterator[Staging]:
    """A hidden directory inside `out_dir` (made if missing), removed whatever happens.

    Entering fails at once with OutputNotWritable when `out_dir` cannot be written, so a
    caller learns it before rendering anything.
    """
    existed = out_dir.is_dir()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        stage = Staging(Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir)), out_dir)
    except OSError as exc:
        raise _not_writable(out_dir, exc) from None
    try:
        yield stage
    except OSError as exc:
        raise _not_writable(out_dir, exc) from None
    finally:
        shutil.rmtree(stage.directory, ignore_errors=True)
        if not existed and not stage.published:  # a directory made for a failed export
            shutil.rmtree(out_dir, ignore_errors=True)


def write_letters(
    letters: Sequence[Exportable],
    formats: Sequence[str],
    out_dir: Path,
    *,
    zip_name: str | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    with staging(out_dir) as stage:
        return stage.write(letters, formats, zip_name=zip_name, progress=progress)
