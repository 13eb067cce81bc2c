"""HTML parse mode: what a user sees, and what Telegram refuses."""

from __future__ import annotations

import pytest

from bot.sandbox.entities import EntityError, bot_command_entities, parse_html


def test_html_tags_become_entities_with_utf16_offsets() -> None:
    text, entities = parse_html(
        '👍 <b>bold <i>both</i></b> <a href="https://x.org/?a=1&amp;b">l</a>'
    )

    assert text == "👍 bold both l"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 13, "length": 1, "url": "https://x.org/?a=1&b"},
    ]


def test_html_references_are_decoded_and_unknown_ones_kept() -> None:
    assert parse_html("&lt;b&gt; &amp; &quot; &#65;&#x42; &nbsp;")[0] == '<b> & " AB &nbsp;'


def test_escaped_user_text_renders_literally() -> None:
    assert parse_html("&lt;b&gt;*_[x](y)")[0] == "<b>*_[x](y)"


def test_pre_with_a_language_is_one_entity() -> None:
    _, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')

    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


@pytest.mark.parametrize(
    "html",
    ["<b>x", "x</b>", "<b>x</i>", "<br>", "<span>x</span>", "1 < 2", "<a href>x</a>", "<b"],
)
def test_html_telegram_refuses_is_refused(html: str) -> None:
    with pytest.raises(EntityError):
        parse_html(html)


def test_commands_in_a_users_text_are_marked() -> None:
    assert bot_command_entities("/follow@uabot_bot AG-1 and /help, not a/b") == [
        {"type": "bot_command", "offset": 0, "length": 17},
        {"type": "bot_command", "offset": 27, "length": 5},
    ]
