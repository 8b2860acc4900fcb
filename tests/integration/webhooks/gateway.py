"""A minimal stand-in for API Gateway's REST proxy integration in front of the webhook handler.

The simulator delivers webhooks over HTTP; this server turns each POST into the proxy event the handler gets in
AWS (body as text, `isBase64Encoded` false, headers as sent) and writes back its status, headers and body.
"""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self

from skin_analysis_local.template import PROJECT_ROOT

if TYPE_CHECKING:
    from types import ModuleType, TracebackType

_SAMPLE_EVENT = json.loads((PROJECT_ROOT / "events" / "webhook" / "perfect-corp-success.json").read_text())


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        event: dict[str, Any] = copy.deepcopy(_SAMPLE_EVENT)
        event["headers"] = dict(self.headers.items())
        event["multiValueHeaders"] = {name: self.headers.get_all(name) for name in self.headers}
        event["body"] = body.decode("utf-8")
        event["isBase64Encoded"] = False
        response = self.server.invoke(event)
        payload = response.get("body", "").encode()
        self.send_response(int(response["statusCode"]))
        for name, value in (response.get("headers") or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, invoke: Any) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.invoke = invoke


class WebhookGateway:
    """Serves POST <url> by invoking the handler module, one request at a time (like one warm environment)."""

    def __init__(self, handler: ModuleType, context: object) -> None:
        self._lock = threading.Lock()
        self._server = _Server(self._invoke)
        self._handler = handler
        self._context = context
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhooks/perfect-corp"

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            response: dict[str, Any] = self._handler.lambda_handler(event, self._context)
        return response

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
