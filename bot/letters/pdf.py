"""A letter as an A4 PDF, with a font that has every Kazakh letter (ә ғ қ ң ө ұ ү һ і).

Why fpdf2: it is pure Python (its only native dependency, Pillow, ships wheels), so
`pip install` is all a machine needs, unlike WeasyPrint, which needs Pango and Cairo from the
system; it embeds a subset of any TrueType font with a ToUnicode map, so the Cyrillic text
can be copied out and searched (the tests read it back with pypdf); and a one-page letter
takes a few tens of milliseconds. reportlab would do too, but its Unicode TTF path is
clumsier for what is here a few paragraphs of flowing text.

The font is Adobe's Source Sans Pro (SIL OFL), installed from PyPI by the package
`font-source-sans-pro`, a dependency in pyproject.toml: nothing is assumed about the fonts
a machine happens to have.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from bot.letters.render import Letter

FAMILY = "SourceSansPro"
FONT_FILES = {"": "SourceSansPro-Regular.ttf", "B": "SourceSansPro-Bold.ttf"}
MARGIN_MM = 20
BODY_PT = 10.5
SMALL_PT = 9.5
LINE_MM = 5.2
SIGN_ROOM_MM = 11  # between the closing and the name: room to sign by hand

# fontTools logs each step of subsetting the font at INFO: a screenful per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def font_dir() -> Path:
    return Path(str(files("font_source_sans_pro") / "files"))


def _document(letter: Letter) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    for style, name in FONT_FILES.items():
        pdf.add_font(FAMILY, style, str(font_dir() / name))
    pdf.set_lang(letter.lang)
    pdf.set_title(letter.subject)
    if letter.author:
        pdf.set_author(letter.author)
    pdf.set_creator("uabot")
    pdf.add_page()
    return pdf


def _lines(pdf: FPDF, text: str, *, size: float, style: str = "", align: Align = Align.L) -> None:
    pdf.set_font(FAMILY, style, size)
    pdf.multi_cell(0, LINE_MM, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _addressee(pdf: FPDF, letter: Letter) -> None:
    """Top left in English letters; top right, in the right half of the page, in Russian and
    Kazakh business letters (address_side.txt says which)."""
    if letter.address_side == "right":
        half = (pdf.w - 2 * MARGIN_MM) / 2
        pdf.set_font(FAMILY, "", BODY_PT)
        pdf.set_x(MARGIN_MM + half)
        pdf.multi_cell(
            half,
            LINE_MM,
            "\n".join(letter.address),
            align=Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    else:
        _lines(pdf, "\n".join(letter.address), size=BODY_PT)


def _paragraphs(pdf: FPDF, text: str) -> None:
    # A blank line in the text is a paragraph break: a little space, not a whole empty line.
    for paragraph in text.split("\n\n"):
        _lines(pdf, paragraph, size=BODY_PT)
        pdf.ln(LINE_MM * 0.6)


def _signed(pdf: FPDF, letter: Letter) -> None:
    """The closing, room to sign, then the sender block (or the lines to sign and name)."""
    _lines(pdf, letter.closing, size=BODY_PT)
    pdf.ln(SIGN_ROOM_MM if letter.author else LINE_MM)
    _lines(pdf, "\n".join(letter.sender), size=BODY_PT)


def letter_pdf(letter: Letter) -> bytes:
    pdf = _document(letter)
    _addressee(pdf, letter)
    pdf.ln(LINE_MM)
    _lines(pdf, letter.date, size=BODY_PT, align=Align.R)
    pdf.ln(LINE_MM)
    _lines(pdf, letter.subject, size=BODY_PT, style="B")
    pdf.ln(LINE_MM)
    _paragraphs(pdf, f"{letter.salutation}\n\n{letter.body}")
    pdf.ln(LINE_MM * 0.4)
    _signed(pdf, letter)
    if letter.copies_note:
        pdf.ln(LINE_MM)
        _lines(pdf, letter.copies_note, size=SMALL_PT)
    return bytes(pdf.output())
