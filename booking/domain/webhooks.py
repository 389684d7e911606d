"""Webhooks' rules: the events an endpoint can choose, and which addresses may receive them.

Pure: the address rules look at the URL and at IP addresses already resolved; looking a
host name up is the service's (services/webhooks/endpoints.py), which asks `refusal`
again with each address it finds.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

from booking.domain.text import has_control

BOOKING_CREATED = "booking.created"
BOOKING_CHANGED = "booking.changed"
BOOKING_CANCELLED = "booking.cancelled"
WAITLIST_OFFERED = "waitlist.offered"
WAITLIST_CLAIMED = "waitlist.claimed"
# Sent only when the owner asks for one, to whichever endpoint they choose.
TEST = "webhook.test"

# What an owner can tick, in the order the form shows them, with what each means.
EVENTS = {
    BOOKING_CREATED: "A booking is made: online, by reception, or a waitlist offer claimed.",
    BOOKING_CHANGED: (
        "A booking moves to another time or practitioner, or its status changes "
        "(arrived, done, no-show, back to booked, voided as entered in error)."
    ),
    BOOKING_CANCELLED: "A booking is cancelled, by the patient or the clinic.",
    WAITLIST_OFFERED: "A freed time is held for a patient on the waitlist.",
    WAITLIST_CLAIMED: "A patient books the time held for them.",
}
ALL_EVENTS = (*EVENTS, TEST)

MAX_URL_LENGTH = 2000
# Names that always mean this machine, whatever the resolver says.
LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost")

HTTPS_ONLY = "Use an https:// address: webhooks carry details of patients' bookings."
HTTP_LOCAL_ONLY = (
    "Use an https:// address. Plain http:// is accepted only for 127.0.0.1 or localhost, "
    "and only outside production."
)
NOT_PUBLIC = (
    "That address is inside a private network or this server ({address}): webhooks go "
    "only to addresses on the internet."
)


# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, 8215),
# IPv4-compatible (::a.b.c.d) and IPv4-translated (::ffff:0:a.b.c.d, RFC 2765).
EMBEDDING = tuple(
    ipaddress.ip_network(prefix)
    for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96")
)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64 ...), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in EMBEDDING):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """Whether an IP address is one on the internet (not private, loopback, link-local,
    reserved, multicast or unspecified), IPv4 inside IPv6 judged as the IPv4 it holds."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            return False  # a tunnel whose far end cannot be judged
        ip = embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def is_loopback_host(host: str) -> bool:
    """localhost, or an address on this machine (127.0.0.0/8, ::1)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ip_literal(host: str) -> str | None:
    """The host as an IP address, when it is one."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _parts(url: str) -> tuple[SplitResult | None, str | None]:
    """The URL split, or why it cannot be used at all."""
    if not url:
        return None, "Enter the endpoint's address, e.g. https://example.com/webhooks."
    if len(url) > MAX_URL_LENGTH:
        return None, f"Keep the address under {MAX_URL_LENGTH:,} characters."
    if has_control(url) or any(character.isspace() for character in url):
        return None, "Remove the spaces and line breaks from the address."
    if not url.isascii():
        return None, "Use the address in plain ASCII (an international name as xn--…)."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        return None, "That is not a web address, e.g. https://example.com/webhooks."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None, "That is not a web address, e.g. https://example.com/webhooks."
    return parts, None


def refusal(url: str, *, production: bool, private_allowed: bool = False) -> str | None:
    """Why the URL cannot receive webhooks, or None.

    https only in production; plain http only to this machine, and only outside it. No
    user name or password in the address (they would be logged and shown). In
    production an IP address given in the URL must be on the internet, unless
    `private_allowed` (a receiver inside the clinic's own network).
    """
    parts, problem = _parts(url)
    if problem:
        return problem
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return (
            "Remove the user name and password from the address: the signature proves "
            "each webhook is the clinic's."
        )
    if parts.fragment or url.endswith("#"):
        return "Remove the #… part: it is never sent."
    host = parts.hostname
    if parts.scheme == "http" and (production or not is_loopback_host(host)):
        return HTTPS_ONLY if production else HTTP_LOCAL_ONLY
    if production and not private_allowed:
        literal = ip_literal(host)
        if is_loopback_host(host) or (literal and not is_public(literal)):
            return NOT_PUBLIC.format(address=host)
    return None


def address_refusal(host: str, address: str, *, production: bool, private_allowed: bool):
    """Why a host's resolved address may not be connected to, or None.

    Judged the same whether or not the process runs in production mode (a cron job may
    not): an address off the internet is refused unless the owner allows private
    networks, or, outside production, the URL itself names this machine (a receiver
    for development and tests). A public name that turns inward is refused either way.
    """
    if private_allowed or is_public(address):
        return None
    if not production and is_loopback_host(host) and ipaddress.ip_address(address).is_loopback:
        return None
    return NOT_PUBLIC.format(address=f"{host} is {address}")


def chosen_events(events) -> list[str]:
    """The events an endpoint listens for, known ones only, in the form's order."""
    wanted = set(events or ())
    return [event for event in EVENTS if event in wanted]
