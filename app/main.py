"""Application: build the FastAPI app, its engine and its compiled ruleset."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware

from app.cases.event_data import EVENT_TYPES
from app.cases.router import evaluation_router
from app.cases.router import router as cases_router
from app.auth.credential_cache import CredentialCache
from app.db.engine import WRITE, make_engine, make_sessionmaker, reading
from app.db.migrate import upgrade_to_head
from app.dossier.render_pdf import pdf_readiness
from app.dossier.cache import PdfCache
from app.dossier.render_process import RenderLimits, Renderer
from app.dossier.router import router as dossier_router
from app.evaluation import CompiledRuleset, load_ruleset
from app.evidence.router import router as evidence_router
from app.edge.health import router as health_router
from app.keyring import check_keys
from app.access.router import router as access_router
from app.auth.ratelimit import RateLimiter
from app.logs import configure_logging
from app.edge.metrics import router as metrics_router
from app.edge.bodylimit import BodyLimitMiddleware, edge_answers_in_openapi
from app.edge.middleware import RequestContextMiddleware
from app.edge.contract import CONTACT, LICENSE, SERVERS, TAGS, document_routes, finish_document
from app.edge.problems import install_problem_handlers, problems_in_openapi
from app.peers.router import router as peers_router
from app.rules_api.router import router as rules_router
from app.settings import Settings, get_settings
from app.webhooks.router import router as webhooks_router
from app.webapp.router import install_webapp
from app.worker.runner import Worker, start_background_worker

API_DESCRIPTION = """Case advice for people whose withdrawal is stuck on an online platform.

Open a case, post events as things happen, and read back the escalation status, the risk
level and the next recommended actions, each with the rule that chose it. Every error is an
RFC 9457 problem document (`application/problem+json`)."""


# FastAPI's own OpenTelemetry instrumentation: off. The service exports Prometheus metrics and JSON
# logs of its own (app.metrics, app.edge.middleware); left on, FastAPI would ask the OpenTelemetry
# globals on every request whether anything listens.
NO_TELEMETRY = {"tracing": False, "metrics": False, "logs": False}


class StuckFundsAPI(FastAPI):
    """FastAPI without the two layers it puts around every request that do nothing here.

    ExceptionTelemetryMiddleware records errors for FastAPI's telemetry (off, above), and
    AppBodyLimitMiddleware enforces FastAPI's `max_body_size` (unset: app.edge.bodylimit caps
    bodies). Each still wraps every request; when they have nothing to do they are left out.
    """

    def build_middleware_stack(self):
        stack = super().build_middleware_stack()
        idle = ((ExceptionTelemetryMiddleware,) if not self._native_telemetry.enabled() else ()) + (
            (AppBodyLimitMiddleware,) if self.max_body_size is None else ())
        layer = stack
        while getattr(layer, "app", None) is not None:
            while isinstance(layer.app, idle):
                layer.app = layer.app.app
            layer = layer.app
        return stack


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    check_keys(settings)  # refuse to start with a published or world-readable key
    if settings.is_sqlite:
        # The embedded default needs no set-up: bring the file's schema up to date on start.
        upgrade_to_head(settings.database_url)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Checked once at start (and logged when missing), so /readyz and the PDF route answer at once.
        pdf_readiness()
        # On the embedded default one command gives the whole product: the sweeper and the
        # webhook deliveries run in a thread beside the API.
        background = None
        if settings.runs_embedded_worker:
            background = start_background_worker(Worker(
                settings=settings, sessions=app.state.write_sessions, ruleset=app.state.ruleset))
        yield
        if background:
            thread, stop = background
            stop.set()
            thread.join(timeout=10)

    app = StuckFundsAPI(title="StuckFunds", version="1.0.0", description=API_DESCRIPTION,
                  generate_unique_id_function=_operation_id, lifespan=lifespan,
                  servers=SERVERS, openapi_tags=TAGS, contact=CONTACT, license_info=LICENSE,
                  telemetry=NO_TELEMETRY)
    app.state.settings = settings
    app.state.engine = engine
    app.state.pdf_readiness = pdf_readiness
    app.state.sessions = make_sessionmaker(reading(engine))
    app.state.write_sessions = make_sessionmaker(engine.execution_options(**WRITE))
    app.state.ruleset = CompiledRuleset(load_ruleset(settings.rules_dir))
    app.state.rate_limiter = RateLimiter(settings)
    app.state.credential_cache = CredentialCache()
    app.state.dossier_renderer = Renderer(RenderLimits(
        timeout_seconds=settings.dossier_render_timeout_seconds,
        memory_bytes=settings.dossier_render_memory_mb * 2**20,
        concurrency=settings.dossier_render_concurrency))
    app.state.dossier_cache = PdfCache(max_bytes=settings.dossier_cache_mb * 2**20,
                                       ttl_seconds=settings.dossier_cache_seconds)
    install_problem_handlers(app, union_tags=EVENT_TYPES)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RequestContextMiddleware)
    if settings.cors_origins:
        # Added last = outermost: CORS headers go on every answer, errors included. With no origin
        # configured no browser is let in, so the layer is left out: one less on every request.
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match",
                                          "Accept-Language", "X-Request-ID"],
                           expose_headers=["ETag", "Location", "Retry-After", "Idempotent-Replayed",
                                           "X-Request-ID"])
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(cases_router)
    app.include_router(rules_router)
    app.include_router(peers_router)
    app.include_router(webhooks_router)
    app.include_router(access_router)
    app.include_router(evidence_router)
    app.include_router(dossier_router)
    app.include_router(evaluation_router)
    install_webapp(app)
    document_routes(app)
    build_openapi = app.openapi
    app.openapi = lambda: finish_document(edge_answers_in_openapi(problems_in_openapi(build_openapi())))
    return app
