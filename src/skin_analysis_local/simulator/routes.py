"""The simulator's route table: provider API, storage hosts and the control API."""

from __future__ import annotations

from skin_analysis_local.simulator import control_api, credit, downloads, files, tasks
from skin_analysis_local.simulator.pipeline import Route, RouteKind, route

_TASK = r"/s2s/v{version:2\.[01]}/task/skin-analysis"

ROUTES: tuple[Route, ...] = (
    route("POST", "/s2s/v2.0/file", "file.create", files.create_files),
    route("POST", "/s2s/v2.0/file/skin-analysis", "file.create", files.create_files),
    route("POST", "/s2s/v2.1/file/skin-analysis", "file.create", files.create_files),
    route("POST", _TASK, "task.create", tasks.create_task),
    route("GET", _TASK + "/{task_id}", "task.status", tasks.get_status),
    route("POST", "/s2s/v2.0/task/delete", "task.delete", tasks.delete_task),
    route("GET", "/s2s/v1.0/client/credit", "credit.balance", credit.get_credit),
    route("GET", "/s2s/v2.0/credit/feature-cost", "credit.feature_cost", credit.get_feature_cost),
    route("PUT", "/upload/ttl30/{token}", "storage.upload", files.put_upload, RouteKind.STORAGE),
    route("GET", "/results/{token}/{name}", "storage.result", downloads.get_result, RouteKind.STORAGE),
    *(
        route(method, path, f"control.{endpoint.__name__}", endpoint, RouteKind.CONTROL)
        for method, path, endpoint in (
            ("POST", "/_sim/reset", control_api.reset),
            ("GET", "/_sim/counters", control_api.counters),
            ("GET", "/_sim/clock", control_api.get_clock),
            ("POST", "/_sim/clock", control_api.advance_clock),
            ("GET", "/_sim/config", control_api.get_config),
            ("PATCH", "/_sim/config", control_api.patch_config),
            ("GET", "/_sim/faults", control_api.list_faults),
            ("POST", "/_sim/faults", control_api.add_fault),
            ("DELETE", "/_sim/faults", control_api.clear_faults),
            ("GET", "/_sim/fixtures", control_api.list_fixtures),
            ("POST", "/_sim/fixtures", control_api.add_fixture),
            ("DELETE", "/_sim/fixtures", control_api.clear_fixtures),
            ("GET", "/_sim/webhooks", control_api.get_webhooks),
            ("PUT", "/_sim/webhooks", control_api.put_webhooks),
            ("POST", "/_sim/webhooks/rotate", control_api.rotate_webhook_secret),
            ("POST", "/_sim/tasks", control_api.run_foreign_task),
            ("POST", "/_sim/tasks/{task_id}/expire", control_api.expire_task),
            ("POST", "/_sim/results/expire", control_api.expire_results),
        )
    ),
)
