"""The fetch queue's sample event is a FetchRequest the worker can read (and `sam local invoke` can replay)."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.data_classes import SQSEvent

from skin_analysis.ingest import parse_partner_key
from skin_analysis.partners import FetchRequest
from skin_analysis_local.template import PROJECT_ROOT


def test_the_sample_fetch_event_carries_a_request_for_a_partner_upload_key() -> None:
    # Given the sample SQS event of the fetch_image function
    event = SQSEvent(json.loads((PROJECT_ROOT / "events" / "fetch_image" / "sqs-image-url.json").read_text()))

    # When its body is read as the worker reads it
    request = FetchRequest.model_validate_json(next(iter(event.records)).body)

    # Then it names an https URL and the upload key ingest maps back to the same partner and analysis
    assert request.image_url.startswith("https://")
    upload = parse_partner_key(request.key)
    assert upload is not None
    assert (upload.partner_id, upload.analysis_id) == (request.partner_id, request.analysis_id)
