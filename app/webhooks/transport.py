"""Webhooks, sending: an HTTP client that connects only to the addresses the guard checked.

The guard runs inside the connection step (an httpcore network backend): the host is
resolved once, every answer is checked, and the socket is opened to a checked address. The
request keeps its URL, so the Host header, TLS SNI and certificate check all use the name.
"""

import socket
import ssl

import httpcore
import httpx

from app.webhooks.urlguard import Policy, Resolver, check_port, checked_addresses


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve, check, then connect to the checked address; refuse everything else."""

    def __init__(self, policy: Policy, resolve: Resolver = socket.getaddrinfo) -> None:
        self.policy, self.resolve = policy, resolve
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options=None) -> httpcore.NetworkStream:
        check_port(port, self.policy)
        failure: Exception | None = None
        for address in checked_addresses(host, port, policy=self.policy, resolve=self.resolve):
            try:
                # An address literal: the inner backend connects without resolving anything.
                return self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                               socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options=None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: Policy, *, resolve: Resolver = socket.getaddrinfo,
                 verify: ssl.SSLContext | bool = True, limits: httpx.Limits = httpx.Limits()) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        # httpx builds its httpcore pool without a way to pass a network backend: the pool is
        # rebuilt the same way, with the guarded backend (httpcore's extension point for this).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=GuardedBackend(policy, resolve))


def webhook_client(policy: Policy, *, resolve: Resolver = socket.getaddrinfo,
                   verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """The worker's client: guarded connections, no proxies from the environment, no redirects."""
    return httpx.Client(transport=GuardedTransport(policy, resolve=resolve, verify=verify),
                        trust_env=False, follow_redirects=False)
