"""One polite fetch against a local site: conditional requests, a clear User-Agent, capped
size and redirects, and refusals before any connection is made."""

from __future__ import annotations

import time

import aiohttp
import pytest

from bot.watch.fetch import FetchConfig, Fetcher, connector
from bot.watch.problems import Problem
from bot.watch.safety import Policy, Refused
from tests.watch.conftest import site_policy
from tests.watch.site import Dns, Site, listen_on_loopback, rss

FEED = rss(("g1", "First", "Mon, 23 Nov 2026 09:00:00 GMT"))


def _config(site: Site, **kw: object) -> FetchConfig:
    return FetchConfig(**({"timeout": 2.0, "policy": site_policy(site)} | kw))  # type: ignore[arg-type]


async def _problem(site: Site, url: str, **kw: object) -> Problem:
    async with Fetcher(_config(site, **kw)) as fetcher:
        with pytest.raises(Problem) as raised:
            await fetcher.fetch(url)
    return raised.value


async def test_it_sends_a_clear_user_agent_and_stores_the_validators(site: Site) -> None:
    url = site.put("/feed.xml", FEED)
    async with Fetcher(_config(site)) as fetcher:
        fetched = await fetcher.fetch(url)
    assert fetched.status == 200 and fetched.body.startswith(b"<?xml")
    assert fetched.etag and fetched.last_modified
    [(_, headers)] = site.requests
    assert headers["User-Agent"].startswith("uabot-watch/")


async def test_a_conditional_request_is_answered_304_with_no_body(site: Site) -> None:
    url = site.put("/feed.xml", FEED)
    async with Fetcher(_config(site)) as fetcher:
        first = await fetcher.fetch(url)
        second = await fetcher.fetch(url, first.etag, first.last_modified)
    assert second.status == 304 and second.body == b""
    assert site.answers[("/feed.xml", 304)] == 1


async def test_a_response_past_the_size_cap_is_refused(site: Site) -> None:
    url = site.put("/big.xml", b"x" * 300_000)
    problem = await _problem(site, url, max_bytes=100_000)
    assert (problem.code, problem.detail) == ("too_large", "100000")


async def test_redirects_are_followed_up_to_the_limit(site: Site) -> None:
    target = site.put("/feed.xml", FEED)
    site.put("/old", "", location="/feed.xml")
    async with Fetcher(_config(site)) as fetcher:
        assert (await fetcher.fetch(site.url + "/old")).url == target
    for hop in range(4):
        site.put(f"/loop{hop}", "", location=f"/loop{hop + 1}")
    assert (await _problem(site, site.url + "/loop0", max_redirects=2)).code == "redirects"


async def test_an_http_error_keeps_the_servers_retry_after(site: Site) -> None:
    url = site.put("/busy", "slow down", status=503, headers={"Retry-After": "120"})
    problem = await _problem(site, url)
    assert (problem.code, problem.detail, problem.retry_after) == ("http", "503", 120.0)


async def test_a_slow_source_times_out(site: Site) -> None:
    url = site.put("/slow", FEED, delay=3)
    started = time.monotonic()
    assert (await _problem(site, url, timeout=0.3)).code == "timeout"
    # Only the wall clock can show the fetch gave up rather than waited for the answer; the
    # bound sits far from both the 0.3 s timeout and the 3 s answer.
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:9/", "refused_not_public"),
        ("http://169.254.169.254/latest/meta-data/", "refused_not_public"),
        ("http://10.0.0.1/", "refused_not_public"),
        ("http://①⑥⑨.②⑤④.①⑥⑨.②⑤④/latest/meta-data/", "refused_not_public"),
        ("http://10。0。0。1/", "refused_not_public"),
        ("gopher://example.org/", "refused_scheme"),
    ],
)
async def test_private_addresses_are_refused_before_connecting(url: str, code: str) -> None:
    async with Fetcher(FetchConfig(timeout=30.0, policy=Policy())) as fetcher:
        with pytest.raises(Problem) as raised:
            await fetcher.fetch(url)
    # A refusal, not a timeout: nothing was tried (a connection would wait for 30 s).
    detail = "" if code == "refused_not_public" else "gopher"
    assert (raised.value.code, raised.value.detail) == (code, detail)


