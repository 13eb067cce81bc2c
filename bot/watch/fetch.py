"""One polite fetch: conditional, with a clear User-Agent, a timeout, a size cap, a limited
number of redirects (each checked again by the safety policy), and a cap on fetches in flight,
overall and per host. A slow source holds one slot and its own timeout: never another's.

Every socket is made by the safety policy's factory (bot/watch/safety.py), which refuses an
address that is not public whatever path led to it. A failure is told as "refused" or "could
not connect" and nothing more: not the address a name resolved to, not how a port answered."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.store.models import utcnow
from bot.watch.problems import Problem
from bot.watch.safety import Policy, Refused, check_url, guarded_socket

USER_AGENT = "uabot-watch/0.1 (urgent-action source watch; conditional requests, hourly)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
    "text/html;q=0.8, */*;q=0.5"
)
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchConfig:
    timeout: float = 20.0  # the whole fetch, redirects included, once a slot is ours
    max_bytes: int = 2_000_000
    max_redirects: int = 5
    concurrency: int = 8
    per_host: int = 2
    user_agent: str = USER_AGENT
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 (not modified: no body)
    url: str  # after redirects
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Fetcher:
    """Use as `async with Fetcher(config) as fetcher:` inside the loop that will fetch."""

    def __init__(
        self, config: FetchConfig | None = None, *, dns: AbstractResolver | None = None
    ) -> None:
        """`dns`: the resolver the connector asks (aiohttp's default if None)."""
        self.config = config or FetchConfig()
        self._dns = dns
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.config.per_host)
        )

    async def __aenter__(self) -> Fetcher:
        self._session = aiohttp.ClientSession(
            connector=connector(self.config.policy, self._dns, self.config.concurrency),
            headers={"User-Agent": self.config.user_agent, "Accept": ACCEPT},
            timeout=aiohttp.ClientTimeout(total=None),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # a proxy from the environment would bypass the address checks
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """The body (200) or 304; Problem for anything else, refusals included."""
        host, _port = _checked(url, self.config.policy)
        conditional = {"If-None-Match": etag, "If-Modified-Since": last_modified}
        async with self._hosts[host], self._slots:
            try:
                async with asyncio.timeout(self.config.timeout):
                    return await self._follow(url, {k: v for k, v in conditional.items() if v})
            except TimeoutError:
                raise Problem("timeout", f"{self.config.timeout:g}") from None
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, Refused):
                    raise _refusal(exc.os_error) from None
                raise Problem("unreachable") from None
            except aiohttp.ClientError:
                raise Problem("network") from None

    async def _follow(self, url: str, headers: dict[str, str]) -> Fetched:
        if self._session is None:
            raise RuntimeError("use Fetcher as an async context manager")
        for _hop in range(self.config.max_redirects + 1):
            _checked(url, self.config.policy)
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                if resp.status in REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise Problem("http", str(resp.status))
                    # Conditional headers belong to the address they were stored for.
                    url, headers = urljoin(url, location), {}
                    continue
                return await self._answer(url, resp)
        raise Problem("redirects", str(self.config.max_redirects))

    async def _answer(self, url: str, resp: aiohttp.ClientResponse) -> Fetched:
        if resp.status == 304:
            return Fetched(304, url)
        if resp.status != 200:
            retry = _retry_after(resp.headers.get("Retry-After"))
            raise Problem("http", str(resp.status), retry_after=retry)
        body = await _read_capped(resp, self.config.max_bytes)
        return Fetched(
            200,
            url,
            body,
            content_type=resp.content_type or "",
            charset=resp.charset,
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
        )


def connector(
    policy: Policy, dns: AbstractResolver | None = None, limit: int = 8
) -> aiohttp.TCPConnector:
    """A connector whose every socket is made by the policy's guard: a literal address, a
    resolved name and a redirect's target alike."""
    return aiohttp.TCPConnector(
        resolver=dns,
        socket_factory=guarded_socket(policy),
        limit=limit,
        limit_per_host=0,  # per-host slots are the Fetcher's, taken before the timeout starts
        ttl_dns_cache=60,
    )


def _checked(url: str, policy: Policy) -> tuple[str, int]:
    try:
        return check_url(url, policy)
    except Refused as exc:
        raise _refusal(exc) from None


def _refusal(exc: Refused) -> Problem:
    return Problem(f"refused_{exc.why}", exc.detail)


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The (decompressed) body, refused past `limit` bytes without reading the rest."""
    if resp.content_length is not None and resp.content_length > limit:
        raise Problem("too_large", str(limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in _chunks(resp):
        size += len(chunk)
        if size > limit:
            raise Problem("too_large", str(limit))
        chunks.append(chunk)
    return b"".join(chunks)


async def _chunks(resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    async for chunk in resp.content.iter_chunked(CHUNK):
        yield chunk


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    return None
