"""Telegram's MarkdownV2 parse mode, after tdlib's `parse_markdown_v2`.

Its point here is the errors: a reserved character left unescaped, or an entity left open,
is refused by Telegram, so it must be refused by the local server too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.botapi.entities import EntityError, utf16_len

RESERVED = "_*[]()~`>#+-=|{}.!"
_TYPES = {
    "Bold": "bold",
    "Italic": "italic",
    "Underline": "underline",
    "Strikethrough": "strikethrough",
    "Spoiler": "spoiler",
    "Code": "code",
    "Pre": "pre",
    "TextUrl": "text_link",
    "CustomEmoji": "custom_emoji",
}


@dataclass
class _Open:
    kind: str
    byte_offset: int
    offset: int  # in the output, UTF-16 units
    start: int  # in the output, characters
    argument: str = ""


@dataclass
class _Parser:
    source: str
    out: list[str] = field(default_factory=list)
    length: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    quote_start: int | None = None

    def at(self, i: int) -> str:
        return self.source[i] if i < len(self.source) else ""

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def byte_offset(self, i: int) -> int:
        return len(self.source[:i].encode("utf-8"))

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        while i < len(self.source):
            i = self.step(i)
        self.close_quote()
        if self.stack:
            last = self.stack[-1]
            raise EntityError(
                f"Can't find end of {last.kind} entity at byte offset {last.byte_offset}"
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def step(self, i: int) -> int:
        char = self.source[i]
        if char == "\\" and self.at(i + 1) and ord(self.at(i + 1)) <= 126:
            self.emit(self.at(i + 1))
            return i + 2
        if char == ">" and not self.stack and (i == 0 or self.source[i - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.length
            return i + 1
        if char == "\n" and self.quote_start is not None and self.at(i + 1) != ">":
            self.close_quote()
        reserved = "`" if self.stack and self.stack[-1].kind in ("Code", "Pre") else RESERVED
        if char not in reserved:
            self.emit(char)
            return i + 1
        if self.stack and self.ends(self.stack[-1].kind, i):
            return self.close(i)
        return self.open(i)

    def ends(self, kind: str, i: int) -> bool:
        char, following = self.source[i], self.at(i + 1)
        return {
            "Bold": char == "*",
            "Italic": char == "_" and following != "_",
            "Underline": char == "_" and following == "_",
            "Strikethrough": char == "~",
            "Spoiler": char == "|" and following == "|",
            "Code": char == "`",
            "Pre": self.source[i : i + 3] == "```",
            "TextUrl": char == "]",
            "CustomEmoji": char == "]",
        }[kind]

    def open(self, i: int) -> int:
        char, following = self.source[i], self.at(i + 1)
        begin = self.byte_offset(i)
        simple = {"*": ("Bold", 1), "~": ("Strikethrough", 1), "[": ("TextUrl", 1)}
        if char in simple:
            kind, width = simple[char]
        elif char == "_":
            kind, width = ("Underline", 2) if following == "_" else ("Italic", 1)
        elif char == "|" and following == "|":
            kind, width = "Spoiler", 2
        elif char == "!" and following == "[":
            kind, width = "CustomEmoji", 2
        elif char == "`" and self.source[i : i + 3] == "```":
            return self.open_pre(i)
        elif char == "`":
            kind, width = "Code", 1
        else:
            raise EntityError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        self.stack.append(_Open(kind, begin, self.length, len("".join(self.out))))
        return i + width

    def open_pre(self, i: int) -> int:
        begin = self.byte_offset(i)
        i += 3
        end = i
        while end < len(self.source) and not self.source[end].isspace() and self.source[end] != "`":
            end += 1
        language = ""
        if end != i and end < len(self.source) and self.source[end] != "`":
            language, i = self.source[i:end], end
        if self.at(i) in ("\n", "\r"):
            i += 1
        self.stack.append(_Open("Pre", begin, self.length, len("".join(self.out)), language))
        return i

    def close(self, i: int) -> int:
        opened = self.stack.pop()
        width = {"Underline": 2, "Spoiler": 2, "Pre": 3}.get(opened.kind, 1)
        i += width
        url = ""
        if opened.kind in ("TextUrl", "CustomEmoji"):
            url, i = self.link_target(opened, i)
        if self.length > opened.offset:
            entity = {
                "type": _TYPES[opened.kind],
                "offset": opened.offset,
                "length": self.length - opened.offset,
            }
            if opened.kind == "TextUrl":
                entity["url"] = url
            if opened.kind == "Pre" and opened.argument:
                entity["language"] = opened.argument
            if opened.kind == "CustomEmoji":
                entity["custom_emoji_id"] = url.rpartition("id=")[2]
            self.entities.append(entity)
        return i

    def link_target(self, opened: _Open, i: int) -> tuple[str, int]:
        if self.at(i) != "(":
            return "".join(self.out)[opened.start :], i
        i += 1
        begin, url = i, []
        while i < len(self.source) and self.source[i] != ")":
            if self.source[i] == "\\" and self.at(i + 1) and ord(self.at(i + 1)) <= 126:
                url.append(self.source[i + 1])
                i += 2
                continue
            url.append(self.source[i])
            i += 1
        if i >= len(self.source):
            raise EntityError(f"Can't find end of a URL at byte offset {self.byte_offset(begin)}")
        return "".join(url), i + 1

    def close_quote(self) -> None:
        if self.quote_start is not None and self.length > self.quote_start:
            self.entities.append(
                {
                    "type": "blockquote",
                    "offset": self.quote_start,
                    "length": self.length - self.quote_start,
                }
            )
        self.quote_start = None


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The text a user sees and its entities; raises `EntityError` like Telegram would."""
    return _Parser(source).run()
