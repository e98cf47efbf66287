"""A chat-completions stream server for tests and benchmarks, speaking HTTP/1.1 the way vLLM's server does: kept
alive, one chunk per event. What it replies is set on the server object: the words, and how a reply ends."""
from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

WORDS = ("Kept", " alive", " reply")


def event(body: dict) -> bytes:
    return f"data: {json.dumps(body)}\n\n".encode()


class ChunkedSse(BaseHTTPRequestHandler):
    """`server.mode` picks how a reply ends: "done" (the body's last chunk right after [DONE]), "open" ([DONE],
    then the body stays open for 4 s), or "cut" (the connection closes mid-body); or "drop_reused": a second
    request on a connection is closed unanswered. `server.words` is the reply."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.accepted += 1
            self.number = self.server.accepted

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, json.loads(body)))
        if self.server.mode == "drop_reused" and self.number in self.server.connections:
            self.close_connection = True  # as a server closing an idle connection just as a request comes
            return
        self.server.connections.add(self.number)  # only those that carried a request: not a reachability probe
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for word in self.server.words:
            self._chunk(event({"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}))
        if self.server.mode == "cut":
            self.close_connection = True
            return
        self._chunk(event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        self._chunk(event({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": len(self.server.words)}}))
        self._chunk(b"data: [DONE]\n\n")
        if self.server.mode == "open":
            time.sleep(4)
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that drops its connection is normal here
            super().handle_error(request, client_address)


@contextlib.contextmanager
def sse_server(words: tuple[str, ...] = WORDS) -> Iterator[ThreadingHTTPServer]:
    """The server, on a free loopback port, in threads of this process; `requests` records (path, body) and
    `connections` the connections that carried a request."""
    httpd = _Server(("127.0.0.1", 0), ChunkedSse)
    httpd.mode, httpd.words, httpd.requests, httpd.lock = "done", words, [], threading.Lock()
    httpd.accepted, httpd.connections = 0, set()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
