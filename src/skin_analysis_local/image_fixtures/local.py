"""What `local up` starts for image_url: a CA, the HTTPS fixture server and a sample photo, under the state dir.

The stack then allow-lists exactly this server's `host:port` (ImageUrlAllowHosts) and hands its CA to the
functions (IMAGE_URL_CA_BUNDLE): every other loopback or private address stays refused by the guard.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from skin_analysis_local.image_fixtures.server import ImageFixtureServer
from skin_analysis_local.image_fixtures.tls import LocalCertificates, make_certificates

if TYPE_CHECKING:
    from pathlib import Path

FIXTURES_DIR = "image-fixtures"
SAMPLE_PHOTO = "sample.jpg"


@dataclass(frozen=True)
class LocalImageFixtures:
    """The running server, the directory it serves (drop photos there) and the CA the functions trust."""

    server: ImageFixtureServer
    root: Path
    certificates: LocalCertificates


def start_local_fixtures(state_dir: Path, host: str) -> LocalImageFixtures:
    """Fresh certificates, the served directory with a sample photo, and the server started on a free port."""
    base = state_dir / FIXTURES_DIR
    certificates = make_certificates(base / "tls", (host, "localhost"))
    root = base / "photos"
    root.mkdir(parents=True, exist_ok=True)
    (root / SAMPLE_PHOTO).write_bytes(_sample_photo())
    server = ImageFixtureServer(root, certificates, host=host).start()
    return LocalImageFixtures(server, root, certificates)


def _sample_photo() -> bytes:
    """A portrait-sized JPEG (a soft gradient) that passes ingest's checks, for trying image_url by hand."""
    width, height = 960, 1280
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
