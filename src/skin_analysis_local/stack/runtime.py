"""`LocalStack`: boots moto, the template's resources, the warm workers, the API and the simulator, then stops them.

Boot order, chosen so the slow parts overlap: bind the API port (so every URL is known), spawn the provider
simulator's process (it imports while the rest boots), start moto in-process (the Lambda and EventBridge patches
must live in moto's process), deploy the template (each function's first worker starts importing its handler as
soon as the function exists), set the secrets, create the observer queue and the demo partners, configure the
simulator, then the pollers, schedules and API; write local.json last.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import shutil
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import boto3
import requests
from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from skin_analysis_local.image_fixtures import start_local_fixtures
from skin_analysis_local.moto_fidelity import isolate_dynamodb_requests
from skin_analysis_local.moto_speedups import speed_up_moto_server
from skin_analysis_local.simulator.config import SimulatorConfig
from skin_analysis_local.stack import events_targets, lambda_hook
from skin_analysis_local.stack.api_server import ApiServer, LocalGateway, api_gateway_keys
from skin_analysis_local.stack.apigateway import ApiKeyCache
from skin_analysis_local.stack.async_invoke import AsyncInvoker
from skin_analysis_local.stack.deploy import deploy_template
from skin_analysis_local.stack.parameters import samconfig_overrides, samconfig_setting
from skin_analysis_local.stack.partners import create_demo_partners
from skin_analysis_local.stack.pollers import QueuePoller
from skin_analysis_local.stack.provider_process import SimulatorProcess
from skin_analysis_local.stack.records import INVOCATIONS_FILE, LOGS_DIR, InvocationLog
from skin_analysis_local.stack.resolve import ACCOUNT_ID
from skin_analysis_local.stack.scheduler import Scheduler
from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR, LOCAL_JSON, OUTPUTS_JSON, read_local_json, write_json
from skin_analysis_local.stack.workers import WorkerPool
from skin_analysis_local.template import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType

    from skin_analysis_local.stack.specs import DeployedStack

logger = logging.getLogger(__name__)

_WARM_WAIT_SECONDS = 5.0
# A developer's stack (or a long e2e session) must not run out of provider credit; set `initial_units` to test that.
_PROVIDER_UNITS = 1_000_000.0
_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class StackAlreadyRunningError(RuntimeError):
    """Raised when the state dir's local.json belongs to a stack that still answers."""


@dataclass(frozen=True)
class StackOptions:
    """What `skin-analysis local up` can be told; port 0 means any free port."""

    state_dir: Path = DEFAULT_STATE_DIR
    host: str = "127.0.0.1"
    aws_port: int = 4566
    api_port: int = 3000
    provider_port: int = 8089
    config_env: str = "default"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    provider_settings: dict[str, str] = field(default_factory=dict)
    workers_per_function: int = 4
    async_retry_delay: float = 1.0


def _usable_port(host: str, port: int) -> int:
    """`port` if nothing listens on it (else OSError), or any free port for 0.

    moto's server binds in a thread and would not report a port in use; the stack would then deploy into
    whatever answers there.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: a port left in TIME_WAIT by the last run is free, one with a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise OSError(f"port {port} on {host} is in use ({error.strerror})") from error
        return int(sock.getsockname()[1])


def localize_url(url: str, rest_api_id: str, local_base: str) -> str:
    """An execute-api URL of the REST API rewritten to the loopback server (other URLs unchanged)."""
    prefix = f"https://{rest_api_id}.execute-api."
    if not url.startswith(prefix):
        return url
    path = url.removeprefix("https://").split("/", 1)[1] if "/" in url.removeprefix("https://") else ""
    return f"{local_base}/{path}".rstrip("/")


def webhook_secret() -> str:
    """A Standard Webhooks signing secret, as the provider console issues them."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


