"""The REST API's stage URL on loopback: requests become proxy events for the warm workers (apigateway.py)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from skin_analysis_local.stack.apigateway import (
    ENDPOINT_TIMED_OUT,
    FORBIDDEN,
    INTEGRATION_TIMEOUT_SECONDS,
    INTERNAL_SERVER_ERROR,
    MAX_PAYLOAD_BYTES,
    MISSING_AUTHENTICATION_TOKEN,
    REQUEST_TOO_LARGE,
    ApiKey,
    ApiKeyCache,
    HttpRequest,
    HttpResponse,
    KeyRecord,
    RouteMatch,
    match_route,
    proxy_event,
    proxy_response,
)
from skin_analysis_local.stack.resolve import ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient

    from skin_analysis_local.stack.specs import DeployedStack
    from skin_analysis_local.stack.workers import WorkerPool

logger = logging.getLogger(__name__)


def api_gateway_keys(client: APIGatewayClient, api_id: str, stage: str) -> list[KeyRecord]:
    """Every API key with its value, and whether a usage plan attaches it to `api_id`/`stage`."""
    on_stage: set[str] = set()
    for page in client.get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            stages = plan.get("apiStages", [])
            if any(item.get("apiId") == api_id and item.get("stage") == stage for item in stages):
                for keys in client.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plan["id"]):
                    on_stage.update(key["id"] for key in keys.get("items", []))
    return [
        KeyRecord(key["id"], key.get("value", ""), bool(key.get("enabled")), key["id"] in on_stage)
        for page in client.get_paginator("get_api_keys").paginate(includeValues=True)
        for key in page.get("items", [])
    ]


class LocalGateway:
    """Answers requests to the stage URL as API Gateway would, invoking the route's function on a worker."""

    def __init__(self, stack: DeployedStack, pool: WorkerPool, keys: ApiKeyCache) -> None:
        self._stack = stack
        self._pool = pool
        self._keys = keys
        self._prefix = f"/{stack.stage}"

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response to one request whose path still starts with the stage."""
        if request.path != self._prefix and not request.path.startswith(self._prefix + "/"):
            return FORBIDDEN
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return REQUEST_TOO_LARGE
        resource_request = replace(request, path=request.path.removeprefix(self._prefix) or "/")
        match = match_route(self._stack.api_routes, request.method, resource_request.path)
        if match is None:
            return MISSING_AUTHENTICATION_TOKEN
        api_key = self._keys.lookup(request.header("x-api-key")) if match.route.api_key_required else None
        if match.route.api_key_required and api_key is None:
            return FORBIDDEN
        return self._invoke(resource_request, match, api_key)

    def _invoke(self, request: HttpRequest, match: RouteMatch, api_key: ApiKey | None) -> HttpResponse:
        request_id = str(uuid.uuid4())
        event = proxy_event(
            request,
            match,
            stage=self._stack.stage,
            api_id=self._stack.rest_api_id,
            account_id=ACCOUNT_ID,
            request_id=request_id,
            api_key=api_key,
            binary_media_types=self._stack.binary_media_types,
        )
        started = time.monotonic()
        result = self._pool.invoke(match.route.function_name, event, "api")
        if time.monotonic() - started > INTEGRATION_TIMEOUT_SECONDS:
            return ENDPOINT_TIMED_OUT
        if result.errored:
            return INTERNAL_SERVER_ERROR
        return proxy_response(result.payload, request_id)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, a keep-alive client waits 40 ms for each answer.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=tuple(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
        )
        gateway = self.server.gateway
        response = gateway.handle(request) if gateway is not None else MISSING_AUTHENTICATION_TOKEN
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Access logs go through logging (the invocation records already show every call)."""
        logger.debug(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: LocalGateway | None = None


class ApiServer:
    """Binds the port at once (so URLs are known before deploying) and serves once given a gateway."""

    def __init__(self, host: str, port: int) -> None:
        self._server = _Server((host, port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    def serve(self, gateway: LocalGateway) -> None:
        """Start answering requests with `gateway`."""
        self._server.gateway = gateway
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), name="api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port (again: a no-op)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
