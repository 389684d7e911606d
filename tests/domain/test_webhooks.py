"""Which addresses may receive webhooks, in production and outside it."""

from __future__ import annotations

import pytest

from booking.domain import webhooks as rules


@pytest.mark.parametrize(
    ("url", "production", "problem"),
    [
        ("https://hooks.example.com/clinic", True, None),
        ("https://hooks.example.com:8443/in?clinic=1", True, None),
        ("https://93.184.215.14/hook", True, None),
        ("http://127.0.0.1:8080/hook", False, None),
        ("http://localhost/hook", False, None),
        ("http://[::1]:9000/", False, None),
        ("https://127.0.0.1/hook", False, None),
        ("https://10.1.2.3/hook", False, None),
        ("", True, "Enter the endpoint's address"),
        ("hooks.example.com/clinic", True, "That is not a web address"),
        ("ftp://hooks.example.com/", True, "That is not a web address"),
        ("https://", True, "That is not a web address"),
        ("https://hooks.example.com:99999/", True, "That is not a web address"),
        ("https://hooks.example.com/a b", True, "Remove the spaces"),
        ("https://hooks.example.com/\nX", True, "Remove the spaces"),
        ("https://bücher.example/", True, "Use the address in plain ASCII"),
        ("https://" + "a" * 2000 + ".example/", True, "Keep the address under 2,000"),
        ("https://user:secret@hooks.example.com/", True, "Remove the user name and password"),
        ("https://token@hooks.example.com/", False, "Remove the user name and password"),
        ("https://hooks.example.com/#part", True, "Remove the #"),
        ("http://hooks.example.com/", True, "Use an https:// address: webhooks carry"),
        ("http://127.0.0.1:8080/", True, "Use an https:// address: webhooks carry"),
        ("http://hooks.example.com/", False, "Plain http:// is accepted only for 127.0.0.1"),
        ("http://10.0.0.5/", False, "Plain http:// is accepted only for 127.0.0.1"),
        ("https://127.0.0.1/hook", True, "inside a private network or this server"),
        ("https://localhost/hook", True, "inside a private network or this server"),
        ("https://10.1.2.3/hook", True, "inside a private network or this server"),
        ("https://192.168.1.20/hook", True, "inside a private network or this server"),
        ("https://169.254.169.254/latest", True, "inside a private network or this server"),
        ("https://[::1]/hook", True, "inside a private network or this server"),
        ("https://[fe80::1]/hook", True, "inside a private network or this server"),
        ("https://[::ffff:127.0.0.1]/hook", True, "inside a private network or this server"),
        ("https://0.0.0.0/hook", True, "inside a private network or this server"),
    ],
)
def test_an_address_is_refused_with_a_reason_the_owner_can_act_on(url, production, problem):
    refusal = rules.refusal(url, production=production)
    if problem is None:
        assert refusal is None
    else:
        assert refusal is not None and problem in refusal, refusal


def test_a_private_network_may_be_allowed_in_production_but_never_plain_http():
    assert rules.refusal("https://10.1.2.3/hook", production=True, private_allowed=True) is None
    assert rules.refusal("http://10.1.2.3/hook", production=True, private_allowed=True)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.215.14", True),
        # IPv4 carried inside IPv6 is judged as that IPv4: NAT64, 6to4, compatible, translated.
        ("64:ff9b::a00:5", False),
        ("64:ff9b::5db8:d70e", True),
        ("2002:a9fe:a9fe::", False),
        ("::7f00:1", False),
        ("::ffff:0:7f00:1", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo: cannot be judged
    ],
)
def test_only_addresses_on_the_internet_count_as_public(address, public):
    assert rules.is_public(address) is public


@pytest.mark.parametrize("production", [True, False])
def test_a_public_name_that_resolves_inward_is_refused_in_and_out_of_production(production):
    """A cron job may run with production mode off: a name that turns to a private
    address (DNS rebinding) is refused all the same."""
    refused = rules.address_refusal(
        "hooks.example.com", "10.0.0.1", production=production, private_allowed=False
    )
    assert "hooks.example.com is 10.0.0.1" in refused
    allowed = rules.address_refusal(
        "hooks.example.com", "10.0.0.1", production=production, private_allowed=True
    )
    assert allowed is None


def test_only_a_url_naming_this_machine_reaches_it_and_only_outside_production():
    assert (
        rules.address_refusal("127.0.0.1", "127.0.0.1", production=False, private_allowed=False)
        is None
    )
    assert (
        rules.address_refusal("localhost", "::1", production=False, private_allowed=False) is None
    )
    assert rules.address_refusal("localhost", "127.0.0.1", production=True, private_allowed=False)
    # A name of this machine resolving elsewhere inward is not a loopback receiver.
    assert rules.address_refusal("localhost", "10.0.0.1", production=False, private_allowed=False)


def test_chosen_events_keep_the_known_ones_in_the_forms_order():
    assert rules.chosen_events(["waitlist.offered", "nonsense", "booking.created"]) == [
        "booking.created",
        "waitlist.offered",
    ]
    assert rules.chosen_events(None) == []
