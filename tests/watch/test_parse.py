"""What a body holds: feed entries known by guid or link (never by date), a page's main text."""

from __future__ import annotations

import pytest

from bot.watch.fetch import Fetched
from bot.watch.parse import MAX_ENTRIES, Page, first_entries, parse
from bot.watch.problems import Problem
from tests.watch.site import rss

URL = "https://news.example.org/feed.xml"


def _fetched(body: str | bytes, content_type: str = "application/rss+xml") -> Fetched:
    data = body.encode() if isinstance(body, str) else body
    return Fetched(200, URL, data, content_type=content_type)


def _keys(body: str) -> set[str]:
    kind, entries = parse(None, _fetched(body))
    assert kind == "feed" and isinstance(entries, list)
    return {e.key for e in entries}


def test_a_reordered_and_redated_feed_has_the_same_item_keys() -> None:
    before = rss(("g1", "One", "Mon, 23 Nov 2026 09:00:00 GMT"), ("g2", "Two", "Sun, 22 Nov 2026"))
    after = rss(("g2", "Two", "Tue, 24 Nov 2026 10:00:00 GMT"), ("g1", "One (updated)", "Tue"))
    assert _keys(before) == _keys(after)


def test_an_item_without_a_guid_is_known_by_its_link() -> None:
    feed = (
        "<rss version='2.0'><channel><title>t</title><item><title>A</title>"
        "<link>https://news.example.org/a</link></item></channel></rss>"
    )
    redated = feed.replace("<title>A</title>", "<title>A</title><pubDate>Tue</pubDate>")
    assert _keys(feed) == _keys(redated)


def test_atom_entries_are_read_with_their_links() -> None:
    atom = (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        "<title>Court</title><id>urn:court</id><updated>2026-11-24T00:00:00Z</updated>"
        "<entry><id>urn:court:1</id><title>Hearing of Агадил moved</title>"
        "<link href='https://court.example.org/1'/><updated>2026-11-24T00:00:00Z</updated>"
        "<summary>To 5 December.</summary></entry></feed>"
    )
    kind, entries = parse(None, _fetched(atom, "application/atom+xml"))
    assert kind == "feed" and isinstance(entries, list)
    [entry] = entries
    assert (entry.title, entry.link, entry.summary) == (
        "Hearing of Агадил moved",
        "https://court.example.org/1",
        "To 5 December.",
    )


def test_a_link_that_is_not_http_never_reaches_a_coordinator() -> None:
    feed = rss(("g1", "One", "Mon")).replace("https://news.example.org/g1", "javascript:alert(1)")
    _, entries = parse(None, _fetched(feed))
    assert isinstance(entries, list) and entries[0].link is None


def test_garbage_is_neither_a_feed_nor_a_page() -> None:
    with pytest.raises(Problem) as raised:
        parse(None, _fetched(b"\x00\x01\x02 not a feed <<<", "application/octet-stream"))
    assert raised.value.code == "unknown_type"


def test_a_feed_that_turns_to_garbage_is_reported_as_no_longer_a_feed() -> None:
    with pytest.raises(Problem) as raised:
        parse("feed", _fetched("<rss><channel><item>broken", "application/rss+xml"))
    assert raised.value.code == "not_feed"


def test_a_pages_main_text_leaves_out_navigation_and_scripts() -> None:
    html = (
        "<html><head><title>Court news</title><script>var t = Date.now();</script></head>"
        "<body><nav>Home | About</nav><header>Banner</header><main><h1>Announcements</h1>"
        "<p>The hearing of <b>Dulat Agadil</b>'s sons is on 1 December.</p></main>"
        "<footer>© 2026</footer></body></html>"
    )
    kind, page = parse(None, _fetched(html, "text/html"))
    assert kind == "page" and isinstance(page, Page)
    assert page.title == "Court news"
    assert page.blocks == ("Announcements", "The hearing of Dulat Agadil's sons is on 1 December.")


def test_a_page_in_windows_1251_is_read_from_its_meta_charset() -> None:
    html = "<html><head><meta charset='windows-1251'></head><body><p>Дело Агадила</p></body></html>"
    _, page = parse("page", _fetched(html.encode("cp1251"), "text/html"))
    assert isinstance(page, Page) and page.blocks == ("Дело Агадила",)


def test_markup_and_scripts_in_an_entry_become_plain_text_and_links_absolute() -> None:
    feed = (
        "<rss version='2.0'><channel><title>t</title><item><guid>g</guid>"
        "<title>Agadil &lt;b&gt;appeal&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>"
        "<link>/2026/appeal</link></item></channel></rss>"
    )
    _, entries = parse(None, _fetched(feed))
    assert isinstance(entries, list)
    assert (entries[0].title, entries[0].link) == (
        "Agadil appeal",
        "https://news.example.org/2026/appeal",
    )


def test_one_check_takes_the_first_entries_of_a_huge_feed_only() -> None:
    items = [(f"g{i}", f"Item {i}", "Mon, 23 Nov 2026 09:00:00 GMT") for i in range(1000)]
    kind, entries = parse(None, _fetched(rss(*items)))
    assert kind == "feed" and isinstance(entries, list)
    assert len(entries) == MAX_ENTRIES
    assert [e.title for e in entries[:2]] == ["Item 0", "Item 1"]  # the feed's newest first


def test_a_huge_feed_is_cut_before_feedparser_and_keeps_its_newest_entries() -> None:
    items = "".join(f"<item><title>{i}</title><guid>g{i}</guid></item>" for i in range(60_000))
    body = f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>".encode()
    cut = first_entries(body, 400)
    assert cut.endswith(b"<guid>g399</guid></item>") and len(cut) < len(body) // 100
    kind, entries = parse(None, Fetched(status=200, url="https://e.org/f", body=body))
    assert kind == "feed" and len(entries) == MAX_ENTRIES
    assert [e.title for e in entries[:2]] == ["0", "1"]  # the feed's first are its newest


def test_the_cut_knows_atom_entries_and_namespace_prefixes() -> None:
    body = b"<a:feed>" + b"<a:entry><a:title>x</a:title></a:ENTRY >" * 5 + b"</a:feed>"
    assert first_entries(body, 2) == b"<a:feed>" + b"<a:entry><a:title>x</a:title></a:ENTRY >" * 2
    assert first_entries(body, 9) == body
