"""Liveness, readiness and Prometheus metrics (never behind the API key)."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from docintel.api.deps import EmbedderDep, MetricsDep, StoreDep
from docintel.errors import DocintelError
from docintel.schemas import HealthStatus, ReadinessStatus

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> HealthStatus:
    """The process is alive."""
    return HealthStatus()


@router.get("/readyz", responses={503: {"model": ReadinessStatus, "description": "Not ready"}})
def readyz(store: StoreDep, embedder: EmbedderDep, response: Response) -> ReadinessStatus:
    """Redis answers and the embedder is usable (its dimension is known)."""
    checks: dict[str, str] = {}
    try:
        store.ping()
        checks["redis"] = "ok"
        checks["index"] = store.index_name()
        checks["embedder"] = embedder.check_ready()
    except DocintelError as exc:
        response.status_code = 503
        return ReadinessStatus(status="unavailable", reason=exc.message, checks=checks)
    return ReadinessStatus(status="ok", checks=checks)


@router.get("/metrics", include_in_schema=False)
def metrics(collectors: MetricsDep) -> Response:
    """Prometheus exposition of this app's registry."""
    return Response(generate_latest(collectors.registry), media_type=CONTENT_TYPE_LATEST)
