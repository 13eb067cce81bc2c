"""One polite fetch against a local site: conditional requests, a clear User-Agent, capped
size and redirects, and refusals before any connection is made."""

from __future__ import annotations

import time

import pytest

from bot.watch.fetch import FetchConfig, Fetcher
from bot.watch.problems import Problem
from bot.watch.safety import Policy
from tests.watch.conftest import site_policy
from tests.watch.site import Dns, Site, rss

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
        ("http://127.0.0.1:9/", "refused_loopback"),
        ("http://169.254.169.254/latest/meta-data/", "refused_link_local"),
        ("http://10.0.0.1/", "refused_private"),
        ("gopher://example.org/", "refused_scheme"),
    ],
)
async def test_private_addresses_are_refused_before_connecting(url: str, code: str) -> None:
    started = time.monotonic()
    async with Fetcher(FetchConfig(timeout=60.0, policy=Policy())) as fetcher:
        with pytest.raises(Problem) as raised:
            await fetcher.fetch(url)
    assert raised.value.code == code
    # A refusal comes at once; a tried connection to 10.0.0.1 would wait out the 60 s timeout.
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("http://127.0.0.1:9/admin", "refused_loopback"),
        ("http://169.254.169.254/latest/meta-data/iam/", "refused_link_local"),
        ("http://10.0.0.1/", "refused_private"),
        ("http://localhost/", "refused_loopback"),
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(
    site: Site, target: str, code: str
) -> None:
    site.put("/moved", "", location=target)
    problem = await _problem(site, site.url + "/moved")
    assert problem.code == code
    assert site.hits("/moved") == 1


async def test_a_name_that_resolves_to_loopback_is_refused_when_connecting(site: Site) -> None:
    async with Fetcher(FetchConfig(policy=Policy()), dns=Dns("127.0.0.1")) as fetcher:
        with pytest.raises(Problem) as raised:
            await fetcher.fetch(f"http://intranet.example.org:{site.url.rsplit(':', 1)[1]}/")
    assert (raised.value.code, raised.value.detail) == (
        "refused_loopback",
        "intranet.example.org → 127.0.0.1",
    )
    assert site.requests == []
