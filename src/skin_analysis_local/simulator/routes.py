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
    route("POST", "/_sim/reset", "control.reset", control_api.reset, RouteKind.CONTROL),
    route("GET", "/_sim/counters", "control.counters", control_api.counters, RouteKind.CONTROL),
)
