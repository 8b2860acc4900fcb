"""The local stack's image_url fixture server: HTTPS on loopback with a certificate made at `local up`."""

from skin_analysis_local.image_fixtures.local import (
    FIXTURES_DIR,
    SAMPLE_PHOTO,
    LocalImageFixtures,
    start_local_fixtures,
)
from skin_analysis_local.image_fixtures.server import ImageFixtureServer
from skin_analysis_local.image_fixtures.tls import LocalCertificates, make_certificates

__all__ = [
    "FIXTURES_DIR",
    "SAMPLE_PHOTO",
    "ImageFixtureServer",
    "LocalCertificates",
    "LocalImageFixtures",
    "make_certificates",
    "start_local_fixtures",
]
