"""The address policy and the synchronous URL check: every category refused, every spelling normalised."""

from __future__ import annotations

import ipaddress

import pytest

from skin_analysis.remote_image import ImageUrlPolicy, ImageUrlRefused, forbidden_reason, literal_address

FORBIDDEN = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "10.0.0.1": "private",
    "10.255.255.255": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.1.1": "private",
    "0.0.0.0": "unspecified",  # noqa: S104  (an address judged, nothing binds to it)
    "::": "unspecified",
    "fc00::1": "unique-local",
    "fd12:3456::1": "unique-local",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "100.64.0.1": "not globally routable",
    "192.0.2.1": "private",
    "::ffff:127.0.0.1": "IPv4-mapped IPv6",
    "::ffff:8.8.8.8": "IPv4-mapped IPv6",
    "2002:7f00:1::": "IPv6 embedding loopback 127.0.0.1",
    "fec0::1": "site-local",
}


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN.items())
def test_non_public_addresses_are_refused_with_their_category(address: str, reason: str) -> None:
    # Given an address that is not public unicast
    # When the policy judges it
    # Then it is refused, naming why
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:0808:0808::"])
def test_public_unicast_addresses_pass(address: str) -> None:
    # Given a public unicast address (6to4 of a public address included)
    # When the policy judges it
    # Then nothing is wrong with it
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("0", "0.0.0.0"),  # noqa: S104  (an address judged, nothing binds to it)
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_odd_spellings_are_read_as_the_address_they_name(spelling: str, address: str) -> None:
    # Given a host spelled in a decimal, octal, hex, short or scoped form
    # When it is read
    # Then it is the address a resolver would connect to
    assert literal_address(spelling) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["photos.example.com", "127.0.0.1 x", "cafe", "1.2.3.4.5", "0x7g"])
def test_names_and_junk_are_not_addresses(host: str) -> None:
    # Given a DNS name, or something inet_aton would half-read
    # Then it is not taken for an address (names are judged when resolved)
    assert literal_address(host) is None


REFUSED_URLS = {
    "http://photos.example.com/a.jpg": "only https",
    "file:///etc/passwd": "only https",
    "gopher://127.0.0.1:70/_x": "only https",
    "ftp://photos.example.com/a.jpg": "only https",
    "//photos.example.com/a.jpg": "only https",
    "https://user:secret@photos.example.com/a.jpg": "user name or password",
    "https:///a.jpg": "no host",
    "https://photos.example.com:99999/a.jpg": "malformed",
    "https://ph_otos.example.com/a.jpg": "not a valid DNS name",
    "https://127.0.0.1/a.jpg": "loopback",
    "https://[::1]/a.jpg": "loopback",
    "https://169.254.169.254/latest/meta-data/": "link-local",
    "https://10.0.0.1/a.jpg": "private",
    "https://172.16.0.1/a.jpg": "private",
    "https://192.168.0.1/a.jpg": "private",
    "https://0.0.0.0/a.jpg": "unspecified",
    "https://[::ffff:127.0.0.1]/a.jpg": "IPv4-mapped",
    "https://2130706433/a.jpg": "loopback",
    "https://0177.0.0.1/a.jpg": "loopback",
    "https://0x7f.1/a.jpg": "loopback",
    "HTTPS://[fd00::1]:8443/a.jpg": "unique-local",
    "https://photos.example.com/" + "a" * 2048: "longer than",
}


@pytest.mark.parametrize(("url", "why"), REFUSED_URLS.items())
def test_the_synchronous_check_refuses_bad_schemes_forms_and_literal_addresses(url: str, why: str) -> None:
    # Given a URL with a bad scheme, form or literal address
    # When the API checks it
    # Then it is refused at once, saying why
    with pytest.raises(ImageUrlRefused, match=why):
        ImageUrlPolicy().check(url)


def test_names_pass_the_synchronous_check_and_keep_host_port_and_path() -> None:
    # Given a public https URL with a name (judged later, when resolved)
    # When the API checks it
    target = ImageUrlPolicy().check("https://Photos.Example.com:8443/a/b.jpg?sig=1#frag")

    # Then its parts are kept for the fetch
    assert (target.host, target.port, target.path) == ("photos.example.com", 8443, "/a/b.jpg?sig=1")
    assert target.authority == "photos.example.com:8443"


def test_only_the_exact_allow_listed_host_and_port_skip_the_address_check() -> None:
    # Given the local stack's allow-list of one fixture server
    policy = ImageUrlPolicy.of(["127.0.0.1:8443", "[::1]:9443"])

    # Then that host:port passes, and the same host on any other port, or another spelling of it, does not
    assert policy.check("https://127.0.0.1:8443/a.jpg").port == 8443
    assert policy.check("https://[::1]:9443/a.jpg").host == "::1"
    for url in ("https://127.0.0.1:8444/a.jpg", "https://2130706433:8443/a.jpg", "https://127.0.0.1/a.jpg"):
        with pytest.raises(ImageUrlRefused, match="loopback"):
            policy.check(url)
