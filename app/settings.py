"""Configuration: one Settings object read from STUCKFUNDS_* environment variables."""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUCKFUNDS_", extra="ignore")

    database_url: str = "sqlite:///stuckfunds.db"
    rules_dir: Path = PROJECT_ROOT / "rules"
    # Engine pool size per process; SQLite ignores it.
    db_pool_size: int = Field(default=10, ge=1, le=100)
    # Every body but an evidence upload (which may reach evidence_max_bytes) is JSON this small.
    # Events one case may hold (409 case-event-limit past it): each append evaluates the whole log.
    case_max_events: int = Field(default=1000, ge=1, le=100_000)
    max_json_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    log_level: str = "INFO"

    # Rate limits ("N/second|minute|hour"), per API key and per case token; shared through
    # Redis when a URL is set, counted per process otherwise.
    redis_url: str | None = None
    # Every Redis key starts with this, so several deployments (or test runs) can share a database.
    redis_key_prefix: str = Field(default="stuckfunds", min_length=1, max_length=100)
    rate_limit_api_key: str = "600/minute"
    rate_limit_case_token: str = "60/minute"
    # Failed authentications per client address; past it the address gets 429 until the window moves.
    rate_limit_auth_failures: str = "20/minute"
    # Redis unreachable: "allow" lets requests through unthrottled (a warning is logged),
    # "refuse" answers 503 with Retry-After. /readyz reports Redis in both cases.
    rate_limit_redis_down: Literal["allow", "refuse"] = "allow"
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=10)
    # Browsers may call the API from these origins only (exact matches; empty: none).
    cors_origins: list[str] = Field(default_factory=list)
    # Idempotency-Key records are kept at least this long (published in the README).
    idempotency_ttl_hours: float = Field(default=48, ge=24)
    # A key claimed by a request that died is free again after this long (409 until then).
    idempotency_claim_lease_seconds: float = Field(default=60, gt=0, le=3600)
    case_token_ttl_days: float = Field(default=90, gt=0)

    # Evidence uploads (app/evidence/): files are stored once per SHA-256 under `evidence_dir`
    # (relative paths are taken from the working directory, like the SQLite file). The type is
    # sniffed from the content and must be one of `evidence_media_types`.
    evidence_dir: Path = Path("evidence")
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1, le=1024 * 1024 * 1024)
    # Bytes of evidence recorded per case and per client (409 quota-exceeded past them).
    evidence_case_quota_bytes: int = Field(default=500 * 1024 * 1024, ge=1)
    evidence_client_quota_bytes: int = Field(default=50 * 1024 * 1024 * 1024, ge=1)
    # `stuckfunds evidence sweep` removes unreferenced files last touched longer ago than this.
    evidence_sweep_grace_hours: float = Field(default=24, ge=0)
    evidence_media_types: tuple[str, ...] = (
        "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
        "audio/mpeg", "audio/mp4", "audio/wav", "audio/ogg", "audio/amr", "video/mp4",
        "text/plain",
    )

    # Encrypt what is stored secret (webhook signing secrets, idempotent answers that carry a
    # case token): Fernet keys, newest first; the first encrypts, every one decrypts, so a key
    # is rotated by putting a new one first and running `stuckfunds keys rotate`.
    # STUCKFUNDS_SECRET_KEYS takes a comma-separated list, STUCKFUNDS_SECRET_KEY one key; with
    # neither, `secret_key_file` (one key a line, newest first) is read, or created mode 0600.
    secret_key: SecretStr | None = None
    secret_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    secret_key_file: Path = Path("stuckfunds.key")

    # Dossiers: one holds at most this many events (the latest) and note characters each, and says
    # so when it is cut. PDFs are rendered in a child process with these limits (503 past them)
    # and kept per process, per version of the case, for at most `dossier_cache_seconds`.
    dossier_max_events: int = Field(default=300, ge=1, le=10_000)
    dossier_max_note_chars: int = Field(default=1000, ge=20, le=2000)
    dossier_max_total_note_chars: int = Field(default=50_000, ge=20, le=1_000_000)
    dossier_render_timeout_seconds: float = Field(default=60, gt=0, le=600)
    dossier_render_memory_mb: int = Field(default=1024, ge=64, le=16384)
    dossier_render_concurrency: int = Field(default=2, ge=1, le=32)
    dossier_cache_mb: int = Field(default=64, ge=0, le=4096)
    dossier_cache_seconds: float = Field(default=3600, ge=0)

    # The sweeper and webhook deliveries. `embedded_worker` runs them inside `serve`;
    # None means "on SQLite only" (PostgreSQL deployments run `stuckfunds worker`).
    embedded_worker: bool | None = None
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    worker_batch_size: int = Field(default=50, ge=1, le=1000)
    deadline_warning_hours: float = Field(default=24, ge=0)
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60)
    webhook_max_attempts: int = Field(default=21, ge=1, le=100)
    webhook_backoff_base_seconds: float = Field(default=5, gt=0)
    webhook_backoff_cap_seconds: float = Field(default=8 * 3600, gt=0)
    # Receivers must be on public addresses and on these ports; the address a delivery connects
    # to is the one checked. `webhook_allowed_networks` opens given private networks (an
    # on-premises receiver); `allow_private_webhook_urls` turns the guard off (tests only).
    webhook_allowed_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(default=[80, 443])
    webhook_allowed_networks: list[IPv4Network | IPv6Network] = Field(default_factory=list)
    allow_private_webhook_urls: bool = False

    # Peer signals (app/peers/): what other cases on the same platform say. A signal is used or
    # shown only when it rests on at least `peer_min_cases` distinct cases from at least
    # `peer_min_clients` distinct client apps (never fewer than 2 of each: one client alone must
    # not move another's advice), counted over the last `peer_window_days` days. Off: no signals
    # are read or shown and no counter is written (`stuckfunds peers rebuild` after turning back on).
    peer_signals: bool = True
    peer_min_cases: int = Field(default=5, ge=2, le=1000)
    peer_min_clients: int = Field(default=2, ge=2, le=100)
    peer_window_days: int = Field(default=30, ge=1, le=365)
    # Each process remembers a platform's window counts this long (0: read them on every post):
    # advisory, bucketed counts may lag by this much in other processes, never in the writer's.
    peer_cache_seconds: float = Field(default=10, ge=0, le=300)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the installed driver; the bare scheme would pick psycopg2.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("secret_key", "secret_keys")
    @classmethod
    def _not_a_placeholder(cls, value):
        for key in value if isinstance(value, list) else [value]:
            if key is not None and key.get_secret_value().lower() in {"", "changeme", "change-me", "secret"}:
                raise ValueError("set a real key (`stuckfunds keys generate` prints one)")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_embedded_worker(self) -> bool:
        return self.is_sqlite if self.embedded_worker is None else self.embedded_worker


@lru_cache
def get_settings() -> Settings:
    return Settings()
