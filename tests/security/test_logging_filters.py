"""Log redaction: the Redactor Runtime installs masks `bot<token>` in any record, withholds
message texts that libraries log as arguments, and keeps exception messages only from
libraries whose messages describe the failure rather than the data."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from telegram import Update

from bot import logging_filters
from bot.runtime import Runtime
from tests.security.conftest import TOKEN, Capture

SECRET_TEXT = "Cell 17, Block B"
UPDATE = {
    "update_id": 5,
    "message": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 7, "type": "private"},
        "from": {"id": 7, "is_bot": False, "first_name": "A"},
        "text": f"/update KZ-2026-001 {SECRET_TEXT}",
    },
}


@pytest.fixture
def capture() -> Iterator[Capture]:
    """A logger of its own, propagating nowhere, with the Redactor on its one handler."""
    handler = Capture()
    logging_filters.install(TOKEN, root=_logger(handler))
    yield handler


def _logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger("tests.security.redaction")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def _log() -> logging.Logger:
    return logging.getLogger("tests.security.redaction")


def test_a_bot_api_url_in_an_httpx_record_loses_its_token(capture: Capture) -> None:
    url = httpx.URL(f"http://127.0.0.1:8081/bot{TOKEN}/sendMessage")
    _log().info('HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK")
    [line] = capture.lines
    assert TOKEN not in line and TOKEN.split(":")[1] not in line
    assert "http://127.0.0.1:8081/bot<token>/sendMessage" in line


def test_a_file_url_and_a_bare_token_are_masked_too(capture: Capture) -> None:
    _log().debug("Set Bot API File URL: %s", f"https://api.telegram.org/file/bot{TOKEN}")
    _log().error(f"Invalid token {TOKEN}")
    assert all(TOKEN not in line for line in capture.lines)
    assert "file/bot<token>" in capture.lines[0]


def test_request_parameters_and_replies_are_withheld_but_the_method_is_kept(
    capture: Capture,
) -> None:
    params = {"chat_id": 7, "text": SECRET_TEXT, "parse_mode": "HTML"}
    _log().debug("Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage", params)
    _log().debug("Call to Bot API endpoint `%s` finished with return value `%s`", "x", [params])
    assert "Calling Bot API endpoint `sendMessage` with parameters `<withheld>`" in capture.lines[0]
    assert all(SECRET_TEXT not in line for line in capture.lines)


def test_a_whole_update_is_withheld_however_it_is_logged(capture: Capture) -> None:
    update = Update.de_json(UPDATE, None)
    _log().debug("Processing update %s", update)
    _log().debug(update)  # not even a format string
    _log().debug("Webhook received data: %s", str(UPDATE))
    _log().debug("%(update)s", {"update": update})
    assert all(SECRET_TEXT not in line for line in capture.lines)
    assert capture.lines[1].endswith("<withheld> (Update)")


def test_an_exception_keeps_its_type_and_stack_but_not_a_message_that_may_echo_input(
    capture: Capture,
) -> None:
    try:
        int(SECRET_TEXT)
    except ValueError:
        _log().exception("handler failed: %s", "ValueError")
    [line] = capture.lines
    assert SECRET_TEXT not in line
    assert "builtins.ValueError: <withheld>" in line
    assert "Traceback (most recent call last)" in line and "int(SECRET_TEXT)" in line


def test_a_chained_exception_is_withheld_link_by_link(capture: Capture) -> None:
    try:
        try:
            {}[SECRET_TEXT]
        except KeyError as exc:
            raise RuntimeError(f"lookup of {SECRET_TEXT} failed") from exc
    except RuntimeError:
        _log().exception("failed")
    [line] = capture.lines
    assert SECRET_TEXT not in line
    assert "builtins.KeyError" in line and "builtins.RuntimeError" in line


def test_a_database_error_keeps_its_message_for_the_operator(capture: Capture) -> None:
    engine = create_engine("sqlite://", hide_parameters=True)
    with pytest.raises(OperationalError), engine.connect() as conn:
        try:
            conn.execute(text("SELECT * FROM actions WHERE note = :n"), {"n": SECRET_TEXT})
        except OperationalError:
            _log().exception("claiming deliveries failed")
            raise
    [line] = capture.lines
    assert "no such table: actions" in line
    assert SECRET_TEXT not in line


def test_a_token_inside_an_exception_message_is_masked(capture: Capture) -> None:
    try:
        raise httpx.ConnectError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except httpx.ConnectError:
        _log().warning("Bot API not reachable", exc_info=True)
    [line] = capture.lines
    assert TOKEN not in line and "bot<token>/getMe" in line


def test_runtime_installs_the_redactor_on_every_root_handler(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    root = logging.getLogger()
    handler = Capture()
    root.addHandler(handler)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    try:
        Runtime.from_environment()
        assert any(isinstance(f, logging_filters.Redactor) for f in handler.filters)
        logging.getLogger("httpx").warning("POST %s", f"https://api.telegram.org/bot{TOKEN}/x")
        assert handler.lines and all(TOKEN not in line for line in handler.lines)
    finally:
        root.removeHandler(handler)


def test_user_and_chat_ids_become_one_keyed_hash_at_every_level(capture: Capture) -> None:
    user, group = 4242000175, -1001234567890
    _log().debug("update from %s in chat %d", user, group)
    _log().info(f"user {user} stopped; chat {group}")
    _log().warning("retry for %s", str(user))
    assert not any(str(user) in line or str(group)[1:] in line for line in capture.lines)
    hashes = [re.findall(r"id#[0-9a-f]{10}", line) for line in capture.lines]
    assert hashes[0] == hashes[1] and hashes[0][0] == hashes[2][0]  # followable, line to line
    assert len(set(hashes[0])) == 2  # and two ids stay two


def test_small_numbers_stay_as_they_are(capture: Capture) -> None:
    _log().info("sent %d messages in %s s to port 8080 (HTTP 429)", 12, "0.75")
    [line] = capture.lines
    assert line.endswith(": sent 12 messages in 0.75 s to port 8080 (HTTP 429)")
