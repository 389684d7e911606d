"""A real HTTP server on loopback that receives webhooks and keeps each request, for tests.

It answers each POST with the next status in `answers` (then 200 for good), so a test can
make it fail first; a 3xx answer carries a Location, to check it is never followed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return self.payload["type"]

    @property
    def data(self) -> dict:
        return self.payload["data"]

    def verify(self, secret: str) -> dict:
        """The payload, once the library has checked its signature and timestamp."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Start with `with Receiver() as receiver:`; `receiver.url` is where to send."""

    def __init__(self, answers: list[int] | None = None):
        self.answers = list(answers or [])
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def of_type(self, event: str) -> list[Request]:
        return [r for r in self.requests if r.type == event]
