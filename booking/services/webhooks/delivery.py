"""Posting one webhook as the Standard Webhooks spec has it, and nothing more.

The headers are `webhook-id` (the outbox row's, the same on every attempt, for the
receiver to drop a repeat), `webhook-timestamp` (this attempt's, in seconds) and
`webhook-signature`: `v1,` and the base64 HMAC-SHA256 of "id.timestamp.body", signed by
the `standardwebhooks` library with each current secret, space-separated. The host is
looked up just before connecting and every address checked again (in production: on
the internet, never this server or a private network), and the connection goes to the
address that was checked, so a name that changes its answer cannot turn a webhook
inward. Each step waits WEBHOOK_TIMEOUT_SECONDS at most; a redirect is a failure, never
followed; only a 2xx answer counts as delivered. Nothing of the body sent or received
is logged or stored.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from standardwebhooks import Webhook

from booking.domain import webhooks as rules
from booking.models.base import utcnow
from booking.services.webhooks.payloads import Prepared

# Only so much of an answer is read (and then dropped): a receiver cannot hold a run up
# by sending a long body.
MAX_ANSWER_BYTES = 4096
# A whole attempt (connect, send, answer) ends after this many times the timeout of one
# step, whatever the receiver does: a run, and the emails in it, is never held longer.
ATTEMPT_LIMIT = 2
USER_AGENT = "clinic-booking-webhooks/1 (Standard Webhooks)"


class Refused(Exception):
    """The address may not be connected to; the message says why, for the owner."""


@dataclass(frozen=True)
class Result:
    """How one attempt went: the HTTP status, or why there was none, and how long it took."""

    attempted_at: datetime
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """410 Gone: the receiver wants no more (the spec says to disable the endpoint)."""
        return self.status_code == 410


class DeliveryFailed(Exception):
    """A failed attempt, as the outbox counts it: `summary` is all that is recorded."""

    def __init__(self, result: Result):
        super().__init__(result.error)
        self.summary = result.error[:200]
        self.permanent = result.gone


def settings() -> tuple[float, bool, bool]:
    """The timeout, whether this is production, whether private networks are allowed."""
    config = current_app.config
    return (
        float(config["WEBHOOK_TIMEOUT_SECONDS"]),
        bool(config.get("PRODUCTION")),
        bool(config.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS")),
    )


def signature(secrets: tuple[str, ...], message_id: str, moment: datetime, body: bytes) -> str:
    """Every current secret's signature of "id.timestamp.body", space-separated."""
    return " ".join(Webhook(secret).sign(message_id, moment, body) for secret in secrets)


def headers(prepared: Prepared, moment: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": prepared.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature(
            prepared.secrets, prepared.message_id, moment, prepared.body
        ),
    }


def addresses(host: str, port: int, *, production: bool, private_allowed: bool) -> list[str]:
    """The host's addresses, each one allowed; Refused if it has none or any is not."""
    literal = rules.ip_literal(host)
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise Refused(f"The host {host} cannot be found.") from error
        found = list(dict.fromkeys(info[4][0] for info in infos))
    for address in found:
        if problem := rules.address_refusal(
            host, address, production=production, private_allowed=private_allowed
        ):
            # One inward answer is enough to refuse: which one is used is not ours to pick.
            raise Refused(problem)
    return found


class _Pinned:
    """Connect to the checked addresses (in turn) instead of looking the host up again."""

    addresses: list[str]
    host: str
    port: int
    timeout: float

    def _socket(self) -> socket.socket:
        last: OSError | None = None
        for address in self.addresses:
            try:
                return socket.create_connection((address, self.port), self.timeout)
            except OSError as error:
                last = error
        raise last or OSError("no address to connect to")


class PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def __init__(self, host: str, port: int, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = self._socket()


class PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.addresses = addresses

    def connect(self) -> None:
        # The certificate is checked against the host's name, not the address used.
        self.sock = self._context.wrap_socket(self._socket(), server_hostname=self.host)


def describe(error: BaseException) -> str:
    """A failure in a few words, for the owner's page: never any of the content."""
    if isinstance(error, Refused):
        return str(error)
    if isinstance(error, TimeoutError | socket.timeout):
        return "Timed out"
    if isinstance(error, ConnectionRefusedError):
        return "Connection refused"
    if isinstance(error, ssl.SSLCertVerificationError):
        return "TLS: the certificate is not trusted for this host"
    if isinstance(error, ssl.SSLError):
        return "TLS failed"
    if isinstance(error, ConnectionError):
        return "Connection lost"
    return type(error).__name__


def failure(status: int) -> str:
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed, use the new address"
    if status == 410:
        return "HTTP 410 Gone: the receiver wants no more, so the endpoint was disabled"
    return f"HTTP {status}"


class Deadline:
    """The whole attempt's limit: each read waits `timeout` at most, but a receiver that
    drips a byte at a time would never trip that, so at ATTEMPT_LIMIT times it the
    socket is shut from a timer and the attempt ends as timed out."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float):
        self.connection = connection
        self.passed = False
        self.timer = threading.Timer(seconds, self.cut)
        self.timer.daemon = True

    def cut(self) -> None:
        self.passed = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Deadline:
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()


def _exchange(prepared: Prepared, found: list[str], timeout: float, moment: datetime) -> int:
    """Post the body and read the start of the answer; the answer's status."""
    parts = urlsplit(prepared.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    kind = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
    connection = kind(parts.hostname, port, found, timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    deadline = Deadline(connection, timeout * ATTEMPT_LIMIT)
    try:
        with deadline:
            connection.request("POST", path, body=prepared.body, headers=headers(prepared, moment))
            answer = connection.getresponse()
            answer.read(MAX_ANSWER_BYTES)
            return answer.status
    except (OSError, http.client.HTTPException) as error:
        if deadline.passed:
            raise TimeoutError("no whole answer in time") from error
        raise
    finally:
        connection.close()


def post(prepared: Prepared) -> Result:
    """One attempt: check the address, sign with this moment's timestamp, post, time it."""
    timeout, production, private_allowed = settings()
    moment = utcnow()
    started = time.monotonic()
    status, error = None, ""
    try:
        if problem := rules.refusal(
            prepared.url, production=production, private_allowed=private_allowed
        ):
            raise Refused(problem)
        parts = urlsplit(prepared.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = addresses(
            parts.hostname, port, production=production, private_allowed=private_allowed
        )
        status = _exchange(prepared, found, timeout, moment)
        if not 200 <= status < 300:
            error = failure(status)
    except (OSError, http.client.HTTPException, Refused) as problem:
        error = describe(problem)
    duration = int((time.monotonic() - started) * 1000)
    return Result(moment, status, error[:200], duration)
