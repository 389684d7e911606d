"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the tests."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from icalendar import Calendar

from tests.net import free_port


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    @property
    def invitation(self):
        """The attached .ics, parsed, and its method as the MIME part declares it."""
        (part,) = [
            p for p in self.message.iter_attachments() if p.get_content_type() == "text/calendar"
        ]
        return Calendar.from_ical(part.get_content()), part.get_param("method")

    @property
    def event(self):
        calendar, _method = self.invitation
        (event,) = calendar.walk("VEVENT")
        return event

    def links(self) -> list[str]:
        """Every http(s) link in the text part and in the HTML part's hrefs."""
        text = re.findall(r"https?://\S+", self.text)
        html = re.findall(r'href="(https?://[^"]+)"', self.html)
        return text + html

    def manage_path(self) -> str:
        """The booking's own page (a reminder also links the questions before the visit)."""
        (path,) = {
            urlsplit(url).path
            for url in self.links()
            if re.fullmatch(r"/manage/[^/]+", urlsplit(url).path)
        }
        return path

    def check_in_links(self) -> list[str]:
        """The links to the questions before the visit: path and query, in order."""
        found = []
        for url in self.links():
            parts = urlsplit(url)
            if parts.path.endswith("/check-in"):
                found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return list(dict.fromkeys(found))


class Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"


class MailServer:
    """Start, stop and start again on the same port, as a real server going down would.

    With `logins` ({user: password}) it offers a login, over plain text (tests only).
    """

    def __init__(self, logins: dict[str, str] | None = None):
        self.port = free_port()
        self.handler = Handler()
        self.logins = logins
        self.logged_in: list[str] = []
        self.controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.logins.get(login) == password:
                self.logged_in.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> None:
        options = {}
        if self.logins is not None:
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.recipients]

    def refuse(self, address: str) -> None:
        self.handler.refuse.add(address)

    def accept(self, address: str) -> None:
        self.handler.refuse.discard(address)


def rendered(kind: str) -> str:
    """The one queued `kind` email as the outbox would send it now (call in an app context).

    For tests that read an email without delivering it; the row itself holds no body.
    """
    from booking.extensions import db
    from booking.models import OutboxMessage
    from booking.models.base import utcnow
    from booking.services.emails import render

    row = db.session.execute(db.select(OutboxMessage).filter_by(kind=kind)).scalar_one()
    return render(row, utcnow()).message
