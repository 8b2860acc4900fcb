"""Error payloads shaped as Step Functions hands them to a Catch, shared by the unit and integration tests."""

from __future__ import annotations

import json


def lambda_error(exc: BaseException, request_id: str = "c5a1e3f0-7d2b-4a5e-9b8c-2f1d0e3a4b5c") -> dict[str, str]:
    """`$.error` after a Catch of a Lambda function error: the Python runtime's error document as the Cause."""
    cause = {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": [
            '  File "/var/task/app.py", line 41, in lambda_handler\n    return finalize(event)\n',
            '  File "/opt/python/skin_analysis/provider/client.py", line 260, in _send\n    raise error\n',
        ],
    }
    return {"Error": type(exc).__name__, "Cause": json.dumps(cause)}
