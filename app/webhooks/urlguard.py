"""Webhooks, safety: which receiver URLs and addresses a delivery may reach (SSRF guard).

A URL is parsed by the HTTP client's own parser, so what was accepted at subscribe is what the
worker can send to. Its host is resolved once per connection and the connection goes to the
address that was checked (app/webhooks/transport.py): a name that answers differently the
second time (DNS rebinding) gains nothing. IPv6 forms that carry an IPv4 address are unwrapped
and the IPv4 address is checked too.
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from app.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list]  # socket.getaddrinfo's signature

NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
# RFC 6052: where a NAT64 prefix of each length (48..96) puts the four IPv4 bytes; byte 8 is
# always skipped. A local-use /48 may hold prefixes of any of these lengths, so all are checked.
RFC6052_POSITIONS = ((6, 7, 9, 10), (7, 9, 10, 11), (9, 10, 11, 12), (12, 13, 14, 15))


class UnsafeUrl(ValueError):
    """The URL is malformed, or leads where a webhook must not go."""


@dataclass(frozen=True)
class Policy:
    """What a delivery may reach; `allow_private` lifts every check (tests only)."""

    allow_private: bool = False
    ports: frozenset[int] = frozenset({80, 443})
    networks: tuple = field(default_factory=tuple)  # private networks opened on purpose

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(allow_private=settings.allow_private_webhook_urls,
                   ports=frozenset(settings.webhook_allowed_ports),
                   networks=tuple(settings.webhook_allowed_networks))


def parse_url(url: str) -> httpx.URL:
    """The URL as the HTTP client reads it; UnsafeUrl if it could not be sent to."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeUrl(f"is not a valid URL ({exc})") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UnsafeUrl("must be an http:// or https:// URL with a host")
    if parsed.userinfo:
        raise UnsafeUrl("must not carry credentials")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise UnsafeUrl(f"has port {parsed.port}, outside 1-65535")
    return parsed


def port_of(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def check_url(url: str, *, policy: Policy, resolve: Resolver = socket.getaddrinfo) -> httpx.URL:
    """Parse `url` and check its port and every address its host resolves to now."""
    parsed = parse_url(url)
    port = port_of(parsed)
    check_port(port, policy)
    if not policy.allow_private:
        checked_addresses(parsed.host, port, policy=policy, resolve=resolve)
    return parsed


def check_port(port: int, policy: Policy) -> None:
    if not policy.allow_private and port not in policy.ports:
        allowed = ", ".join(str(p) for p in sorted(policy.ports))
        raise UnsafeUrl(f"uses port {port}; receivers must listen on {allowed}")


def checked_addresses(host: str, port: int, *, policy: Policy,
                      resolve: Resolver = socket.getaddrinfo) -> list[str]:
    """Resolve `host` once; every address must pass (a name with one private answer is refused)."""
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"host {host!r} does not resolve") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeUrl(f"host {host!r} does not resolve")
    if not policy.allow_private:
        for address in addresses:
            reason = refusal(ipaddress.ip_address(address.split("%", 1)[0]), policy)
            if reason:
                raise UnsafeUrl(f"resolves to {reason}")
    return addresses


def refusal(address: IPAddress, policy: Policy) -> str | None:
    """Why a delivery may not connect to `address`, or None."""
    if any(address.version == net.version and address in net for net in policy.networks):
        return None
    for candidate in (address, *embedded_ipv4(address)):
        if not candidate.is_global or candidate.is_multicast:
            shown = str(address) if candidate is address else f"{address} (IPv4 {candidate})"
            return f"a non-public address ({shown})"
    return None


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, translated, compatible, 6to4, Teredo, NAT64."""
    if address.version != 6:
        return []
    found = []
    raw = address.packed
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address in IPV4_TRANSLATED or address in IPV4_COMPATIBLE or address in NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(raw[12:]))
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    if address in NAT64_LOCAL_USE:
        found.extend(ipaddress.IPv4Address(bytes(raw[i] for i in at)) for at in RFC6052_POSITIONS)
    return found
