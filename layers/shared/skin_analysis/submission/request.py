"""The message Queue For Submission puts on the submission queue."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SubmissionRequest(BaseModel):
    """Which analysis to submit and the token its execution waits on (never logged)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    analysis_id: str = Field(min_length=1)
    task_token: str = Field(min_length=1, repr=False)
