"""Liveness, readiness and Prometheus metrics (never behind the API key)."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from docintel.api.deps import ContextDep, MetricsDep
from docintel.schemas import HealthStatus, ReadinessStatus

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> HealthStatus:
    """The process is alive."""
    return HealthStatus()


@router.get("/readyz", responses={503: {"model": ReadinessStatus, "description": "Not ready"}})
async def readyz(context: ContextDep, response: Response) -> ReadinessStatus:
    """Redis answers and the embedder embeds a probe text, both within 1.5 s (else 503 with the reason)."""
    status = await context.readiness.check()
    if status.status != "ok":
        response.status_code = 503
    return status


@router.get("/metrics", include_in_schema=False)
def metrics(collectors: MetricsDep) -> Response:
    """Prometheus exposition of this app's registry."""
    return Response(generate_latest(collectors.registry), media_type=CONTENT_TYPE_LATEST)
