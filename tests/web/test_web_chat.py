"""The web chat in a real browser: Playwright drives Debian's headless Chromium against the
local Bot API server, with the bot and its delivery worker running beside it as `uabot run`
runs them. Each step leaves a screenshot in test-artifacts/web/."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.run import grant_demo_staff
from bot.config import get_settings
from bot.domain import cases, staff
from bot.sandbox.local import RunningServer, run_server
from bot.store.models import CaseTranslation
from bot.telegram.thread import BotThread
from tests import demo_rows
from tests.live import live_application

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'"
)
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

TOKEN = "123456:WEB-token"
REF = "KZ-2026-001"
WAIT_MS = 15_000

# The page works the same whatever the database; the case test runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=(
        "Debian's chromium is not installed and this user cannot install it "
        "(make test runs `apt-get install chromium` as root)"
    ),
)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: sync_api.Browser) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 760}, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], "the page's script failed"


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with run_server() as running:
        yield running


@pytest.fixture
def sandbox(
    server: RunningServer, sessions: sessionmaker[Session], engine: Engine
) -> Iterator[RunningServer]:
    """What `make run` leaves running: demo cases, the demo staff, the bot and its worker."""
    with sessions.begin() as session:
        demo_rows.load_cases(session)
        grant_demo_staff(session)
        cases.publish(session, staff.SYSTEM, REF)
    application = live_application(TOKEN, server, sessions, engine)
    with BotThread(application):
        yield server


class Steps:
    """Screenshots numbered in the order taken, named after what they show."""

    def __init__(self, page: sync_api.Page, prefix: str) -> None:
        self.page, self.prefix, self.count = page, prefix, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        self.page.screenshot(path=path, animations="disabled")


def say(page: sync_api.Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def be(page: sync_api.Page, name: str) -> None:
    page.locator(".user", has_text=name).click()
    expect(page.locator(".whoami")).to_contain_text(name)


def bot_message(page: sync_api.Page, text: str | re.Pattern[str]) -> sync_api.Locator:
    found = page.locator(".msg.in", has_text=text).last
    expect(found).to_be_visible()
    return found


def test_a_subscriber_follows_a_case_and_acts_on_the_coordinators_update(
    sandbox: RunningServer, page: sync_api.Page
) -> None:
    steps = Steps(page, "case")
    elsewhere: list[str] = []
    page.on("request", lambda r: r.url.startswith(sandbox.url) or elsewhere.append(r.url))
    page.goto(f"{sandbox.url}/#user=1001")
    expect(page.locator(".whoami")).to_contain_text("Aigerim")
    expect(page.locator("#bot-status")).to_have_text("bot")

    say(page, "/cases")
    cases_list = bot_message(page, REF)
    steps.shot("cases")
    cases_list.get_by_role("button", name=re.compile(f"^{REF}")).click()
    case = bot_message(page, "Family of Dulat Agadil")
    case.get_by_role("button", name="Follow").click()
    bot_message(page, "You now follow")
    steps.shot("followed")

    case.get_by_role("button", name="Get letter").click()
    pdf_link = page.get_by_role("link", name=re.compile(r"Download .*\.pdf"))
    letter = page.locator(".msg.in", has=pdf_link).last
    with page.expect_download() as download:
        letter.get_by_role("link", name=re.compile(r"Download .*\.pdf")).click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    steps.shot("letter")

    be(page, "Dana")
    say(page, f"/update {REF} He was moved to another prison.")
    preview = bot_message(page, "He was moved to another prison.")
    steps.shot("update-preview")
    preview.get_by_role("button", name="Confirm").click()
    bot_message(page, "queued for 1 subscriber")
    aigerim = page.locator(".user", has_text="Aigerim")
    expect(aigerim.locator(".badge")).to_have_text(re.compile(r"[1-9]"))
    steps.shot("update-sent")

    be(page, "Aigerim")
    alert = bot_message(page, "FURTHER INFORMATION")
    expect(alert).to_contain_text("He was moved to another prison.")
    steps.shot("alert")
    alert.get_by_role("button", name="I took action").click()
    bot_message(page, "Your action on")
    steps.shot("acted")

    be(page, "Dana")
    say(page, f"/stats {REF}")
    bot_message(page, "Actions taken: 1")
    steps.shot("stats")
    assert elsewhere == []  # the page loads nothing from off this machine


@SQLITE_ONLY
def test_a_supporter_signs_in_settings_and_gets_letters_with_one_tap_buttons(
    sandbox: RunningServer,
    page: sync_api.Page,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The signer step of /settings, then a Get letter answer whose English letter fits a
    one-tap e-mail, beside the post to the official's handle. docs/screenshots has copies."""
    monkeypatch.setenv("MAIL_PAGE_URL", f"{sandbox.url}/mail.html")
    get_settings.cache_clear()
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-004")
        for field, value in (
            ("handle", "@prokuratura_kz"),
            ("web_form", "https://gov.example.org/appeal"),
        ):
            cases.edit_target(session, staff.SYSTEM, "KZ-2026-004", 1, field, value)
    steps = Steps(page, "acting")
    page.goto(f"{sandbox.url}/#user=1001")
    expect(page.locator("#bot-status")).to_have_text("bot")
    say(page, "/settings")
    bot_message(page, "Letters signed: nobody yet").get_by_role(
        "button", name="Sign letters with my name"
    ).click()
    bot_message(page, "Send your name")
    say(page, "Aigerim Saparova")
    bot_message(page, "Your letters are signed: Aigerim Saparova")
    steps.shot("settings-signer")

    say(page, "/letter KZ-2026-004 en")
    # the last answer (the letters are all in); rendering PDFs may take a while at first
    expect(page.locator(".msg.in", has_text="Change it in /settings")).to_be_visible(
        timeout=WAIT_MS
    )
    first = page.locator(".msg.in", has_text="Letter to the Prosecutor General").last
    email = first.get_by_role("link", name="Send by e-mail")
    expect(email).to_have_attribute("href", re.compile(r"/mail\.html#mailto:"))
    expect(first.get_by_role("link", name="Post to @prokuratura_kz")).to_be_visible()
    expect(first).to_contain_text("Aigerim Saparova")
    # the page the button opens hands the mail app the letter's mailto: link, whole
    href = email.get_attribute("href") or ""
    mail = page.context.new_page()
    mail.goto(href, wait_until="commit")  # it goes on to the mail app at once
    expect(mail.locator("#open")).to_have_attribute("href", href.partition("#")[2])
    mail.close()
    email.scroll_into_view_if_needed()
    page.mouse.wheel(0, 160)
    steps.shot("letter-buttons")
    end = bot_message(page, "Change it in /settings")
    end.get_by_role("button", name="I took action").click()
    thanks = bot_message(page, "How did you act?")
    steps.shot("acted-how")
    thanks.get_by_role("button", name="by e-mail").click()
    bot_message(page, "Noted: you acted on KZ-2026-004 by e-mail")
    steps.shot("how-noted")
    get_settings.cache_clear()


