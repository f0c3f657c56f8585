"""The SSRF guard, on real resolution (IP literals, /etc/hosts names)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounting import errors
from accounting.webhooks import addresses

REFUSED = "does not resolve to a public address"

# One address of every range a webhook must never reach, and why.
NOT_PUBLIC = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback, end of 127/8"),
    ("10.0.0.5", "private 10/8"),
    ("172.16.0.1", "private 172.16/12"),
    ("172.31.255.255", "private 172.16/12, end"),
    ("192.168.1.1", "private 192.168/16"),
    ("169.254.169.254", "link-local: cloud metadata"),
    ("100.64.0.1", "CGNAT 100.64/10"),
    ("100.127.255.254", "CGNAT, end"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 (an address under test)
    ("0.1.2.3", "this network 0/8"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast (SSDP)"),
    ("240.0.0.1", "reserved 240/4"),
    ("255.255.255.255", "broadcast"),
    ("192.0.2.1", "documentation TEST-NET-1"),
    ("198.18.0.1", "benchmarking 198.18/15"),
    ("192.0.0.1", "IETF protocol assignments"),
    ("::1", "IPv6 loopback"),
    ("::", "IPv6 unspecified"),
    ("fe80::1", "IPv6 link-local"),
    ("fec0::1", "IPv6 site-local (deprecated, still routed inside)"),
    ("fc00::1", "unique-local fc00::/7"),
    ("fd12:3456::1", "unique-local fd00::/8"),
    ("ff02::1", "IPv6 multicast"),
    ("2001:db8::1", "IPv6 documentation"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.5", "IPv4-mapped private"),
    ("::ffff:169.254.169.254", "IPv4-mapped metadata"),
    ("::127.0.0.1", "IPv4-compatible loopback (reserved ::/8)"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254 (reserved ::/8)"),
    ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
    ("2002:a00:5::1", "6to4 of 10.0.0.5"),
    ("2001::1", "Teredo"),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450:4001:800::200e",
    "::ffff:8.8.8.8",  # mapped: it is 8.8.8.8 on the wire
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


def literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.mark.parametrize(
    ("address", "why"), NOT_PUBLIC, ids=[why for _, why in NOT_PUBLIC]
)
def test_an_address_that_is_not_public_is_refused(address, why):
    del why
    url = f"https://{literal(address)}:8443/hooks"

    with pytest.raises(errors.WebhookUrlInvalidError, match=REFUSED) as raised:
        addresses.endpoint_check(url, allow_private=False, require_https=True)

    assert raised.value.code == "invalid_webhook_url"
    with pytest.raises(errors.WebhookUrlInvalidError, match=REFUSED):
        addresses.addresses_vetted(address, 443, allow_private=False)


@pytest.mark.parametrize("address", [address for address, _ in NOT_PUBLIC])
def test_private_addresses_pass_where_allowed(address):
    url = f"http://{literal(address)}/hooks"

    addresses.endpoint_check(url, allow_private=True, require_https=False)


@pytest.mark.parametrize("address", PUBLIC)
def test_a_public_address_passes(address):
    url = f"https://{literal(address)}/hooks"

    addresses.endpoint_check(url, allow_private=False, require_https=True)
    assert addresses.addresses_vetted(address, 443, allow_private=False) == [
        address
    ]


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "localhost.", "2130706433", "0x7f.1"]
)
def test_a_name_or_odd_literal_for_loopback_is_refused(host):
    with pytest.raises(errors.WebhookUrlInvalidError, match=REFUSED):
        addresses.endpoint_check(
            f"http://{host}:8000/", allow_private=False, require_https=False
        )


def test_a_name_resolves_to_its_addresses():
    assert addresses.addresses_vetted("localhost", 80, allow_private=True) == [
        "127.0.0.1"
    ]
    addresses.endpoint_check(
        "http://localhost:8000/", allow_private=True, require_https=False
    )


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_host_that_does_not_resolve_is_refused_alike(allow_private):
    with pytest.raises(errors.WebhookUrlInvalidError, match=REFUSED):
        addresses.endpoint_check(
            "https://no-such-host.invalid/hooks",
            allow_private=allow_private,
            require_https=True,
        )
    assert (
        addresses.addresses_vetted(
            "no-such-host.invalid", 443, allow_private=allow_private
        )
        == []
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("hooks.example.com/x", "absolute http or https"),
        ("//8.8.8.8/x", "absolute http or https"),
        ("/hooks", "absolute http or https"),
        ("http:///hooks", "absolute http or https"),
        ("ftp://8.8.8.8/x", "absolute http or https"),
        ("file:///etc/passwd", "absolute http or https"),
        ("gopher://8.8.8.8:70/", "absolute http or https"),
        ("http://8.8.8.8/x", "must use https"),
        ("https://user:secret@8.8.8.8/x", "user name or password"),
        ("https://user@8.8.8.8/x", "user name or password"),
        ("https://8.8.8.8/x#frag", "fragment"),
        ("https://8.8.8.8/x#", "fragment"),
        ("https://8.8.8.8:0/x", "port is out of range"),
        ("https://8.8.8.8:65536/x", "port is out of range"),
        ("https://8.8.8.8/x\r\nHost: evil", "invalid"),
        ("https://[::1/x", "invalid"),
    ],
)
def test_a_url_of_a_refused_form_is_refused(url, message):
    with pytest.raises(errors.WebhookUrlInvalidError, match=message):
        addresses.endpoint_check(url, allow_private=False, require_https=True)


def test_plain_http_passes_where_allowed():
    addresses.endpoint_check(
        "http://8.8.8.8:8080/x?a=1", allow_private=False, require_https=False
    )


def test_a_url_of_the_longest_length_passes_and_one_more_does_not():
    start = "https://8.8.8.8/"
    longest = start + "a" * (addresses.MAX_URL_LENGTH - len(start))

    addresses.endpoint_check(longest, allow_private=False, require_https=True)
    with pytest.raises(errors.WebhookUrlInvalidError, match="longer than"):
        addresses.endpoint_check(
            longest + "a", allow_private=False, require_https=True
        )


def test_the_checked_url_is_what_the_sender_connects_to():
    parsed = addresses.url_checked(
        "HTTPS://Hooks.Example.COM:8443/in?x=1", require_https=True
    )

    assert (parsed.scheme, parsed.raw_host, parsed.port) == (
        "https",
        b"hooks.example.com",
        8443,
    )
    assert parsed.raw_path == b"/in?x=1"


@given(
    start=st.sampled_from(
        ["", "http://", "https://", "https://[", "http://a@"]
    ),
    rest=st.text(),
)
def test_any_text_is_parsed_or_refused_never_raising_else(start, rest):
    try:
        parsed = addresses.url_checked(start + rest, require_https=False)
    except errors.WebhookUrlInvalidError:
        return
    assert parsed.scheme in ("http", "https")
    assert parsed.raw_host
    assert not parsed.userinfo
