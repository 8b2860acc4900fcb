"""The image_url guard against real HTTPS servers on loopback: forbidden targets are never fetched, directly,
through a name or through a redirect; the allow-listed fixture server is; size, time and redirects are capped.
"""

from __future__ import annotations

import ipaddress
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from skin_analysis.remote_image import DownloadFailed, FetchLimits, ImageUrlPolicy, ImageUrlRefused, RemoteImageFetcher
from tests.integration.remote_image.conftest import (
    MAX_BYTES,
    PHOTO,
    TIMEOUT_SECONDS,
    RecordingConnector,
    StubResolver,
)

if TYPE_CHECKING:
    from skin_analysis.remote_image import IPAddress
    from tests.integration.remote_image.conftest import Servers


def victim_port(servers: Servers) -> int:
    return int(servers.victim.authority.rsplit(":", 1)[1])


def forbidden_urls(servers: Servers) -> dict[str, str]:
    """Each forbidden target as a URL; literal loopback ones reach the (unlisted) victim if the guard fails."""
    port = victim_port(servers)
    port6 = int(servers.victim6.authority.rsplit(":", 1)[1])
    return {
        "loopback v4": f"https://127.0.0.1:{port}/photo.jpg",
        "loopback v6": f"https://[::1]:{port6}/photo.jpg",
        "unspecified 0.0.0.0": f"https://0.0.0.0:{port}/photo.jpg",
        "IPv4-mapped IPv6": f"https://[::ffff:127.0.0.1]:{port}/photo.jpg",
        "decimal spelling": f"https://2130706433:{port}/photo.jpg",
        "octal spelling": f"https://0177.0.0.1:{port}/photo.jpg",
        "hex spelling": f"https://0x7f.0.0.1:{port}/photo.jpg",
        "metadata 169.254.169.254": f"https://169.254.169.254:{port}/latest/meta-data/",
        "10/8": f"https://10.0.0.1:{port}/photo.jpg",
        "172.16/12": f"https://172.16.0.1:{port}/photo.jpg",
        "172.16/12 top": f"https://172.31.255.254:{port}/photo.jpg",
        "192.168/16": f"https://192.168.1.1:{port}/photo.jpg",
        "name resolving to 10/8": f"https://internal.photos.example:{port}/photo.jpg",
        "name with one private answer": f"https://mixed.photos.example:{port}/photo.jpg",
        "localhost (system resolver)": f"https://localhost:{port}/photo.jpg",
        "http": f"http://127.0.0.1:{port}/photo.jpg",
        "file": "file:///etc/passwd",
        "gopher": f"gopher://127.0.0.1:{port}/_GET%20/photo.jpg",
    }


CASES = [
    "loopback v4",
    "loopback v6",
    "unspecified 0.0.0.0",
    "IPv4-mapped IPv6",
    "decimal spelling",
    "octal spelling",
    "hex spelling",
    "metadata 169.254.169.254",
    "10/8",
    "172.16/12",
    "172.16/12 top",
    "192.168/16",
    "name resolving to 10/8",
    "name with one private answer",
    "localhost (system resolver)",
    "http",
    "file",
    "gopher",
]


def guarded(servers: Servers) -> tuple[RecordingConnector, StubResolver]:
    """A connector that would route every connection to the victim, and a resolver with two private names."""
    connector = RecordingConnector(route_to=("127.0.0.1", victim_port(servers)))
    resolver = StubResolver(
        {
            "internal.photos.example": [ipaddress.ip_address("10.1.2.3")],
            "mixed.photos.example": [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("192.168.7.7")],
        }
    )
    return connector, resolver


@pytest.mark.parametrize("case", CASES)
def test_a_forbidden_target_is_refused_and_nothing_is_fetched(fresh: Servers, case: str) -> None:
    # Given a fetcher whose every connection would land on a counting victim server
    connector, resolver = guarded(fresh)
    fetch = fresh.fetcher(resolver=resolver, connect=connector)

    # When it is asked for a forbidden target
    with pytest.raises(ImageUrlRefused):
        fetch(forbidden_urls(fresh)[case])

    # Then no connection was even attempted, and the victim served nothing
    assert connector.attempts == []
    assert fresh.victim_requests == 0


@pytest.mark.parametrize("case", CASES)
def test_a_redirect_to_a_forbidden_target_is_refused_and_nothing_is_fetched(fresh: Servers, case: str) -> None:
    # Given the allow-listed fixture server redirecting to a forbidden target
    connector, resolver = guarded(fresh)
    connector.route_to = None
    fetch = fresh.fetcher(resolver=resolver, connect=connector)
    url = fresh.fixture.url("redirect?to=" + quote(forbidden_urls(fresh)[case], safe=""))

    # When the fetcher follows it
    with pytest.raises(ImageUrlRefused):
        fetch(url)

    # Then only the fixture server was reached: one connection, one request, and the victim served nothing
    assert connector.attempts == [fresh.fixture.authority]
    assert fresh.fixture.requests == {"/redirect": 1}
    assert fresh.victim_requests == 0


