"""What a fetched body holds: a feed's entries (feedparser), or a web page's main text.

Pure functions of the bytes; CPU-bound, so the poller runs them off its event loop.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser

from bot.watch.fetch import Fetched
from bot.watch.problems import Problem

TITLE_LENGTH = 300
LINK_LENGTH = 2000
# Not the main text: navigation, chrome, code, forms.
SKIPPED_TAGS = {
    *("script", "style", "noscript", "template", "svg", "canvas", "iframe", "object"),
    *("nav", "header", "footer", "aside", "form", "select", "button", "head"),
}
MAIN_TAGS = {"main", "article"}
BLOCK_TAGS = {
    *("p", "div", "li", "ul", "ol", "br", "hr", "tr", "td", "th", "dd", "dt", "pre"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "section", "blockquote", "table", "figcaption"),
    *MAIN_TAGS,
}
VOID_TAGS = {"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "col"}
SPACES = re.compile(r"\s+")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# Entries taken from one check of a feed (a 60,000-item feed fits the size cap).
MAX_ENTRIES = 200


@dataclass(frozen=True)
class Entry:
    key: str  # the hash of its guid, else its link, else its title and text: never its date
    title: str
    link: str | None
    summary: str
    published: datetime | None

    @property
    def text(self) -> str:
        """What keywords are looked for in: the title and the summary."""
        return f"{self.title}\n{self.summary}"


@dataclass(frozen=True)
class Page:
    title: str
    blocks: tuple[str, ...]  # the main text, a paragraph (or heading, list item…) each

    @property
    def text(self) -> str:
        return "\n".join(self.blocks)

    @property
    def key(self) -> str:
        return digest(self.text)


def parse(kind: str | None, fetched: Fetched) -> tuple[str, list[Entry] | Page]:
    """(kind, what it holds). A source whose kind is not yet known is told by its content."""
    if kind == "page":
        return "page", parse_page(fetched)
    parsed = _feedparser(fetched)
    if _is_feed(parsed, fetched):
        return "feed", entries_of(parsed)
    if kind == "feed":
        reason = str(parsed.get("bozo_exception") or fetched.content_type or "?")
        raise Problem("not_feed", reason[:80])
    if _looks_like_html(fetched):
        return "page", parse_page(fetched)
    raise Problem("unknown_type", (fetched.content_type or "?")[:80])


def _feedparser(fetched: Fetched) -> Any:
    content_type = fetched.content_type or "application/octet-stream"
    if fetched.charset:
        content_type += f"; charset={fetched.charset}"
    # Bytes, always: given a str that looks like a URL, feedparser would fetch it itself.
    # Entry links are resolved against content-location all the same; HTML inside entries
    # is reduced to plain text here (plain_text), so feedparser need not sanitise it.
    return feedparser.parse(
        first_entries(bytes(fetched.body), 2 * MAX_ENTRIES),
        response_headers={"content-type": content_type, "content-location": fetched.url},
        resolve_relative_uris=False,
        sanitize_html=False,
    )


# The end of an RSS item or an Atom entry, with or without a namespace prefix.
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)


def first_entries(body: bytes, limit: int) -> bytes:
    """The body cut after its `limit`-th item or entry. feedparser builds every entry it
    reads: 60,000 tiny items fit under the 2 MB cap and cost it hundreds of MB. A feed lists
    its newest first, and one check records at most MAX_ENTRIES (twice that are kept for the
    entries a broken feed leaves empty or repeats). feedparser reads the cut body as a feed
    that ends early, which it recovers from."""
    for count, match in enumerate(_ENTRY_END.finditer(body), start=1):
        if count == limit:
            return body[: match.end()]
    return body


def _is_feed(parsed: Any, fetched: Fetched) -> bool:
    if parsed.get("bozo") and not entries_of(parsed):
        return False  # feedparser recovers from much: not from a body with nothing in it
    if parsed.get("version"):
        return True
    return bool(parsed.get("entries")) and "html" not in fetched.content_type


def _looks_like_html(fetched: Fetched) -> bool:
    head = fetched.body[:1024].lstrip().lower()
    return "html" in fetched.content_type or head.startswith((b"<!doctype html", b"<html"))


def entries_of(parsed: Any, limit: int = MAX_ENTRIES) -> list[Entry]:
    """Each entry once, in the feed's order, the first `limit` only: a feed lists its newest
    first, and one check records at most that many items in one short transaction."""
    seen: set[str] = set()
    entries: list[Entry] = []
    for raw in parsed.get("entries", []):
        if len(entries) >= limit:
            break
        if not any(raw.get(name) for name in ("id", "link", "title", "summary")):
            continue  # what a broken feed leaves: an entry with nothing to know it by
        entry = _entry(raw)
        if entry.key not in seen:
            seen.add(entry.key)
            entries.append(entry)
    return entries


def _entry(raw: Any) -> Entry:
    title = plain_text(str(raw.get("title") or ""))
    summary = plain_text(str(raw.get("summary") or ""))
    link = safe_link(raw.get("link"))
    guid = str(raw.get("id") or "").strip()
    identity = f"id:{guid}" if guid else f"link:{link}" if link else f"text:{title}\n{summary}"
    return Entry(
        key=digest(identity),
        title=title[:TITLE_LENGTH],
        link=link,
        summary=summary,
        published=_when(_date(raw)),
    )


def _date(raw: Any) -> Any:
    # `in` first: feedparser maps a missing updated_parsed to published_parsed, with a warning.
    updated = raw.get("updated_parsed") if "updated_parsed" in raw else None
    return raw.get("published_parsed") or updated


def _when(parsed: Any) -> datetime | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def safe_link(value: object) -> str | None:
    """An http(s) link to show, or None: a feed's javascript: or data: link never reaches a
    coordinator's screen."""
    link = str(value or "").strip()
    if not link or len(link) > LINK_LENGTH:
        return None
    try:
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return None
    return link if scheme in ("http", "https") else None