@SQLITE_ONLY
def test_a_kazakh_subscriber_reads_the_whole_bot_in_kazakh(
    sandbox: RunningServer, page: sync_api.Page
) -> None:
    """Ерлан's client is in Kazakh: every answer is Kazakh, from /start to an alert. The
    screenshots in docs/screenshots (README links them) are copies of these."""
    steps = Steps(page, "kk")
    page.goto(f"{sandbox.url}/#user=1003")
    expect(page.locator(".whoami")).to_contain_text("Ерлан")
    expect(page.locator("#bot-status")).to_have_text("bot")
    shot = steps.shot
    # each answer by a phrase only it has (Playwright matches text case-insensitively)
    for command, kazakh, name in [
        ("/start", "қош келдіңіз", "start"),
        ("/help", "өтініш хаттың үлгісі", "help"),
        ("/cases", "Істі ашу үшін оны басыңыз", "cases"),
        (f"/case {REF}", "Кімге жазу керек", "case"),
        ("/settings", "Баптаулар", "settings"),
        ("/mine", "ештеңеге жазылған жоқсыз", "mine"),
        ("/acted", "іс нөмірі керек", "wrong-command"),
    ]:
        say(page, command)
        bot_message(page, kazakh)
        shot(name)
    case = bot_message(page, "Кімге жазу керек")
    expect(case).to_contain_text("жылғы")  # '2027 жылғы 4 қаңтар', as Kazakh writes a date
    case.get_by_role("button", name="Жазылу").click()
    bot_message(page, "Сіз жазылдыңыз")
    say(page, "/mine")
    bot_message(page, "Жазылымдарыңыз")
    shot("mine-following")

    be(page, "Dana")
    say(page, f"/update {REF} He was moved to another prison.")
    bot_message(page, "He was moved to another prison.").get_by_role(
        "button", name="Confirm"
    ).click()
    bot_message(page, "queued for 1 subscriber")
    be(page, "Ерлан")
    alert = bot_message(page, "ҚОСЫМША АҚПАРАТ")
    expect(alert.get_by_role("button", name="Өтініш жібердім")).to_be_visible()
    shot("alert")
    alert.get_by_role("button", name="Өтініш жібердім").click()
    bot_message(page, "өтінішіңіз есепке алынды")
    shot("acted")


