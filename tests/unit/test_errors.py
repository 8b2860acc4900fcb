"""The error-code table users look codes up in."""

from __future__ import annotations

from skin_analysis.errors import ENGINE_ERRORS, ErrorCode, describe_error

DESIGN_CODES = {
    "unsupported_format",
    "corrupt_image",
    "image_too_small",
    "image_too_large",
    "invalid_options",
    "download_failed",
    "upload_missing",
    "invalid_request",
    "provider_auth_failed",
    "insufficient_credit",
    "task_expired",
    "provider_task_timeout",
    "provider_unavailable",
    "submission_uncertain",
    "timeout",
    # An extension of DESIGN §5's list: the reconciler's code for a stranded analysis (§9).
    "execution_stopped",
}

# The skin-specific engine codes of provider-contract §5.2 that need photo guidance.
SKIN_ENGINE_CODES = {
    "error_below_min_image_size",
    "error_exceed_max_image_size",
    "error_src_face_too_small",
    "error_src_face_out_of_bound",
    "error_lighting_dark",
}


def test_our_codes_are_exactly_the_contract() -> None:
    assert {code.value for code in ErrorCode} == DESIGN_CODES


def test_every_code_has_a_meaning_and_a_fix() -> None:
    for code in ErrorCode:
        assert code.meaning.endswith(".")
        assert code.fix.endswith(".")
        assert describe_error(code.value).fix == code.fix


def test_engine_codes_are_explained_with_photo_guidance() -> None:
    assert set(ENGINE_ERRORS) >= SKIN_ENGINE_CODES
    assert "60%" in describe_error("error_src_face_too_small").fix
    assert "light" in describe_error("error_lighting_dark").fix


def test_an_engine_code_we_never_saw_is_still_explained() -> None:
    description = describe_error("error_brand_new_engine_failure")
    assert description.code == "error_brand_new_engine_failure"
    assert "error_brand_new_engine_failure" in description.meaning
    assert description.fix


def test_user_errors_are_not_replayable_but_outages_are() -> None:
    assert not ErrorCode.CORRUPT_IMAGE.retryable
    assert not ErrorCode.INVALID_OPTIONS.retryable
    assert ErrorCode.PROVIDER_UNAVAILABLE.retryable
    assert ErrorCode.TIMEOUT.retryable
