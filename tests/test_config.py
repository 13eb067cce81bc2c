"""Settings: defaults, an optional .env, and one clear line naming a wrong variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings, load_settings
from bot.store.crypto import generate_key

UABOT = Path(sys.executable).with_name("uabot")
ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"
# The one variable whose line in .env.example shows an example rather than its default.
EXAMPLE_NOT_DEFAULT = {"ADMIN_IDS"}
BAD_VALUES = {
    "DATABASE_URL": "mysql://root@localhost/uabot",
    "BOT_API_BASE_URL": "localhost:8081/bot",
    "ADMIN_IDS": "12345,alice",
    "TZ": "Mars/Olympus_Mons",
    "CONTENT_LANGUAGE_ORDER": "kk,uz,en",
    "UABOT_SECRET_KEYS": "CANARY-not-a-fernet-key",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No uabot variable from the outer environment, and a directory with no .env."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_with_nothing_set_the_defaults_give_an_offline_sandbox_on_sqlite(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.DATABASE_URL == DEFAULT_DATABASE_URL
    assert settings.TELEGRAM_TOKEN is None and settings.sandbox
    assert settings.BOT_API_BASE_URL is None
    assert (settings.ADMIN_IDS, settings.UABOT_SECRET_KEYS, settings.TZ) == ((), (), "UTC")
    assert str(settings.timezone) == "UTC"
    assert (tmp_path / "var").is_dir()  # where the default SQLite file goes


def test_values_are_read_from_a_dot_env_file(tmp_path: Path) -> None:
    key = generate_key()
    (tmp_path / ".env").write_text(
        "# local settings\n"
        "DATABASE_URL=sqlite:///data/bot.sqlite3\n"
        "TELEGRAM_TOKEN=123:abc\n"
        "BOT_API_BASE_URL=http://127.0.0.1:8081/bot\n"
        "ADMIN_IDS=1, 2 ,-1003\n"
        f"UABOT_SECRET_KEYS={key}\n"
        "TZ=Asia/Almaty\n"
    )
    settings = load_settings()
    assert settings.DATABASE_URL == "sqlite:///data/bot.sqlite3"
    assert (tmp_path / "data").is_dir()
    assert settings.TELEGRAM_TOKEN == "123:abc" and not settings.sandbox
    assert settings.BOT_API_BASE_URL == "http://127.0.0.1:8081/bot"
    assert settings.ADMIN_IDS == (1, 2, -1003)
    keys = settings.UABOT_SECRET_KEYS
    assert keys == (key,)
    assert str(settings.timezone) == "Asia/Almaty"


def test_the_environment_wins_over_the_dot_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("ADMIN_IDS=1\nTZ=Asia/Almaty\n")
    monkeypatch.setenv("ADMIN_IDS", "7")
    settings = load_settings()
    assert (settings.ADMIN_IDS, settings.TZ) == ((7,), "Asia/Almaty")


def test_an_empty_token_means_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "")
    assert load_settings().sandbox


def test_the_content_language_order_is_read_as_a_list_of_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONTENT_LANGUAGE_ORDER", " RU, kk ,en")
    assert load_settings().CONTENT_LANGUAGE_ORDER == ("ru", "kk", "en")


def test_a_postgresql_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://uabot@127.0.0.1:5432/uabot"
    monkeypatch.setenv("DATABASE_URL", url)
    loaded = load_settings().DATABASE_URL
    assert loaded == url


def test_several_secret_keys_keep_their_order(monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = generate_key(), generate_key()
    monkeypatch.setenv("UABOT_SECRET_KEYS", f"{new}, {old}")
    keys = load_settings().UABOT_SECRET_KEYS
    assert keys == (new, old)


def test_the_secret_keys_never_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    monkeypatch.setenv("UABOT_SECRET_KEYS", key)
    assert key not in repr(load_settings())


@pytest.mark.parametrize(("name", "value"), BAD_VALUES.items(), ids=BAD_VALUES.keys())
def test_a_wrong_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"configuration error: {name} ")
    assert "\n" not in message
    assert "CANARY" not in message


def test_a_wrong_value_in_the_dot_env_file_is_reported_the_same_way(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ADMIN_IDS=one,two\n")
    with pytest.raises(ConfigError, match=r"^configuration error: ADMIN_IDS must be"):
        load_settings()


def _uabot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    return subprocess.run(
        [str(UABOT), *args],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# Each run of the real console script costs a second: a sample of the variables above.
@pytest.mark.parametrize("name", ["DATABASE_URL", "ADMIN_IDS", "UABOT_SECRET_KEYS"])
def test_uabot_stops_with_one_line_and_no_traceback_on_a_wrong_value(
    tmp_path: Path, name: str
) -> None:
    result = _uabot(tmp_path, "cases", "list", **{name: BAD_VALUES[name]})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"configuration error: {name} " in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert "CANARY" not in result.stderr + result.stdout
    assert not (tmp_path / "var").exists()  # it stopped before touching anything


def _example_lines() -> list[str]:
    return ENV_EXAMPLE.read_text().splitlines()


def _variable(line: str) -> str | None:
    match = re.match(r"^#? ?([A-Z][A-Z0-9_]*)=", line)
    return match.group(1) if match else None


def test_the_example_file_documents_every_setting_with_a_comment() -> None:
    lines = _example_lines()
    documented: dict[str, str] = {}
    for index, line in enumerate(lines):
        name = _variable(line)
        if name is None:
            continue
        above = index - 1
        while above >= 0 and _variable(lines[above]):
            above -= 1  # variables documented together share one comment
        documented[name] = lines[above] if above >= 0 else ""
    assert set(documented) == set(Settings.model_fields)
    for name, comment in documented.items():
        assert comment.startswith("# ") and len(comment) > 10, name


def test_the_example_file_uncommented_is_a_valid_env_showing_the_defaults(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text(
        "\n".join(line.removeprefix("# ") for line in _example_lines() if _variable(line))
    )
    settings = load_settings()
    for name, field in Settings.model_fields.items():
        if name not in EXAMPLE_NOT_DEFAULT:
            assert getattr(settings, name) == field.default, name
