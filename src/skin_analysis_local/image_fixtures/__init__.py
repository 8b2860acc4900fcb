"""The local stack's image_url fixture server: HTTPS on loopback with a certificate made at `local up`."""

from skin_analysis_local.image_fixtures.server import ImageFixtureServer
from skin_analysis_local.image_fixtures.tls import LocalCertificates, make_certificates

__all__ = ["ImageFixtureServer", "LocalCertificates", "make_certificates"]
