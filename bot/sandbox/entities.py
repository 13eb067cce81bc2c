"""Telegram's HTML parse mode: plain text plus entities, or the error Telegram would give.

Follows tdlib's `parse_html` closely enough that what it rejects, Telegram rejects too:
only the tags below, properly nested; `&lt; &gt; &amp; &quot;` and numeric references.
Offsets and lengths are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z0-9_-]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,10});")
_BOT_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


class EntityError(ValueError):
    """The text does not parse; the message is what Telegram puts after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    offset: int
    attributes: dict[str, str]


@dataclass
class _Parser:
    source: str
    out: list[str] = field(default_factory=list)
    length: int = 0  # of `out`, in UTF-16 units
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        while i < len(self.source):
            char = self.source[i]
            if char == "<":
                i = self.end_tag(i) if self.source[i + 1 : i + 2] == "/" else self.start_tag(i)
            elif char == "&":
                i = self.reference(i)
            else:
                next_special = _next_special(self.source, i)
                self.emit(self.source[i:next_special])
                i = next_special
        if self.stack:
            raise EntityError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def reference(self, i: int) -> int:
        text, end = _reference(self.source, i)
        self.emit(text)
        return end

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while i < len(self.source) and not self.source[i].isspace() and self.source[i] != ">":
            i += 1
        if i >= len(self.source):
            raise EntityError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.source[begin + 1 : i].lower()
        if tag not in TAG_TYPES:
            raise EntityError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        attributes, i = self.attributes(tag, begin, i)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityError('Tag "span" must have class "tg-spoiler"')
        self.stack.append(_Open(tag, self.length, attributes))
        return i + 1

    def attributes(self, tag: str, begin: int, i: int) -> tuple[dict[str, str], int]:
        attributes: dict[str, str] = {}
        while True:
            while i < len(self.source) and self.source[i].isspace():
                i += 1
            if i >= len(self.source):
                raise EntityError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.source[i] == ">":
                return attributes, i
            match = _ATTRIBUTE.match(self.source, i)
            if match is None or match.group(2) is None:
                raise EntityError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            value = match.group(2).strip("\"'")
            attributes[match.group(1).lower()] = _unescape(value)
            i = match.end()

    def end_tag(self, begin: int) -> int:
        close = self.source.find(">", begin)
        if close < 0:
            raise EntityError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        if not self.stack:
            raise EntityError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        tag = self.source[begin + 2 : close].strip().lower()
        opened = self.stack.pop()
        if tag != opened.tag:
            raise EntityError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{tag}>"'
            )
        self.add_entity(opened)
        return close + 1

    def add_entity(self, opened: _Open) -> None:
        length = self.length - opened.offset
        if length == 0:
            return
        entity: dict[str, Any] = {
            "type": TAG_TYPES[opened.tag],
            "offset": opened.offset,
            "length": length,
        }
        if opened.tag == "a":
            if not opened.attributes.get("href"):
                return  # tdlib drops a link without a target
            entity["url"] = opened.attributes["href"]
        if opened.tag == "code" and self.stack and self.stack[-1].tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, as in tdlib.
            language = opened.attributes.get("class", "").removeprefix("language-")
            if language:
                self.stack[-1].attributes["language"] = language
            return
        if opened.tag == "pre" and opened.attributes.get("language"):
            entity["language"] = opened.attributes["language"]
        if opened.tag == "blockquote" and "expandable" in opened.attributes:
            entity["type"] = "expandable_blockquote"
        if opened.tag == "tg-emoji":
            entity["custom_emoji_id"] = opened.attributes.get("emoji-id", "")
        self.entities.append(entity)


def _next_special(text: str, start: int) -> int:
    positions = [p for p in (text.find("<", start), text.find("&", start)) if p >= 0]
    return min(positions) if positions else len(text)


def _reference(source: str, i: int) -> tuple[str, int]:
    """The text a '&' at `i` stands for, and where parsing goes on."""
    match = _REFERENCE.match(source, i)
    if match is None:
        return "&", i + 1  # tdlib keeps an unrecognised '&' as it is
    name = match.group(1)
    if name.startswith("#x"):
        return chr(min(int(name[2:], 16), 0x10FFFF)), match.end()
    if name.startswith("#"):
        return chr(min(int(name[1:]), 0x10FFFF)), match.end()
    if name in NAMED_REFERENCES:
        return NAMED_REFERENCES[name], match.end()
    return "&", i + 1


def _unescape(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            text, i = _reference(value, i)
            out.append(text)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The text a user sees and its entities; raises `EntityError` like Telegram would."""
    return _Parser(source).run()


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """The `bot_command` entities Telegram adds to a user's message (PTB's filters need them)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _BOT_COMMAND.finditer(text)
    ]