LOOPBACK_FORMS = ["127。0。0。1", "１２７.０.０.１", "①②⑦.0.0.1", "０.０.０.０", "127．0．0．1"]


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
async def test_a_unicode_loopback_literal_is_refused_and_nothing_connects(form: str) -> None:
    with listen_on_loopback() as listener:
        problem = await _closed_problem(f"http://{form}:{listener.port}/internal-admin")
        assert (problem.code, problem.detail) == ("refused_not_public", "")
        assert listener.connections() == 0


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
async def test_a_redirect_to_a_unicode_loopback_literal_is_refused_and_nothing_connects(
    site: Site, form: str
) -> None:
    with listen_on_loopback() as listener:
        site.put("/moved", "", location=f"http://{form}:{listener.port}/internal-admin")
        problem = await _problem(site, site.url + "/moved")
        assert (problem.code, problem.detail) == ("refused_not_public", "")
        assert listener.connections() == 0
    assert site.hits("/moved") == 1


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
async def test_the_connector_alone_refuses_a_unicode_literal_before_a_socket_exists(
    form: str,
) -> None:
    """The check where the socket is made holds without the URL check before it."""
    with listen_on_loopback() as listener:
        async with aiohttp.ClientSession(connector=connector(Policy())) as session:
            with pytest.raises(aiohttp.ClientConnectorError) as raised:
                await session.get(f"http://{form}:{listener.port}/")
        assert isinstance(raised.value.os_error, Refused)
        assert listener.connections() == 0


async def test_the_listener_does_see_a_connection_the_policy_allows() -> None:
    """The control for the tests above: the same form, allowed, reaches the listener."""
    with listen_on_loopback() as listener:
        problem = await _closed_problem(
            f"http://127。0。0。1:{listener.port}/", policy=Policy(allow_private=True), wait=0.3
        )
        assert problem.code == "timeout"  # connected; the listener never answers
        assert listener.connections() == 1


async def _closed_problem(url: str, policy: Policy | None = None, wait: float = 30.0) -> Problem:
    async with Fetcher(FetchConfig(timeout=wait, policy=policy or Policy())) as fetcher:
        with pytest.raises(Problem) as raised:
            await fetcher.fetch(url)
    return raised.value


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:9/admin",
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://１６９.２５４.１６９.２５４/latest/meta-data/iam/",
        "http://10.0.0.1/",
        "http://１０.０.０.１/",
        "http://localhost/",
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(site: Site, target: str) -> None:
    site.put("/moved", "", location=target)
    problem = await _problem(site, site.url + "/moved")
    assert (problem.code, problem.detail) == ("refused_not_public", "")
    assert site.hits("/moved") == 1


async def test_a_name_that_resolves_to_loopback_is_refused_and_the_address_untold() -> None:
    with listen_on_loopback() as listener:
        async with Fetcher(FetchConfig(policy=Policy()), dns=Dns("127.0.0.1")) as fetcher:
            with pytest.raises(Problem) as raised:
                await fetcher.fetch(f"http://intranet.example.org:{listener.port}/")
        assert (raised.value.code, raised.value.detail) == ("refused_not_public", "")
        assert listener.connections() == 0


async def test_a_closed_port_and_a_missing_name_read_the_same() -> None:
    """Could not connect, and nothing more: no port state, no address."""
    with listen_on_loopback() as listener:
        closed = listener.port
    allowed = Policy(allow_private=True)
    refused = await _closed_problem(f"http://127.0.0.1:{closed}/", policy=allowed)
    async with Fetcher(FetchConfig(policy=allowed), dns=Dns()) as fetcher:
        with pytest.raises(Problem) as missing:
            await fetcher.fetch("http://no-such-name.example.org/")
    assert (refused.code, refused.detail) == (missing.value.code, missing.value.detail)
    assert (refused.code, refused.detail) == ("unreachable", "")
