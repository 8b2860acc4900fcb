"""`skin-analysis local up`: every trigger path reaches the real handlers, as the issue's acceptance lists them.

These tests assert on what each function was invoked with (the invocation records in the state dir), not on
what the handlers do (the pipeline's own tests do that). Boot time and invoke overhead are benchmarks
(`python -m tests.bench.bench_local_stack`), not assertions here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus

import requests

from skin_analysis_local.stack.statedir import LOCAL_JSON, LOCAL_JSON_KEYS, OUTPUTS_JSON
from tests.e2e.stack import CLI, RunningStack, invocations, start_local_stack, wait_for_invocation
from tests.helpers import wait_until

if TYPE_CHECKING:
    import boto3

ASYNC_SLA = 15.0  # an S3 or SQS trigger reaches its function (a cold worker may still be importing)


def _client(aws: boto3.Session, local_stack: dict[str, Any], service: str) -> Any:
    return aws.client(service, endpoint_url=local_stack["aws_endpoint"])  # type: ignore[call-overload]


def test_local_json_has_exactly_the_contract_keys(running_stack: RunningStack) -> None:
    written = json.loads((running_stack.state_dir / LOCAL_JSON).read_text())
    assert tuple(written) == LOCAL_JSON_KEYS
    assert len(written["api_keys"]) >= 2
    assert written["webhook_secret"].startswith("whsec_")
    assert written["webhook_url"].startswith(written["api_url"] + "/")
    for key in ("aws_endpoint", "api_url", "webhook_url", "provider_url", "events_queue_url"):
        assert written[key].startswith("http://127.0.0.1:"), key


def test_upload_under_incoming_invokes_ingest_with_the_s3_event(
    aws: boto3.Session, local_stack: dict[str, Any], state_dir: Path
) -> None:
    # Given a key that S3 has to encode (space, plus sign, non-ASCII)
    key = f"incoming/e2e {uuid.uuid4().hex[:8]}+photo é.jpg"
    # When it is put into the uploads bucket
    _client(aws, local_stack, "s3").put_object(Bucket=local_stack["uploads_bucket"], Key=key, Body=b"not an image")
    # Then ingest receives S3's event with the key still encoded (the handler unquotes it, not the stack)
    record = wait_for_invocation(state_dir, "IngestFunction", lambda r: _s3_key(r) == quote_plus(key, safe="/"), 20)
    event = record["event"]["Records"][0]
    assert record["source"] == "s3"
    assert unquote_plus(event["s3"]["object"]["key"]) == key
    assert event["s3"]["bucket"]["name"] == local_stack["uploads_bucket"]
    assert event["eventSource"] == "aws:s3"
    assert event["eventName"].startswith("ObjectCreated:")
    assert event["awsRegion"] == local_stack["region"]


def test_upload_under_partners_invokes_ingest_and_other_prefixes_do_not(
    aws: boto3.Session, local_stack: dict[str, Any], state_dir: Path
) -> None:
    s3 = _client(aws, local_stack, "s3")
    marker = uuid.uuid4().hex[:8]
    # Given an object outside the trigger prefixes, then one under partners/
    s3.put_object(Bucket=local_stack["uploads_bucket"], Key=f"elsewhere/{marker}.jpg", Body=b"x")
    partner_key = f"partners/demo-partner-a/{marker}.jpg"
    s3.put_object(Bucket=local_stack["uploads_bucket"], Key=partner_key, Body=b"x")
    # Then ingest gets the partner upload
    wait_for_invocation(state_dir, "IngestFunction", lambda r: _s3_key(r) == partner_key, ASYNC_SLA)
    # And never the other one (S3 applies the prefix filter before anything is queued)
    time.sleep(0.5)
    assert not [
        r for r in invocations(state_dir, "IngestFunction") if marker in _s3_key(r) and "elsewhere" in _s3_key(r)
    ]


def _s3_key(record: dict[str, Any]) -> str:
    try:
        return str(record["event"]["Records"][0]["s3"]["object"]["key"])
    except (KeyError, IndexError, TypeError):
        return ""


def test_a_message_on_the_submission_queue_reaches_the_submitter(
    aws: boto3.Session, local_stack: dict[str, Any], stack_outputs: dict[str, str], state_dir: Path
) -> None:
    body = json.dumps({"analysis_id": f"e2e-{uuid.uuid4()}", "task_token": "token-not-used"})
    # When a message is sent to the submission queue
    _client(aws, local_stack, "sqs").send_message(QueueUrl=stack_outputs["SubmissionQueueUrl"], MessageBody=body)
    # Then the submitter is invoked with it in a batch of the mapping's size (1), as SQS delivers it
    record = wait_for_invocation(
        state_dir, "SubmitterFunction", lambda r: _sqs_bodies(r) == [body], ASYNC_SLA, source="sqs"
    )
    message = record["event"]["Records"][0]
    assert message["eventSource"] == "aws:sqs"
    assert message["eventSourceARN"].endswith(":" + stack_outputs["SubmissionQueueUrl"].rsplit("/", 1)[1])
    assert message["attributes"]["ApproximateReceiveCount"] == "1"


def _sqs_bodies(record: dict[str, Any]) -> list[str]:
    try:
        return [message["body"] for message in record["event"]["Records"]]
    except (KeyError, TypeError):
        return []


def test_put_events_reaches_the_events_queue(aws: boto3.Session, local_stack: dict[str, Any]) -> None:
    marker = str(uuid.uuid4())
    # When anything is put on the stack's bus
    _client(aws, local_stack, "events").put_events(
        Entries=[
            {
                "EventBusName": local_stack["event_bus"],
                "Source": "e2e.tests",
                "DetailType": "Probe",
                "Detail": json.dumps({"marker": marker}),
            }
        ]
    )
    # Then the observer queue gets it. Earlier tests may have left many events there: those received are hidden
    # for a while (and come back for other observers), so each receive reaches further into the queue.
    sqs = _client(aws, local_stack, "sqs")

    def received() -> dict[str, Any] | None:
        response = sqs.receive_message(
            QueueUrl=local_stack["events_queue_url"], MaxNumberOfMessages=10, VisibilityTimeout=30, WaitTimeSeconds=1
        )
        for message in response.get("Messages", []):
            event: dict[str, Any] = json.loads(message["Body"])
            if event.get("detail", {}).get("marker") == marker:
                sqs.delete_message(QueueUrl=local_stack["events_queue_url"], ReceiptHandle=message["ReceiptHandle"])
                return event
        return None

    event = wait_until(received, 10, what="the event on the events queue")
    assert event["detail-type"] == "Probe"
    assert event["source"] == "e2e.tests"


def test_the_api_refuses_a_call_without_a_valid_key(local_stack: dict[str, Any]) -> None:
    missing = requests.get(f"{local_stack['api_url']}/v1/analyses", timeout=10)
    wrong = requests.get(f"{local_stack['api_url']}/v1/analyses", headers={"x-api-key": "not-a-key"}, timeout=10)
    assert (missing.status_code, missing.json()) == (403, {"message": "Forbidden"})
    assert (wrong.status_code, wrong.json()) == (403, {"message": "Forbidden"})


def test_an_unknown_route_is_missing_authentication_token(local_stack: dict[str, Any]) -> None:
    response = requests.get(f"{local_stack['api_url']}/v1/nothing-here", timeout=10)
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})


def test_a_call_with_a_key_reaches_the_api_function_with_the_key_id(
    aws: boto3.Session, local_stack: dict[str, Any], state_dir: Path
) -> None:
    partner_id, key = next(iter(local_stack["api_keys"].items()))
    probe = uuid.uuid4().hex
    # When a partner calls a route with its key
    response = requests.get(
        f"{local_stack['api_url']}/v1/analyses/{probe}", params={"probe": probe}, headers={"x-api-key": key}, timeout=30
    )
    # Then API Gateway let it through to the api function (whatever the function answers)
    assert response.status_code != 403
    record = wait_for_invocation(state_dir, "ApiFunction", lambda r: _query(r).get("probe") == probe, 5)
    event = record["event"]
    keys = _client(aws, local_stack, "apigateway").get_api_keys(nameQuery=partner_id)["items"]
    assert event["requestContext"]["identity"]["apiKeyId"] == keys[0]["id"]
    assert event["resource"] == "/v1/analyses/{analysis_id}"
    assert event["pathParameters"] == {"analysis_id": probe}
    assert event["httpMethod"] == "GET"
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["stage"] == local_stack["api_url"].rsplit("/", 1)[1]


def _query(record: dict[str, Any]) -> dict[str, str]:
    event = record.get("event") or {}
    return dict(event.get("queryStringParameters") or {})


def test_the_webhook_route_needs_no_key_and_gets_the_raw_body(local_stack: dict[str, Any], state_dir: Path) -> None:
    body = json.dumps({"probe": uuid.uuid4().hex}, separators=(",", ":"))
    response = requests.post(
        local_stack["webhook_url"], data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code != 403
    record = wait_for_invocation(state_dir, "WebhookFunction", lambda r: (r["event"] or {}).get("body") == body, 5)
    assert record["event"]["requestContext"]["identity"]["apiKeyId"] is None
    assert record["event"]["isBase64Encoded"] is False


def test_a_state_machine_execution_runs_the_real_asl_and_invokes_the_workers(
    aws: boto3.Session, local_stack: dict[str, Any], stack_outputs: dict[str, str], state_dir: Path
) -> None:
    analysis_id = f"e2e-{uuid.uuid4()}"
    execution_name = uuid.uuid4().hex
    # Given an execution that waits at most one second for the submitter's answer
    _client(aws, local_stack, "stepfunctions").start_execution(
        stateMachineArn=stack_outputs["StateMachineArn"],
        name=execution_name,
        input=json.dumps({"analysis_id": analysis_id, "limits": {"submission_timeout_seconds": 1}}),
    )
    # Then its first state queued the analysis with a task token, and the submitter received it over SQS
    wait_for_invocation(
        state_dir,
        "SubmitterFunction",
        lambda r: any(
            json.loads(body).get("analysis_id") == analysis_id and json.loads(body).get("task_token")
            for body in _sqs_bodies(r)
        ),
        ASYNC_SLA,
        source="sqs",
    )
    # And a later state invoked a state machine task function with the analysis (a Lambda task of the ASL)
    record = wait_for_invocation(
        state_dir,
        "RecordFailureFunction",
        lambda r: (r["event"] or {}).get("analysis_id") == analysis_id,
        ASYNC_SLA,
        source="stepfunctions",
    )
    assert record["event"]["execution"] == execution_name


def test_a_worker_that_dies_is_replaced_on_the_next_invoke(local_stack: dict[str, Any], state_dir: Path) -> None:
    key = next(iter(local_stack["api_keys"].values()))
    url = f"{local_stack['api_url']}/v1/analyses"
    requests.get(url, headers={"x-api-key": key}, params={"probe": "before"}, timeout=30)
    before = wait_for_invocation(state_dir, "ApiFunction", lambda r: _query(r).get("probe") == "before", 5)
    # When every worker the api function has is killed
    pids = {record["worker_pid"] for record in invocations(state_dir, "ApiFunction")} - {None}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids), 5, what="the workers to die")
    # Then the next call still reaches the function, on a new worker
    response = requests.get(url, headers={"x-api-key": key}, params={"probe": "after"}, timeout=30)
    assert response.status_code not in (403, 502)
    after = wait_for_invocation(state_dir, "ApiFunction", lambda r: _query(r).get("probe") == "after", 5)
    assert after["outcome"] == "success"
    assert after["worker_pid"] not in pids
    assert after["log_stream"] != before["log_stream"]


def test_logs_shows_each_invocation_with_its_worker_log_lines(local_stack: dict[str, Any], state_dir: Path) -> None:
    key = next(iter(local_stack["api_keys"].values()))
    requests.get(f"{local_stack['api_url']}/v1/analyses", headers={"x-api-key": key}, timeout=30)
    text = _skin_analysis("local", "logs", "ApiFunction", "--state-dir", str(state_dir))
    assert "ApiFunction <- api: success" in text
    assert "REPORT RequestId:" in text
    records = [
        json.loads(line)
        for line in _skin_analysis("local", "logs", "--json", "--state-dir", str(state_dir)).splitlines()
    ]
    assert {"function", "source", "duration_ms", "outcome"} <= set(records[0])


def _skin_analysis(*args: str) -> str:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, check=True).stdout


def test_sigterm_stops_every_process_and_removes_local_json(tmp_path: Path) -> None:
    # Given a second stack beside the session's (its own state dir and ports)
    stack = start_local_stack(tmp_path)
    workers = _descendants(stack.process.pid)
    assert workers
    assert (tmp_path / OUTPUTS_JSON).is_file()
    # When it gets SIGTERM
    exit_code = stack.stop(signal.SIGTERM)
    # Then it exits cleanly, removes local.json and leaves no worker behind
    assert exit_code == 0, stack.output
    assert not (tmp_path / LOCAL_JSON).exists()
    assert not (tmp_path / OUTPUTS_JSON).exists()
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 5, what="the workers to exit")


def _descendants(parent: int) -> list[int]:
    """Every process below `parent` (workers are forked by the zygote, a child of `local up`)."""
    children = []
    with contextlib.suppress(FileNotFoundError):  # a process may end while the tree is walked
        for task in Path(f"/proc/{parent}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                children += [int(child) for child in (task / "children").read_text().split()]
    return children + [pid for child in children for pid in _descendants(child)]
