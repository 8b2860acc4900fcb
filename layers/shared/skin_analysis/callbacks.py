"""Completes a waiting Step Functions task token; a token the execution no longer waits on is normal, not an error.

The submitter answers the Queue For Submission token and the webhook answers the Wait For Webhook token. Either
can arrive after the wait timed out or the execution ended (TaskTimedOut, TaskDoesNotExist), or twice
(InvalidToken for a token already used): the execution has moved on, so nothing is left to do.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_stepfunctions import SFNClient

_GONE = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


class TaskCallbacks:
    """SendTaskSuccess / SendTaskFailure that report whether the execution was still waiting."""

    def __init__(self, sfn: SFNClient) -> None:
        self._sfn = sfn

    def succeed(self, token: str, output: Mapping[str, Any]) -> bool:
        """Complete the wait with `output`; False when the execution no longer waits on this token."""
        return self._answer(lambda: self._sfn.send_task_success(taskToken=token, output=json.dumps(output)))

    def fail(self, token: str, error: str, message: str, code: str) -> bool:
        """Fail the wait with `error` (an exception class name the machine routes on) and a Lambda-style cause."""
        cause = json.dumps({"errorType": error, "errorMessage": message, "code": code})
        return self._answer(lambda: self._sfn.send_task_failure(taskToken=token, error=error, cause=cause))

    @staticmethod
    def _answer(send: Any) -> bool:
        try:
            send()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _GONE:
                return False
            raise
        return True
