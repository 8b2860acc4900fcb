"""Ingest: from an S3 object to a started analysis or a recorded failure."""

from skin_analysis.ingest.ingest_upload import IngestOutcome, IngestResult, IngestUpload
from skin_analysis.ingest.keys import ObjectIdentity, PartnerUpload, parse_partner_key
from skin_analysis.ingest.options import AnalysisOptions, InvalidOptions, resolve_options

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