def test_the_allow_listed_fixture_server_is_fetched_over_verified_tls(fresh: Servers) -> None:
    # Given the allow-listed fixture server (loopback, which only the allow-list lets through)
    fetch = fresh.fetcher()

    # When its photo is fetched, directly and through redirects (relative and absolute)
    direct = fetch(fresh.fixture.url("photo.jpg"))
    absolute = fresh.fixture.url("photo.jpg")
    redirected = fetch(fresh.fixture.url("redirect?to=" + quote(fresh.fixture.url("redirect?to=/photo.jpg"), safe="")))

    # Then the bytes arrive, and the redirects were counted
    assert direct.data == PHOTO
    assert direct.redirects == 0
    assert redirected.data == PHOTO
    assert redirected.redirects == 2
    assert absolute.startswith("https://127.0.0.1:")


def test_a_certificate_the_fetcher_does_not_trust_fails_the_download(fresh: Servers) -> None:
    # Given a fetcher with the default trust store (the local CA not in it)
    untrusting = RemoteImageFetcher(
        ImageUrlPolicy.of([fresh.fixture.authority]), FetchLimits(max_bytes=MAX_BYTES, timeout_seconds=TIMEOUT_SECONDS)
    )

    # When it fetches from the fixture server
    # Then TLS verification fails the download
    with pytest.raises(DownloadFailed, match="CERTIFICATE_VERIFY_FAILED"):
        untrusting(fresh.fixture.url("photo.jpg"))


def test_more_than_three_redirects_fail(fresh: Servers) -> None:
    # Given a chain of four redirects
    url = fresh.fixture.url("photo.jpg")
    for _ in range(4):
        url = fresh.fixture.url("redirect?to=" + quote(url, safe=""))

    # When it is fetched
    # Then it fails after the third redirect, and the photo is never requested
    with pytest.raises(DownloadFailed, match="more than 3 redirects"):
        fresh.fetcher()(url)
    assert fresh.fixture.requests == {"/redirect": 4}


def test_a_declared_size_over_the_cap_fails_before_the_body_is_read(fresh: Servers) -> None:
    # Given a photo one byte over the cap
    # When it is fetched
    # Then the download fails on its Content-Length
    with pytest.raises(DownloadFailed, match=f"{MAX_BYTES + 1} bytes; the limit is {MAX_BYTES}"):
        fresh.fetcher()(fresh.fixture.url("big.jpg"))


def test_an_undeclared_body_is_cut_at_the_cap(fresh: Servers) -> None:
    # Given a body without Content-Length that never ends
    # When it is fetched
    # Then the download stops once the cap is passed
    with pytest.raises(DownloadFailed, match=f"over the limit of {MAX_BYTES} bytes"):
        fresh.fetcher()(fresh.fixture.url("endless"))


@pytest.mark.parametrize("path", ["drip", "drip-headers"])
def test_a_trickling_answer_is_cut_at_the_total_time_cap(fresh: Servers, path: str) -> None:
    # Given a server that sends its body, or its headers, one byte every 0.2 s forever (each receive well inside
    # any per-receive timeout)
    started = time.monotonic()

    # When it is fetched
    # Then the whole download is cut at the time cap
    with pytest.raises(DownloadFailed, match="longer than"):
        fresh.fetcher()(fresh.fixture.url(path))
    assert TIMEOUT_SECONDS - 0.1 < time.monotonic() - started < TIMEOUT_SECONDS + 1.0


def test_a_name_resolution_that_hangs_is_cut_at_the_total_time_cap(fresh: Servers) -> None:
    # Given a resolver that never answers in time
    def stuck(host: str, port: int) -> list[IPAddress]:
        time.sleep(TIMEOUT_SECONDS + 2)
        return [ipaddress.ip_address("93.184.215.14")]

    started = time.monotonic()

    # When a name is fetched
    # Then the fetch gives up at the cap, without waiting for the resolver
    with pytest.raises(DownloadFailed, match="longer than"):
        fresh.fetcher(resolver=stuck)("https://slow-dns.photos.example/a.jpg")
    assert time.monotonic() - started < TIMEOUT_SECONDS + 1.0


def test_an_error_status_fails_the_download(fresh: Servers) -> None:
    # Given a path the server does not have
    # When it is fetched
    # Then the download fails with the status
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        fresh.fetcher()(fresh.fixture.url("missing.jpg"))