@SQLITE_ONLY
def test_a_russian_subscriber_follows_and_acts_in_russian(
    sandbox: RunningServer, page: sync_api.Page
) -> None:
    """Ольга's client is in Russian: the case card, the alert and the thanks read as Russian
    does (docs/screenshots/ru-*.png are copies of these screenshots)."""
    steps = Steps(page, "ru")
    page.goto(f"{sandbox.url}/#user=1002")
    expect(page.locator(".whoami")).to_contain_text("Ольга")
    expect(page.locator("#bot-status")).to_have_text("bot")
    say(page, f"/case {REF}")
    case = bot_message(page, "Кому писать")
    expect(case).to_contain_text("Отправьте обращение до")
    expect(case).to_contain_text("можно писать и на своём языке")
    expect(case).to_contain_text("Пока никто не сообщил об отправке обращения")
    steps.shot("case")
    case.get_by_role("button", name="Подписаться").click()
    bot_message(page, "Вы подписаны на дело")

    be(page, "Dana")
    say(page, f"/update {REF} Его перевели в другую тюрьму.")
    bot_message(page, "Его перевели в другую тюрьму.").get_by_role("button", name="Confirm").click()
    bot_message(page, "queued for 1 subscriber")
    be(page, "Ольга")
    alert = bot_message(page, f"ДОПОЛНИТЕЛЬНАЯ ИНФОРМАЦИЯ № 1 ПО {REF}")
    expect(alert).to_contain_text("Пожалуйста, отправьте обращение до")
    steps.shot("alert")
    alert.get_by_role("button", name="Я отправил(а) обращение").click()
    bot_message(page, "Обращения уже отправил 1 человек")
    steps.shot("acted")


@SQLITE_ONLY
def test_the_command_menu_and_user_list_work_by_keyboard_at_phone_width(
    sandbox: RunningServer, page: sync_api.Page
) -> None:
    steps = Steps(page, "phone")
    page.set_viewport_size({"width": 390, "height": 780})
    page.goto(f"{sandbox.url}/#user=1002")
    expect(page.locator("#bot-status")).to_have_text("bot")
    expect(page.locator(".users")).not_to_be_in_viewport()

    page.get_by_role("button", name="Menu").focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("listbox", name="Bot commands")
    expect(menu.get_by_role("option").first).to_contain_text("/start")
    expect(menu).not_to_contain_text("/publish")  # a subscriber's menu, in Russian
    steps.shot("menu")
    page.keyboard.press("ArrowDown")  # /help
    page.keyboard.press("Enter")
    bot_message(page, "/cases")
    steps.shot("help-in-russian")

    say(page, "/acted")  # bad input: the bot's usage answer, shown as Telegram shows it
    usage = bot_message(page, "нужен номер дела")
    expect(usage.locator("code")).to_have_text(f"/acted {REF}")

    page.get_by_role("button", name="Switch user").click()
    expect(page.locator(".users")).to_be_in_viewport()
    steps.shot("users")
    page.keyboard.press("Alt+3")  # Dana, the coordinator
    expect(page.locator(".whoami")).to_contain_text("Dana")
    box = page.get_by_role("textbox", name="Message")
    box.fill("/pub")
    expect(menu.get_by_role("option")).to_have_text([re.compile("/publish")])
    box.press("Tab")
    expect(box).to_have_value("/publish ")
    steps.shot("coordinator-suggestions")


