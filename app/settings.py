"""Configuration: one Settings object read from STUCKFUNDS_* environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUCKFUNDS_", extra="ignore")

    database_url: str = "sqlite:///stuckfunds.db"
    rules_dir: Path = PROJECT_ROOT / "rules"
    # Engine pool size per process; SQLite ignores it.
    db_pool_size: int = Field(default=10, ge=1, le=100)
    page_size_max: int = Field(default=100, ge=1, le=1000)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the installed driver; the bare scheme would pick psycopg2.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
