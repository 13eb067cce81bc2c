"""Which URLs may be fetched: http(s) only, never loopback, link-local or private addresses
(literal or resolved) unless the deployment allows them."""

from __future__ import annotations

import pytest

from bot.watch.safety import Policy, Refused, SafeResolver, check_url
from tests.watch.site import Dns

CLOSED = Policy()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.0.0.1:5432/", "loopback"),
        ("http://localhost:8080/admin", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link_local"),
        ("http://[fe80::1]/", "link_local"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://0.0.0.0/", "private"),
        ("ftp://example.org/feed.xml", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http://user:secret@example.org/", "credentials"),
        ("http:///feed", "no_host"),
    ],
)
def test_it_refuses_what_could_probe_the_servers_network(url: str, why: str) -> None:
    with pytest.raises(Refused) as refused:
        check_url(url, CLOSED)
    assert refused.value.why == why


def test_it_allows_public_http_and_https_addresses() -> None:
    assert check_url("https://example.org/news.rss", CLOSED) == ("example.org", 443)
    assert check_url("http://93.184.216.34:8080/x", CLOSED) == ("93.184.216.34", 8080)


def test_allow_private_lets_a_test_or_closed_network_deployment_through() -> None:
    assert check_url("http://10.0.0.1/feed", Policy(allow_private=True)) == ("10.0.0.1", 80)


def test_an_allowed_origin_opens_that_host_and_port_only() -> None:
    policy = Policy(allowed_origins=frozenset({"127.0.0.1:8080"}))
    assert check_url("http://127.0.0.1:8080/_samples/feeds/x.xml", policy)
    with pytest.raises(Refused):
        check_url("http://127.0.0.1:5432/", policy)


async def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    resolver = SafeResolver(CLOSED, Dns("10.0.0.1"))
    with pytest.raises(Refused) as refused:
        await resolver.resolve("intranet.example.org", 80)
    assert refused.value.why == "private"
    assert "10.0.0.1" in refused.value.detail


async def test_every_address_of_a_name_is_checked_not_only_the_first() -> None:
    resolver = SafeResolver(CLOSED, Dns("93.184.216.34", "169.254.169.254"))
    with pytest.raises(Refused) as refused:
        await resolver.resolve("rebinding.example.org", 80)
    assert refused.value.why == "link_local"


async def test_a_name_resolving_to_public_addresses_passes() -> None:
    resolver = SafeResolver(CLOSED, Dns("93.184.216.34"))
    assert [r["host"] for r in await resolver.resolve("example.org", 443)] == ["93.184.216.34"]


async def test_the_real_resolver_refuses_what_localhost_resolves_to() -> None:
    with pytest.raises(Refused) as refused:
        await SafeResolver(CLOSED).resolve("localhost", 80)
    assert refused.value.why == "loopback"