@SQLITE_ONLY
def test_tabs_as_different_users_each_stay_live(
    sandbox: RunningServer, page: sync_api.Page
) -> None:
    """A page keeps one event stream open, so several tabs fit in the browser's six
    connections to a server (a coordinator in one, a subscriber in another)."""
    tabs = [page, *(page.context.new_page() for _ in range(3))]
    for tab, user in zip(tabs, (1001, 1002, 901, 900), strict=True):
        tab.goto(f"{sandbox.url}/#user={user}")
        expect(tab.locator("#bot-status")).to_have_text("bot")
    for tab in tabs:
        say(tab, "/mine")
    for tab in tabs:
        expect(tab.locator(".msg.in")).to_have_count(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_page_says_when_the_server_is_gone_and_reconnects_after_a_restart(
    page: sync_api.Page,
) -> None:
    steps = Steps(page, "restart")
    port = _free_port()
    with run_server(port=port) as first:
        page.goto(f"{first.url}/#user=1001")
        say(page, "before the restart")
        expect(page.locator(".msg.out", has_text="before the restart")).to_be_visible()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Can't reach the server")
    steps.shot("unreachable")

    with run_server(port=port) as second:
        expect(banner).to_be_hidden()
        expect(page.get_by_text("The server restarted")).to_be_visible()
        second.control.send_text(1001, "after the restart", first_name="Aigerim")
        expect(page.locator(".msg.out", has_text="after the restart")).to_be_visible()
        steps.shot("reconnected")


@SQLITE_ONLY
def test_a_coordinator_runs_a_case_from_the_phone_to_its_close(
    sandbox: RunningServer, page: sync_api.Page
) -> None:
    steps = Steps(page, "coordinator")
    page.set_viewport_size({"width": 430, "height": 900})
    page.goto(f"{sandbox.url}/#user=901")
    expect(page.locator(".whoami")).to_contain_text("Dana")
    expect(page.locator("#bot-status")).to_have_text("bot")

    say(page, "/drafts")
    drafts = bot_message(page, "Drafts (3)")
    steps.shot("drafts")
    drafts.get_by_role("button", name=re.compile("^KZ-2026-002")).click()
    bot_message(page, "[draft")

    say(page, "/editperson KZ-2026-002 1")
    fields = bot_message(page, "Tap a field")
    fields.get_by_role("button", name="Pronoun").click()
    choices = bot_message(page, "Pick one")
    steps.shot("pronoun-buttons")
    choices.get_by_role("button", name="she / her").click()
    bot_message(page, "Saved for person 1")
    steps.shot("pronoun-saved")

    say(page, "/publish KZ-2026-002")
    preview = bot_message(page, "Subscribers will receive exactly this")
    # The alert shows formatted, as subscribers get it: no tags or entities as text.
    expect(preview.locator("strong", has_text="URGENT ACTION KZ-2026-002")).to_be_visible()
    expect(preview).not_to_contain_text("<b>")
    expect(preview).not_to_contain_text("&#39;")
    steps.shot("publish-preview")
    preview.get_by_role("button", name="Confirm").click()
    bot_message(page, "queued for")

    say(page, f"/close {REF} released Released on bail after 41 days.")
    closing = bot_message(page, "CASE CLOSED")
    closing.get_by_role("button", name="Confirm").click()
    bot_message(page, "queued for")

    page.keyboard.press("Alt+1")  # Aigerim: at phone width the user list is off screen
    expect(page.locator(".whoami")).to_contain_text("Aigerim")
    say(page, f"/case {REF}")
    card = bot_message(page, "This urgent action has ended")
    expect(card).to_contain_text("Released on bail after 41 days.")
    expect(card).not_to_contain_text("Act before")
    expect(card.get_by_role("button", name="I took action")).to_have_count(0)
    expect(card.get_by_role("button", name="Get letter")).to_have_count(0)
    steps.shot("closed-card")


@SQLITE_ONLY
def test_one_further_information_reads_in_each_subscribers_language(
    sandbox: RunningServer, page: sync_api.Page, sessions: sessionmaker[Session]
) -> None:
    """Aigerim (en), Ольга (ru) and Ерлан (kk) follow every case; Dana gives one further
    information in three languages and each reads it in theirs. The publish preview says,
    per language, who reads it and what they lack. docs/screenshots/fi-*.png and
    publish-preview-languages.png are copies of these screenshots."""
    with sessions.begin() as session:
        # The seed cases come in three languages: a few Kazakh texts taken away, so that the
        # previews have a gap to show and /translate something to ask for.
        family = cases.get_person(cases.get_case(session, REF), 1)
        protesters = cases.get_case(session, "KZ-2026-002")
        for entity, entity_id, field in (
            ("person", family.id, "name"),
            ("case", protesters.id, "summary"),
        ):
            session.execute(
                delete(CaseTranslation).where(
                    CaseTranslation.entity == entity,
                    CaseTranslation.entity_id == entity_id,
                    CaseTranslation.field == field,
                    CaseTranslation.language == "kk",
                )
            )
    steps = Steps(page, "languages")
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(f"{sandbox.url}/#user=1001")
    expect(page.locator("#bot-status")).to_have_text("bot")
    for name, followed in (("Aigerim", "You now follow"), ("Ольга", "Вы"), ("Ерлан", "Сіз")):
        be(page, name)
        say(page, "/follow all")
        bot_message(page, followed)

    be(page, "Dana")
    say(page, "/publish KZ-2026-002")
    publish = bot_message(page, "Readers by language")
    expect(publish).to_contain_text("Kazakh: 1 reader")
    publish.scroll_into_view_if_needed()
    steps.shot("publish-preview")

    say(page, f"/update {REF} He was moved to another prison.")
    bot_message(page, "Readers by language").get_by_role("button", name="Add Russian").click()
    bot_message(page, "Send the further information")
    say(page, "Его перевели в другую тюрьму.")
    previews = page.locator(".msg.in", has_text="Readers by language")
    expect(previews).to_have_count(3)  # /publish's, the update's, the update's with Russian
    previews.last.get_by_role("button", name="Add Kazakh").click()
    bot_message(page, "in Kazakh as one message")
    say(page, "Ол басқа түрмеге ауыстырылды.")
    expect(previews).to_have_count(4)
    preview = previews.last
    expect(preview).not_to_contain_text("this text not given")
    steps.shot("update-preview")
    preview.get_by_role("button", name="Confirm").click()
    bot_message(page, "queued for 3 subscribers")

    for name, text, shot in (
        ("Aigerim", "He was moved to another prison.", "fi-en"),
        ("Ольга", "Его перевели в другую тюрьму.", "fi-ru"),
        ("Ерлан", "Ол басқа түрмеге ауыстырылды.", "fi-kk"),
    ):
        be(page, name)
        bot_message(page, text)
        steps.shot(shot)

    be(page, "Dana")  # and a text more in Kazakh, guided: language, field, the text
    say(page, f"/translate {REF}")
    bot_message(page, "into which language").get_by_role(
        "button", name=re.compile("^Kazakh")
    ).click()
    fields = bot_message(page, "Tap a text to write or correct it")
    steps.shot("translate-fields")
    fields.get_by_role("button", name="✏️ people[1].name").click()
    bot_message(page, "Send the text in Kazakh")
    steps.shot("translate-ask")
    say(page, "Дулат Ағаділдің отбасы")
    bot_message(page, "Saved: people[1].name in Kazakh")
    steps.shot("translate-next")
