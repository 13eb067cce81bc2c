"""bot/letters/export.py: one file per letter and format, or one zip; all or nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.letters import export
from bot.letters.errors import OutputNotWritable
from bot.letters.render import render_letter
from bot.letters.service import FORMATS, RenderedLetter
from tests.letters.conftest import KK_TARGET, ON, RU_TARGET, public_case, public_target


def _letters() -> list[RenderedLetter]:
    case = public_case()
    return [
        RenderedLetter(render_letter(case, public_target(spec), lang, on=ON), number)
        for lang in ("kk", "ru")
        for number, spec in enumerate((KK_TARGET, RU_TARGET), start=1)
    ]


class Breaks(RenderedLetter):
    """A letter whose PDF cannot be made: the export must stop with nothing written."""

    def content(self, fmt: str) -> bytes:
        if fmt == "pdf":
            raise RuntimeError("the PDF library failed")
        return super().content(fmt)


def test_each_letter_and_format_is_one_file_and_progress_counts_them(tmp_path: Path) -> None:
    steps: list[int] = []
    paths = export.write_letters(_letters(), FORMATS, tmp_path, progress=steps.append)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(p.name for p in paths)
    assert len(names) == 12 and sum(steps) == 12
    assert "KZ-2026-201_ru_02_министр-внутренних-дел.eml" in names
    assert (
        (tmp_path / "KZ-2026-201_kk_01_бас-прокурор.txt")
        .read_text("utf-8")
        .startswith("Бас прокурор\nБерік Асқарұлы Жұмабаев")
    )


def test_the_zip_holds_the_same_files(tmp_path: Path) -> None:
    (path,) = export.write_letters(_letters(), ("txt", "pdf"), tmp_path, zip_name="letters.zip")
    assert [p.name for p in tmp_path.iterdir()] == ["letters.zip"]
    with zipfile.ZipFile(path) as archive:
        assert len(archive.namelist()) == 8
        assert archive.testzip() is None
        with archive.open("KZ-2026-201_kk_02_министр-внутренних-дел.txt") as text:
            assert "Құрметпен," in io.TextIOWrapper(text, "utf-8").read()


def test_a_failure_half_way_leaves_nothing_in_the_output_directory(tmp_path: Path) -> None:
    (tmp_path / "earlier.txt").write_text("an earlier export, kept")
    good = _letters()
    broken = [*good[:2], Breaks(good[2].letter, good[2].number), *good[3:]]
    with pytest.raises(RuntimeError):
        export.write_letters(broken, FORMATS, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["earlier.txt"]


def test_a_directory_made_for_a_failed_export_is_removed(tmp_path: Path) -> None:
    good = _letters()
    with pytest.raises(RuntimeError):
        export.write_letters([Breaks(good[0].letter, 1)], FORMATS, tmp_path / "new" / "dir")
    assert not (tmp_path / "new" / "dir").exists()


def test_an_output_path_that_cannot_be_a_directory_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OutputNotWritable) as refused:
        export.write_letters(_letters(), FORMATS, tmp_path / "a-file" / "out")
    message = refused.value.message("en")
    assert message == (
        f"Cannot write letters to {tmp_path / 'a-file' / 'out'} (Not a directory); "
        "nothing was written."
    )