class LocalStack:
    """The local stack in this process, plus the simulator's and one worker process per function; a context manager."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state_dir = options.state_dir.resolve()
        self.info: dict[str, Any] = {}
        self.boot_seconds = 0.0
        self._stoppers: list[tuple[str, Any]] = []

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> dict[str, Any]:
        """Boot everything, write local.json and return its contents."""
        started = time.perf_counter()
        try:
            self._boot()
        except BaseException:
            self.stop()
            raise
        self.boot_seconds = time.perf_counter() - started
        return self.info

    def _boot(self) -> None:
        options = self.options
        self._prepare_state_dir()
        api = ApiServer(options.host, options.api_port)
        self._on_stop("api port", api.stop)
        aws_port = _usable_port(options.host, options.aws_port)
        provider_port = _usable_port(options.host, options.provider_port)
        endpoint = f"http://{options.host}:{aws_port}"
        provider_url = f"http://{options.host}:{provider_port}"
        simulator = SimulatorProcess.spawn(options.host, provider_port, self.state_dir / LOGS_DIR / "simulator.log")
        self._on_stop("simulator", simulator.stop)
        region = samconfig_setting(PROJECT_ROOT / "samconfig.toml", "region", options.config_env) or "us-east-1"
        stack_name = (
            samconfig_setting(PROJECT_ROOT / "samconfig.toml", "stack_name", options.config_env)
            or "skin-analysis-local"
        )
        self._start_moto(endpoint, aws_port, region)
        _phase("moto started")
        session = boto3.Session(region_name=region)

        images = start_local_fixtures(self.state_dir, options.host)
        self._on_stop("image fixtures", images.server.stop)
        aws_env = {
            **_FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "POWERTOOLS_TRACE_DISABLED": "1",
            # Local only: the fetcher trusts the fixture server's CA (TLS stays verified, as in AWS).
            "IMAGE_URL_CA_BUNDLE": str(images.certificates.ca_bundle),
        }
        log = InvocationLog(self.state_dir)
        pool = WorkerPool(aws_env, self.state_dir, log, options.workers_per_function)
        self._on_stop("workers", pool.stop)
        overrides = {
            **samconfig_overrides(PROJECT_ROOT / "samconfig.toml", options.config_env),
            "ProviderBaseUrl": provider_url,
            # The fixture server alone gets past the image_url address guard; the template's default is empty.
            "ImageUrlAllowHosts": images.server.authority,
            **options.parameter_overrides,
        }
        provider_key, signing_secret = "sk-local-" + secrets.token_hex(16), webhook_secret()
        stack = deploy_template(
            session,
            stack_name=stack_name or "skin-analysis-local",
            region=region,
            overrides=overrides,
            on_function=pool.add,
            # Set at creation: each function's worker starts importing (and reading its secrets) as soon as the
            # function exists, before anything could put a new value.
            secret_values={
                "ProviderApiKeySecret": provider_key,
                "WebhookSecret": json.dumps({"current": signing_secret, "previous": None}),
            },
        )
        _phase("template deployed")
        api_url = f"http://{options.host}:{api.port}/{stack.stage}"
        outputs = {
            name: localize_url(value, stack.rest_api_id, f"http://{options.host}:{api.port}")
            for name, value in stack.outputs.items()
        }
        events_queue_url = self._observe_bus(session, outputs["EventBusName"], stack_name)
        api_keys = create_demo_partners(session.client("apigateway"), outputs["PartnersTableName"], outputs)

        simulator_config = SimulatorConfig(
            api_keys=(provider_key,),
            webhook_urls=(outputs["WebhookUrl"],),
            webhook_secret=signing_secret,
            initial_units=_PROVIDER_UNITS,
        ).with_overrides(options.provider_settings)
        simulator.configure(simulator_config)
        _phase("secrets, observer queue, partners and simulator ready")

        self._start_runtime(session, stack, pool, api, region)
        _phase("triggers and API serving")
        # Each function's first worker has been importing its handler since the function was created (forked from
        # the zygote, that takes a fraction of a second), so this wait is short. A worker still importing after
        # the bound is not waited for: its first invoke waits, like a Lambda cold start.
        pool.wait_warm(_WARM_WAIT_SECONDS)
        _phase("every function warm")
        self.info = {
            "aws_endpoint": endpoint,
            "region": region,
            "uploads_bucket": outputs["UploadsBucketName"],
            "results_bucket": outputs["ResultsBucketName"],
            "table": outputs["AnalysesTableName"],
            "event_bus": outputs["EventBusName"],
            "events_queue_url": events_queue_url,
            "api_url": api_url,
            "webhook_url": outputs["WebhookUrl"],
            "webhook_secret": signing_secret,
            "api_keys": api_keys,
            "provider_url": provider_url,
            "image_fixtures_url": images.server.url(""),
            "image_fixtures_dir": str(images.root),
        }
        write_json(self.state_dir / OUTPUTS_JSON, outputs)
        self._on_stop("outputs.json", lambda: (self.state_dir / OUTPUTS_JSON).unlink(missing_ok=True))
        write_json(self.state_dir / LOCAL_JSON, self.info)
        self._on_stop("local.json", lambda: (self.state_dir / LOCAL_JSON).unlink(missing_ok=True))

    def _prepare_state_dir(self) -> None:
        """Refuse to start over a live stack; clear the last run's records and logs (moto forgets everything)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        running = read_local_json(self.state_dir)
        if running is not None and _answers(f"{running['aws_endpoint']}/moto-api/"):
            raise StackAlreadyRunningError(f"a local stack is already running from {self.state_dir}")
        (self.state_dir / INVOCATIONS_FILE).unlink(missing_ok=True)
        shutil.rmtree(self.state_dir / LOGS_DIR, ignore_errors=True)

    def _start_moto(self, endpoint: str, port: int, region: str) -> None:
        # Step Functions service tasks call back into moto on MOTO_PORT; this process's own clients (and
        # pynamodb) reach it through AWS_ENDPOINT_URL.
        os.environ.update(
            {
                **_FAKE_CREDENTIALS,
                "MOTO_PORT": str(port),
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
            }
        )
        os.environ.pop("AWS_PROFILE", None)
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        # The interpreter logs every caught task failure at ERROR with huge reprs; the records show them.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger("botocore").setLevel(logging.WARNING)
        isolate_dynamodb_requests()
        speed_up_moto_server()
        server = ThreadedMotoServer(ip_address=self.options.host, port=port, verbose=False)
        server.start()
        self._on_stop("moto", server.stop)

    def _observe_bus(self, session: boto3.Session, bus: str, stack_name: str) -> str:
        """A queue that receives every event on the bus, for tests and `skin-analysis` to watch."""
        sqs = session.client("sqs")
        name = f"{stack_name}-local-events"
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        events = session.client("events")
        rule = f"{stack_name}-local-observer"
        events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"account": [ACCOUNT_ID]}))
        queue_arn = f"arn:aws:sqs:{session.region_name}:{ACCOUNT_ID}:{name}"
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "observer", "Arn": queue_arn}])
        return url

    def _start_runtime(
        self, session: boto3.Session, stack: DeployedStack, pool: WorkerPool, api: ApiServer, region: str
    ) -> None:
        """Route moto's invokes to the workers, then start the pollers, the schedules and the API."""
        invoker = AsyncInvoker(pool, stack.async_configs, session, self.options.async_retry_delay)
        self._on_stop("async invokes", invoker.stop)
        lambda_hook.install(pool, invoker)
        events_targets.install(invoker)
        self._on_stop("Lambda patches", lambda_hook.uninstall)
        self._on_stop("EventBridge patches", events_targets.uninstall)
        sqs = session.client("sqs")
        for source in stack.queue_sources:
            poller = QueuePoller(source, sqs, pool, region)
            poller.start()
            self._on_stop(f"poller of {source.function_name}", poller.stop)
        scheduler = Scheduler(
            stack.schedules, region, lambda arn, event: events_targets.deliver(arn, event, "schedule")
        )
        scheduler.start()
        self._on_stop("schedules", scheduler.stop)
        apigateway = session.client("apigateway")
        keys = ApiKeyCache(lambda: api_gateway_keys(apigateway, stack.rest_api_id, stack.stage))
        api.serve(LocalGateway(stack, pool, keys))
        self._on_stop("api server", api.stop)

    def _on_stop(self, what: str, stop: Any) -> None:
        self._stoppers.append((what, stop))

    def stop(self) -> None:
        """Stop everything started so far, newest first; local.json goes first so nobody uses a dying stack."""
        while self._stoppers:
            what, stop = self._stoppers.pop()
            started = time.perf_counter()
            try:
                stop()
            except Exception:
                logger.exception("stopping %s failed", what)
            logger.debug("stopped %s in %.0f ms", what, (time.perf_counter() - started) * 1000)


def _phase(what: str) -> None:
    logger.debug("%s at %.2f s of CPU time", what, time.process_time())


def _deliver_scheduled(target_arn: str, event: dict[str, Any]) -> None:
    events_targets.deliver(target_arn, event, "schedule")


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True
