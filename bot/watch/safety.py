"""Which URLs may be fetched: http(s) only, and never an address inside the server's network.

A coordinator account must not become a way to probe what the server can reach (a cloud's
metadata service at 169.254.169.254, an admin page on 10.0.0.1, the database on 127.0.0.1).

Two places decide, and the second is the one that cannot be skipped:

- `check_url`, when a URL is given and before each request: the host is read the way the HTTP
  client (aiohttp, through yarl) will read it — IDNA/UTS-46 normalised, so `127。0。0。1`,
  `１２７.０.０.１` and `①②⑦.0.0.1` are the loopback literal they become — and a literal
  address that is not public is refused at once, with a clear answer.
- `guarded_socket`, the socket factory of the fetcher's connector: every connection the
  client opens, to a literal or to a resolved name, on the first request or after a redirect,
  is made by it, and it refuses any address that is not public before a socket exists. The
  connection goes to the address it checked: no second lookup a rebinding DNS could answer
  differently.

A refusal says only "not a public address": never which address a name resolved to, and
never anything about a port, so a refusal cannot be used to map the server's network.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from aiohappyeyeballs import AddrInfoType, SocketFactoryType
from yarl import URL

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# An address's IPv4 address embedded by NAT64 (RFC 6052): reaches that IPv4 address.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(OSError):
    """A URL or address the policy does not allow: `why` is a code the templates explain
    (templates/<lang>/watch/problem.txt), `detail` a harmless part of what was typed (a
    scheme, a length); never an address.

    An OSError so that aiohttp's connector lets it out of its connection wrapping (fetch
    unwraps it again)."""

    def __init__(self, why: str, detail: str = "") -> None:
        super().__init__(f"refused ({why}) {detail}".strip())
        self.why = why
        self.detail = detail


@dataclass(frozen=True)
class Policy:
    """`allow_private` (WATCH_ALLOW_PRIVATE) lifts the address rule, for tests and closed
    networks; `allowed_origins` lifts it for named origins only ("127.0.0.1:8080", the
    sandbox's own server, which serves the demo feed). An origin named "localhost:PORT"
    allows the loopback addresses on that port."""

    allow_private: bool = False
    allowed_origins: frozenset[str] = field(default_factory=frozenset)

    def origin_allowed(self, host: str, port: int) -> bool:
        return self.allow_private or f"{host.lower()}:{port}" in self.allowed_origins

    def address_allowed(self, address: IPAddress, port: int) -> bool:
        if address_problem(address) is None or self.origin_allowed(str(address), port):
            return True
        return address.is_loopback and self.origin_allowed("localhost", port)


def address_problem(address: IPAddress) -> str | None:
    """The code "not_public" if an address may not be fetched; None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    if address.is_global and not (address.is_multicast or address.is_reserved):
        return None
    return "not_public"


def parse_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0].rstrip("."))
    except ValueError:
        return None


def client_host(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) as the HTTP client will use them: yarl's reading, the host
    IDNA-encoded as it goes on the wire. Refused("invalid") if yarl cannot read it."""
    try:
        parsed = URL(url.strip())
        if parsed.user is not None or parsed.password is not None:
            raise Refused("credentials")
        scheme, host, port = parsed.scheme.lower(), parsed.raw_host or "", parsed.port
    except (ValueError, UnicodeError, TypeError):
        raise Refused("invalid") from None
    return scheme, host.rstrip("."), port or (443 if scheme == "https" else 80)


def check_url(url: str, policy: Policy) -> tuple[str, int]:
    """(host, port) of a URL the policy allows to be requested; Refused with the reason if not.

    Names are resolved (and their addresses checked) when connecting: see guarded_socket.
    """
    if len(url) > MAX_URL_LENGTH:
        raise Refused("too_long", str(MAX_URL_LENGTH))
    scheme, host, port = client_host(url)
    if scheme not in SCHEMES:
        raise Refused("scheme", scheme[:16])
    if not host:
        raise Refused("no_host")
    address = parse_address(host)
    if address is not None:
        if not policy.address_allowed(address, port):
            raise Refused("not_public")
    elif not policy.origin_allowed(host, port) and (
        host.lower() == "localhost" or host.lower().endswith(".localhost")
    ):
        raise Refused("not_public")
    return host, port


def guarded_socket(policy: Policy) -> SocketFactoryType:
    """A socket factory for aiohttp's TCPConnector: a socket for an allowed address, Refused
    for any other, before anything is sent."""

    def make(addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _name, sockaddr = addr_info
        address = parse_address(str(sockaddr[0]))
        if address is None or not policy.address_allowed(address, int(sockaddr[1])):
            raise Refused("not_public")
        return socket.socket(family=family, type=kind, proto=proto)

    return make
