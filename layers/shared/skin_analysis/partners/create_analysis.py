"""POST /v1/analyses: the item first (AWAITING_UPLOAD), then the form the partner uploads its photo with, or, when
the partner gave an image_url, the request for the fetch worker to get the photo from there (partners/image_url.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from skin_analysis.ingest.options import AnalysisOptions
from skin_analysis.models import Analysis, AnalysisStatus, create_analysis, utc_now
from skin_analysis.partners.errors import InvalidAnalysisOptions
from skin_analysis.partners.ownership import new_analysis_id
from skin_analysis.partners.uploads import partner_upload_key
from skin_analysis.provider.actions import validate_actions
from skin_analysis.provider.errors import InvalidActions

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from skin_analysis.partners.identity import PartnerIdentity
    from skin_analysis.partners.image_url import ImageUrlIntake
    from skin_analysis.partners.uploads import UploadForm, UploadForms
    from skin_analysis.quality import Quality


@dataclass(frozen=True, slots=True)
class CreatedAnalysis:
    """The new item and the form its photo goes up with (None: the photo is fetched from its image_url)."""

    analysis: Analysis
    upload: UploadForm | None


def checked_options(quality: Quality, dst_actions: Sequence[str]) -> AnalysisOptions:
    """The options ingest will read back, checked now so a bad request is a 400, not a FAILED analysis later."""
    try:
        actions_quality, distinct = validate_actions(dst_actions)
    except InvalidActions as exc:
        raise InvalidAnalysisOptions("dst_actions", exc.message) from exc
    if actions_quality != quality:
        raise InvalidAnalysisOptions(
            "quality", f"quality is {quality} but dst_actions are {actions_quality} actions: send one quality only."
        )
    return AnalysisOptions(quality, distinct)


class CreatePartnerAnalysis:
    """Creates an analysis awaiting its photo under `partners/<partner_id>/<analysis_id>.<ext>`."""

    def __init__(
        self,
        forms: UploadForms,
        image_urls: ImageUrlIntake,
        *,
        retention_days: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._forms = forms
        self._image_urls = image_urls
        self._retention = timedelta(days=retention_days)
        self._clock = clock

    def __call__(
        self,
        partner: PartnerIdentity,
        quality: Quality,
        dst_actions: Sequence[str],
        content_type: str,
        image_url: str | None = None,
    ) -> CreatedAnalysis:
        """Validate the options (and image_url), store the item, then sign its upload form or queue the fetch."""
        options = checked_options(quality, dst_actions)
        if image_url is not None:
            self._image_urls.check(image_url)
        analysis_id = new_analysis_id()
        now = self._clock()
        key = partner_upload_key(partner.partner_id, analysis_id, content_type)
        item = Analysis(
            analysis_id,
            status=AnalysisStatus.AWAITING_UPLOAD,
            partner_id=partner.partner_id,
            quality=options.quality.value,
            dst_actions=list(options.dst_actions),
            source_bucket=self._forms.bucket,
            source_key=key,
            created_at=now,
            # A photo never uploaded leaves an item that expires with the retention like any other.
            expires_at=now + self._retention,
        )
        create_analysis(item)
        if image_url is not None:
            self._image_urls.queue(item, image_url)
            return CreatedAnalysis(item, None)
        return CreatedAnalysis(item, self._forms.sign(key, content_type, options, now=now))
