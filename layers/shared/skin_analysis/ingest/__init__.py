"""Ingest: from an S3 object to a started analysis or a recorded failure."""

from typing import TYPE_CHECKING

from skin_analysis.ingest.keys import ObjectIdentity, PartnerUpload, parse_partner_key
from skin_analysis.ingest.options import AnalysisOptions, InvalidOptions, resolve_options
from skin_analysis.lazy import lazy_attributes

if TYPE_CHECKING:
    from skin_analysis.ingest.ingest_upload import IngestOutcome, IngestResult, IngestUpload

__all__ = [
    "AnalysisOptions",
    "IngestOutcome",
    "IngestResult",
    "IngestUpload",
    "InvalidOptions",
    "ObjectIdentity",
    "PartnerUpload",
    "parse_partner_key",
    "resolve_options",
]

# The ingest pipeline, and Pillow with it, loads on first use: the partner API imports this package for its options
# and keys only, and its cold start should not pay for image decoding it never does.
_PIPELINE_NAMES = frozenset({"IngestOutcome", "IngestResult", "IngestUpload"})

__getattr__ = lazy_attributes(__name__, "skin_analysis.ingest.ingest_upload", _PIPELINE_NAMES)
