"""Which URLs may be fetched: http(s) only, never an address that is not public (literal,
however it is written, or resolved) unless the deployment allows it."""

from __future__ import annotations

import socket

import pytest
from aiohappyeyeballs import AddrInfoType

from bot.watch.safety import Policy, Refused, check_url, guarded_socket

CLOSED = Policy()

# Each form of an address the red-team pass got through: ideographic and fullwidth
# full stops, fullwidth and circled digits. The HTTP client reads each as the plain literal.
UNICODE_FORMS = [
    "127。0。0。1",
    "１２７.０.０.１",
    "①②⑦.0.0.1",
    "０.０.０.０",
    "127．0．0．1",
    "169。254。169。254",
    "１６９.２５４.１６９.２５４",
    "①⑥⑨.②⑤④.①⑥⑨.②⑤④",
    "169．254．169．254",
    "10。0。0。1",
    "１０.０.０.１",
    "①⓪.0.0.1",
    "10．0．0．1",
]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:5432/",
        "http://localhost:8080/admin",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://127.0.0.1./",
        *(f"http://{form}/" for form in UNICODE_FORMS),
        *(f"https://{form}:8443/x" for form in UNICODE_FORMS),
    ],
)
def test_it_refuses_addresses_that_are_not_public_however_written(url: str) -> None:
    with pytest.raises(Refused) as refused:
        check_url(url, CLOSED)
    assert (refused.value.why, refused.value.detail) == ("not_public", "")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.org/feed.xml", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http://user:secret@example.org/", "credentials"),
        ("http:///feed", "no_host"),
        ("http://example.org:99999/", "invalid"),
        ("http://[::1/", "invalid"),
    ],
)
def test_it_refuses_what_is_not_a_plain_web_address(url: str, why: str) -> None:
    with pytest.raises(Refused) as refused:
        check_url(url, CLOSED)
    assert refused.value.why == why


def test_it_decides_on_the_host_the_client_will_use() -> None:
    assert check_url("https://Example.ORG/news.rss", CLOSED) == ("example.org", 443)
    assert check_url("http://пример.рф/", CLOSED) == ("xn--e1afmkfd.xn--p1ai", 80)
    assert check_url("http://93.184.216.34:8080/x", CLOSED) == ("93.184.216.34", 8080)


def test_allow_private_lets_a_test_or_closed_network_deployment_through() -> None:
    assert check_url("http://10.0.0.1/feed", Policy(allow_private=True)) == ("10.0.0.1", 80)


def test_an_allowed_origin_opens_that_host_and_port_only() -> None:
    policy = Policy(allowed_origins=frozenset({"127.0.0.1:8080"}))
    assert check_url("http://127.0.0.1:8080/_samples/feeds/x.xml", policy)
    with pytest.raises(Refused):
        check_url("http://127.0.0.1:5432/", policy)


def _addr_info(host: str, port: int) -> AddrInfoType:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return (family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "0.0.0.0", "169.254.169.254", "10.0.0.1", "::1", "::ffff:10.0.0.1"],  # noqa: S104
)
def test_the_socket_factory_refuses_an_address_that_is_not_public(address: str) -> None:
    with pytest.raises(Refused) as refused:
        guarded_socket(CLOSED)(_addr_info(address, 80))
    assert str(refused.value) == "refused (not_public)"


def test_the_socket_factory_makes_a_socket_for_a_public_or_allowed_address() -> None:
    public = guarded_socket(CLOSED)(_addr_info("93.184.216.34", 443))
    allowed = Policy(allowed_origins=frozenset({"localhost:8080"}))
    loopback = guarded_socket(allowed)(_addr_info("127.0.0.1", 8080))
    try:
        assert public.family == socket.AF_INET and loopback.type == socket.SOCK_STREAM
    finally:
        public.close()
        loopback.close()
    with pytest.raises(Refused):
        guarded_socket(allowed)(_addr_info("127.0.0.1", 8081))
