"""Which URLs may be fetched: http(s) only, and never an address inside the server's network.

A coordinator account must not become a way to probe what the server can reach (a cloud's
metadata service at 169.254.169.254, an admin page on 10.0.0.1, the database on 127.0.0.1).
So every address a name resolves to is checked, the connection goes to the address that was
checked (no second lookup a rebinding DNS could answer differently), and each redirect is
checked again before it is followed. Literal addresses are refused before any connection.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(OSError):
    """A URL or address the policy does not allow: `why` is a code the templates explain
    (templates/<lang>/watch/problem.txt), `detail` the host or address, shown as it is.

    An OSError so that aiohttp's connector lets it out of its resolver wrapping (fetch
    unwraps it again)."""

    def __init__(self, why: str, detail: str = "") -> None:
        super().__init__(f"refused ({why}) {detail}".strip())
        self.why = why
        self.detail = detail


@dataclass(frozen=True)
class Policy:
    """`allow_private` (WATCH_ALLOW_PRIVATE) lifts the address rule, for tests and closed
    networks; `allowed_origins` lifts it for named origins only ("127.0.0.1:8080", the
    sandbox's own server, which serves the demo feed)."""

    allow_private: bool = False
    allowed_origins: frozenset[str] = field(default_factory=frozenset)

    def origin_allowed(self, host: str, port: int) -> bool:
        return self.allow_private or f"{host.lower()}:{port}" in self.allowed_origins


def address_problem(address: IPAddress) -> str | None:
    """Why an address may not be fetched, as a code; None if it may."""
    mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if mapped is not None:
        return address_problem(mapped)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if address.is_private:
        return "private"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not_public"
    return None


def parse_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def check_url(url: str, policy: Policy) -> tuple[str, int]:
    """(host, port) of a URL the policy allows to be requested; Refused with the reason if not.

    Names are resolved (and their addresses checked) when connecting: see SafeResolver.
    """
    if len(url) > MAX_URL_LENGTH:
        raise Refused("too_long", str(MAX_URL_LENGTH))
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise Refused("invalid") from None
    if parts.scheme.lower() not in SCHEMES:
        raise Refused("scheme", parts.scheme[:16])
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("no_host")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials")
    if policy.origin_allowed(host, port):
        return host, port
    address = parse_address(host)
    if address is not None:
        problem = address_problem(address)
        if problem:
            raise Refused(problem, host)
    elif host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise Refused("loopback", host)
    return host, port


class SafeResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name if any of its addresses is not allowed."""

    def __init__(self, policy: Policy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        if self.policy.origin_allowed(host, port):
            return results
        for result in results:
            address = parse_address(result["host"])
            problem = "not_public" if address is None else address_problem(address)
            if problem:
                # Every address, not only the first: a name with one public and one private
                # address would otherwise reach the private one on a retry.
                raise Refused(problem, f"{host} → {result['host']}")
        return results

    async def close(self) -> None:
        await self.inner.close()
