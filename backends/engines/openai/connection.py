"""The HTTP side of an OpenAI-compatible endpoint: kept-alive connections, each reply read line by line.

urllib3 rather than httpx: next to a CPU server, the client shares the cores with the server it feeds, and urllib3
(over the standard library's HTTP parser) reads a stream chunk for less than half of httpx's CPU
(benchmarks/scripts/bench_stream_reader.py). Proxies come from the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY),
certificates from SSL_CERT_FILE or certifi, as with httpx.

A reply read to its last event is read to its end too, so that its connection serves the next request; a server
that holds the stream open after that event gets DRAIN_S before the connection is dropped instead.
"""
from __future__ import annotations

import contextlib
import json
import os
import urllib.request
from http.client import IncompleteRead, RemoteDisconnected
from typing import Any, Iterator
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, InvalidChunkLength, MaxRetryError, NewConnectionError, \
    ProtocolError, ProxyError, ReadTimeoutError, SSLError

DRAIN_S = 0.5  # how long a reply's end may lag its last event before the connection is dropped instead
KEPT_CONNECTIONS = 256  # idle connections kept per host: more requests than this in flight open extra ones


class TransportError(RuntimeError):
    """A failure below HTTP, worded without Python's internals."""


class ConnectFailed(TransportError):
    """No connection to the server (refused, unresolvable, a TLS or proxy failure, or no answer to connect)."""


class ReadTimedOut(TransportError):
    """The server was silent for longer than the read timeout."""


class StreamBroken(TransportError):
    """The connection broke, or the server broke HTTP, while the reply was being read."""


def reason(exc: BaseException) -> str:
    """What went wrong, in words: the operating system's message where there is one ("Connection refused")."""
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    # urllib3 wraps the error it met: look at it, at what it carries, and at what caused it.
    for error in (exc, *exc.args, exc.__cause__, exc.__context__):
        words = _in_words(error)
        if words:
            return words
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, str) and first else type(exc).__name__


def _in_words(error: object) -> str | None:
    if isinstance(error, InvalidChunkLength):
        return "the server sent a malformed chunk"
    if isinstance(error, IncompleteRead):
        return "the connection closed before the reply ended"
    if isinstance(error, RemoteDisconnected):
        return "the server closed the connection without a reply"
    if isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError):  # (its subclass)
        return "no answer to connect"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return None


def _translated(exc: BaseException) -> TransportError:
    inner = exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc
    if isinstance(inner, ReadTimeoutError):
        return ReadTimedOut(reason(inner))
    if isinstance(inner, (NewConnectionError, ConnectTimeoutError, ProxyError, SSLError)):
        return ConnectFailed(reason(inner))
    return StreamBroken(reason(inner))


def closed_before_any_reply(exc: BaseException) -> bool:
    """The server closed or reset the connection before a byte of its reply."""
    return isinstance(exc, ProtocolError) and any(
        isinstance(error, (RemoteDisconnected, ConnectionResetError, BrokenPipeError)) for error in exc.args)


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url`, unless NO_PROXY exempts its host."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


class StreamedReply:
    """One response: its status, and its body as text or as lines as they arrive."""

    def __init__(self, response: urllib3.BaseHTTPResponse):
        self._response = response
        self.status = response.status
        self.finished = False  # set by the reader once it has taken the reply's last event

    def text(self) -> str:
        return self._response.read().decode("utf-8", "replace")

    def lines(self) -> Iterator[str]:
        """The body's lines, each as soon as its end arrives; the last may lack its newline."""
        pending = b""
        while True:
            data = self._read()
            if not data:
                break
            *complete, pending = (pending + data).split(b"\n")
            for line in complete:
                yield line.decode("utf-8", "replace")
        if pending:
            yield pending.decode("utf-8", "replace")

    def _read(self) -> bytes:
        try:
            return self._response.read1(65536)
        except (HTTPError, OSError) as exc:
            raise _translated(exc) from None

    def end(self) -> None:
        """Give the connection back for the next request when the reply ends promptly; else drop it."""
        response = self._response
        if self.finished and self._drained():
            response.release_conn()
            return
        response.close()  # vLLM aborts a request whose client left
        response.release_conn()

    def _drained(self) -> bool:
        """Read what is left after the last event (the end of the chunked body), for at most DRAIN_S."""
        connection = self._response.connection
        if connection is None or connection.sock is None:
            return False
        connection.sock.settimeout(DRAIN_S)  # the next request sets its own read timeout
        try:
            while self._response.read1(65536):
                pass
        except (HTTPError, OSError):
            return False
        return True


class EndpointConnections:
    """Connections to one endpoint, shared by the requests in flight (urllib3's pool is thread-safe)."""

    def __init__(self, endpoint: str, headers: dict[str, str], connect_timeout_s: float, read_timeout_s: float,
                 connect_retries: int):
        self.endpoint = endpoint.rstrip("/")
        timeout = urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s)
        # Retries apply to connecting only: a request the server may be working on is never sent twice.
        retries = urllib3.Retry(total=None, connect=connect_retries, read=False, redirect=False, status=0, other=0)
        settings: dict[str, Any] = dict(headers={**headers, "Content-Type": "application/json"}, timeout=timeout,
                                        retries=retries, maxsize=KEPT_CONNECTIONS)
        if urlsplit(self.endpoint).scheme == "https":
            settings["ca_certs"] = os.environ.get("SSL_CERT_FILE") or _certifi_bundle()
        proxy = proxy_for(self.endpoint)
        self._http = urllib3.ProxyManager(proxy, **settings) if proxy else urllib3.PoolManager(**settings)

    @contextlib.contextmanager
    def post(self, path: str, payload: dict[str, Any]) -> Iterator[StreamedReply]:
        """POST `payload` as JSON and yield the reply unread; raises a TransportError when none arrives."""
        body = json.dumps(payload).encode()
        for attempt in (1, 2):
            try:
                response = self._http.urlopen("POST", self.endpoint + path, body=body, preload_content=False,
                                              decode_content=True)
                break
            except (HTTPError, OSError) as exc:
                # A kept connection the server closed as it idled (uvicorn does after 5 s) can be taken just as
                # the close arrives: the server saw no request. Once, on a fresh connection, the request goes again.
                if attempt == 2 or not closed_before_any_reply(exc):
                    raise _translated(exc) from None
        reply = StreamedReply(response)
        try:
            yield reply
        finally:
            reply.end()

    def close(self) -> None:
        self._http.clear()


def _certifi_bundle() -> str | None:
    try:
        import certifi
    except ImportError:
        return None  # the system's certificates
    return certifi.where()