def plain_text(html: str) -> str:
    """The text of an HTML fragment, whitespace collapsed."""
    if "<" not in html and "&" not in html:
        return SPACES.sub(" ", html).strip()
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return " ".join(extractor.blocks(main_only=False))


def parse_page(fetched: Fetched) -> Page:
    extractor = _TextExtractor()
    extractor.feed(decode(fetched.body, fetched.charset))
    extractor.close()
    blocks = tuple(extractor.blocks(main_only=True))
    if not blocks and not extractor.title:
        raise Problem("not_page", (fetched.content_type or "?")[:80])
    return Page(extractor.title[:TITLE_LENGTH], blocks)


def decode(body: bytes, charset: str | None) -> str:
    """The header's charset, else a <meta charset>, else UTF-8 (many Cyrillic sites still
    serve windows-1251 and say so only in the page)."""
    candidates = [charset] if charset else []
    found = META_CHARSET.search(body[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii", "ignore"))
    for candidate in [*candidates, "utf-8"]:
        try:
            return body.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


class _TextExtractor(HTMLParser):
    """Text by block, minus navigation and scripts; what sits in <main> or <article> apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self._skip = 0
        self._main = 0
        self._in_title = False
        self._all: list[list[str]] = [[]]
        self._main_blocks: list[list[str]] = [[]]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            if tag in BLOCK_TAGS:
                self._break()
            return
        if tag in SKIPPED_TAGS:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        if tag in MAIN_TAGS:
            self._main += 1
        if tag in BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        if tag in MAIN_TAGS and self._main:
            self._main -= 1
        if tag in BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = SPACES.sub(" ", self.title + data).strip()
            return
        if self._skip:
            return
        self._all[-1].append(data)
        if self._main:
            self._main_blocks[-1].append(data)

    def _break(self) -> None:
        for blocks in (self._all, self._main_blocks):
            if blocks[-1]:
                blocks.append([])

    def blocks(self, *, main_only: bool) -> list[str]:
        source = self._main_blocks if main_only and any(self._main_blocks[0:]) else self._all
        texts = (SPACES.sub(" ", "".join(parts)).strip() for parts in source)
        return [text for text in texts if text]
