"""Requests this product makes to other hosts: callbacks to the business backend, 8x8's API.

Every one goes through `GuardedTransport`, which decides where a request may go when it connects,
not when a URL was saved (a name can resolve elsewhere later):

- https only, no credentials in the URL (they would be logged and shown with it);
- the host is resolved, every address it resolves to must be public (not loopback, private,
  link-local such as the cloud metadata service 169.254.169.254, or otherwise reserved), and the
  connection is made to the address that was checked, so a second lookup cannot change it (the
  TLS handshake still checks the certificate against the name);
- redirects are never followed (the clients here say so too);
- an answer is read up to a cap: more raises AnswerTooLarge;
- `Deadline` bounds a whole request (connect, send and read together), which httpx's timeouts
  cannot: they bound each read, and a receiver dripping a byte at a time resets them forever.

MASKING_OUTBOUND_ALLOW_PRIVATE turns the address and scheme rules off on purpose, for a receiver
inside the network (and the test suite's local receivers); `check --deploy` names it when on.
"""

import contextlib
import ipaddress
import socket
import threading
from contextvars import ContextVar
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

# What an answer may weigh before we stop reading it. Callbacks keep far less (an excerpt).
MAX_ANSWER_BYTES = 1024 * 1024


class OutboundRefused(httpx.ConnectError):
    """We would not connect there; the message says why. A ConnectError, so every caller already
    handles it as a request that never reached its receiver."""


class _RefusedAddress(httpcore.ConnectError):
    """Raised inside httpcore's pool, which turns it into httpx's ConnectError."""


class AnswerTooLarge(httpx.ReadError):
    pass


def allow_private() -> bool:
    return settings.MASKING_OUTBOUND_ALLOW_PRIVATE


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the one resolver the guard uses: tests patch it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


# IPv6 ranges that carry an IPv4 address, which is where a packet to them ends up. Python 3.11's
# `is_global` calls them global whatever IPv4 address they carry (behind a NAT64 gateway,
# 64:ff9b::a9fe:a9fe reaches 169.254.169.254): the embedded IPv4 address is judged instead.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052, IPv4 in the last 32 bits
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291 (deprecated), last 32 bits
# RFC 8215's local-use NAT64 prefix: the IPv4 address may sit at any of several offsets,
# chosen by the local network, so nothing in it is judged public.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:  # 2002::/16, IPv4 in bits 16-48
        return ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        ip = _embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, *, private_ok: bool | None = None) -> str | None:
    """Why `url` may not be a receiver's address, judged without resolving it (for forms and
    `check --deploy`; the transport judges again, with addresses, when connecting)."""
    private_ok = allow_private() if private_ok is None else private_ok
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL"
    if parts.scheme != "https" and not private_ok:
        return "must be https (plain http is allowed only with MASKING_OUTBOUND_ALLOW_PRIVATE)"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials (user:password@); the receiver checks the signature"
    if not private_ok:
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and not is_public(str(literal)):
            return "must be a public address, not a private, loopback or link-local one"
        if parts.hostname.lower() in ("localhost", "localhost.localdomain"):
            return "must be a public address, not this machine"
    return None


def pinned_address(host: str, port: int, *, private_ok: bool) -> str:
    """The address to connect to for `host`: its first, once every one passed the rules."""
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        raise _RefusedAddress(f"cannot resolve {host}: {exc}") from None
    if not addresses:
        raise _RefusedAddress(f"{host} resolves to no address")
    if not private_ok:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise _RefusedAddress(
                f"{host} resolves to a non-public address ({refused[0]}): refused "
                "(MASKING_OUTBOUND_ALLOW_PRIVATE allows private receivers)"
            )
    return addresses[0]


class _CappedStream(httpx.SyncByteStream):
    def __init__(self, stream, limit: int):
        self.stream, self.limit = stream, limit

    def __iter__(self):
        taken = 0
        for chunk in self.stream:
            taken += len(chunk)
            if taken > self.limit:
                raise AnswerTooLarge(f"the answer is larger than {self.limit} bytes")
            yield chunk

    def close(self) -> None:
        self.stream.close()


class _WatchedStream(httpcore.NetworkStream):
    """A connection's stream that hands its socket to the `Deadline` in force whenever it is
    read or written: a connection kept alive from an earlier request is bounded as surely as a
    new one."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def _watch(self) -> None:
        deadline = _current_deadline.get()
        if deadline is not None:
            deadline.watch(self._stream.get_extra_info("socket"))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._watch()
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._watch()
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        self._watch()  # the handshake's reads and writes happen inside
        return _WatchedStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Opens every TCP connection to an address that passed the rules, looked up right then."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = pinned_address(host, port, private_ok=allow_private())
        stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
        return _WatchedStream(stream)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the URL rules checked per request and the address rules per
    connection (its pool's network backend), and every answer capped."""

    def __init__(self, *, max_answer_bytes: int = MAX_ANSWER_BYTES):
        # trust_env off: a proxy from the environment would connect where it likes.
        super().__init__(trust_env=False)
        self.max_answer_bytes = max_answer_bytes
        # httpx builds its pool with httpcore's default backend and no way to pass another;
        # the same pool with ours (httpx is pinned in requirements.txt).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_GuardedBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        problem = url_problem(str(request.url))
        if problem:
            raise OutboundRefused(f"the URL {problem}", request=request)
        try:
            response = super().handle_request(request)
        except httpx.ConnectError as exc:
            if isinstance(exc.__cause__, _RefusedAddress):
                raise OutboundRefused(str(exc.__cause__), request=request) from None
            raise
        response.stream = _CappedStream(response.stream, self.max_answer_bytes)
        return response


_current_deadline: ContextVar["Deadline | None"] = ContextVar("outbound_deadline", default=None)


class Deadline:
    """A whole-request deadline, enforced: at `seconds` after entering, the sockets of the
    requests made inside are shut down, whatever phase they are in, and httpx raises (a
    ReadError, a RemoteProtocolError). `expired` says whether the deadline is what ended it.

    Every outbound request goes through the guarded transport, whose streams hand their socket
    to the Deadline in force in this context (`_WatchedStream`): new connections and kept-alive
    ones, plain and TLS alike. The socket is watched through a duplicate of its descriptor:
    a TLS socket replaces the plain one it wraps (which is then detached and could not be shut),
    and a duplicate shuts the same connection, whichever object reads it. A connection shut
    this way is closed by httpcore, not reused.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._watched: dict[int, socket.socket] = {}
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._token = None

    def __enter__(self) -> "Deadline":
        self._token = _current_deadline.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _current_deadline.reset(self._token)
        with self._lock:
            duplicates, self._watched = list(self._watched.values()), {}
        for duplicate in duplicates:
            duplicate.close()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None or sock.fileno() < 0:
            return
        with self._lock:
            if sock.fileno() in self._watched:
                return
            duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
            self._watched[sock.fileno()] = duplicate
            late = self.expired
        if late:  # touched after the deadline: its next read or write fails at once
            self._shut(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            duplicates = list(self._watched.values())
        for duplicate in duplicates:
            self._shut(duplicate)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # shutdown, not close: it wakes a recv() blocked in the other thread at once. OSError:
        # closed already, the request is over.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def client(**options) -> httpx.Client:
    """An httpx client for outbound requests: guarded, never following redirects."""
    transport = options.pop("transport", None) or GuardedTransport()
    return httpx.Client(transport=transport, follow_redirects=False, trust_env=False, **options)
