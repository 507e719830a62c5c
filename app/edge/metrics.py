"""Request edge: the Prometheus route; the counters themselves live in app.metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from app.metrics import exposition

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=PlainTextResponse, responses={
    200: {"description": "Prometheus text exposition format 0.0.4",
          "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> Response:
    """Prometheus metrics; public like /healthz (counts and timings only, no case data)."""
    return Response(exposition(request.app.state.engine), media_type=CONTENT_TYPE_PLAIN_0_0_4)
