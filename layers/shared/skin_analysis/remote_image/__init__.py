"""Fetching a partner's photo from its image_url behind an SSRF guard (public https only, capped, vetted per hop)."""

from skin_analysis.remote_image.addresses import IPAddress, forbidden_reason, literal_address
from skin_analysis.remote_image.connection import Connector, Resolver, direct_connect, system_resolver
from skin_analysis.remote_image.errors import DownloadFailed, ImageUrlRefused
from skin_analysis.remote_image.fetch import FetchedImage, FetchLimits, RemoteImageFetcher
from skin_analysis.remote_image.urls import MAX_URL_LENGTH, ImageUrlPolicy, Target, parse_target

__all__ = [
    "MAX_URL_LENGTH",
    "Connector",
    "DownloadFailed",
    "FetchLimits",
    "FetchedImage",
    "IPAddress",
    "ImageUrlPolicy",
    "ImageUrlRefused",
    "RemoteImageFetcher",
    "Resolver",
    "Target",
    "direct_connect",
    "forbidden_reason",
    "literal_address",
    "parse_target",
    "system_resolver",
]
