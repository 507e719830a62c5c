"""Command line: serve the API, migrate the database, manage API clients, check the rules."""

import json
import sys
from datetime import datetime, timezone
from typing import Annotated

import typer

from app.settings import Settings

cli = typer.Typer(help="StuckFunds: case advice for stuck withdrawals.", no_args_is_help=True,
                  add_completion=False)
clients_cli = typer.Typer(help="Manage API clients and their keys.", no_args_is_help=True)
rules_cli = typer.Typer(help="Inspect and check the ruleset in rules/.", no_args_is_help=True)
keys_cli = typer.Typer(help="The secret keys that encrypt what is stored secret.", no_args_is_help=True)
cli.add_typer(clients_cli, name="clients")
evidence_cli = typer.Typer(help="Look after the evidence store.", no_args_is_help=True)
cli.add_typer(rules_cli, name="rules")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(evidence_cli, name="evidence")
peers_cli = typer.Typer(help="Peer signals: the per-platform counters.", no_args_is_help=True)
cli.add_typer(peers_cli, name="peers")

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="STUCKFUNDS_DATABASE_URL",
                 help="sqlite:///path.db (default: stuckfunds.db here) or postgresql+psycopg://..."),
]


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


def _refuse_unusable_keys(settings: Settings) -> None:
    from app.keyring import UnusableKey, check_keys

    try:
        check_keys(settings)
    except UnusableKey as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@cli.command()
def serve(
    database_url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Serve the HTTP API (an SQLite file is migrated automatically)."""
    import uvicorn

    from app.db.migrate import upgrade_to_head

    settings = _settings(database_url)
    _refuse_unusable_keys(settings)
    if settings.is_sqlite and workers > 1:
        typer.echo("error: SQLite serves from one process only; use --workers 1 or a "
                   "PostgreSQL --database-url.", err=True)
        raise typer.Exit(2)
    if settings.is_sqlite:
        upgrade_to_head(settings.database_url)
    # Worker processes rebuild settings from the environment, so pass the URL that way.
    import os

    os.environ["STUCKFUNDS_DATABASE_URL"] = settings.database_url
    # Everything the server writes to stderr is a JSON line, this banner and uvicorn's own included.
    import logging

    from app.logs import configure_logging, uvicorn_log_config

    configure_logging(settings.log_level)
    logging.getLogger("stuckfunds.serve").info(
        f"StuckFunds on http://{host}:{port} ({_backend(settings)}); "
        "create an API key with `stuckfunds clients create NAME`.")
    # Several workers count into files in one folder that any of them sums up on GET /metrics
    # (prometheus_client's multiprocess mode). It must be fresh for each run; one given in
    # PROMETHEUS_MULTIPROC_DIR is used as it is (and left in place).
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import tempfile

        metrics_dir = tempfile.mkdtemp(prefix="stuckfunds-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="info", access_log=False,
                    log_config=uvicorn_log_config(settings.log_level))
    finally:
        if metrics_dir:
            import shutil

            shutil.rmtree(metrics_dir, ignore_errors=True)


def _backend(settings: Settings) -> str:
    return "SQLite " + settings.database_url.split("///", 1)[-1] if settings.is_sqlite else "PostgreSQL"


@cli.command()
def worker(database_url: DatabaseUrl = None) -> None:
    """Sweep cases whose time has come and deliver webhooks, until interrupted.

    Run as many as you like on PostgreSQL; on SQLite only one is ever active (a lease), and
    `stuckfunds serve` already runs one.
    """
    import signal
    import threading

    from app.db.engine import WRITE, make_engine, make_sessionmaker
    from app.evaluation import CompiledRuleset, load_ruleset
    from app.logs import configure_logging
    from app.worker.runner import Worker

    settings = _settings(database_url)
    _refuse_unusable_keys(settings)
    configure_logging(settings.log_level)
    engine = make_engine(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    Worker(settings=settings, sessions=make_sessionmaker(engine.execution_options(**WRITE)),
           ruleset=CompiledRuleset(load_ruleset(settings.rules_dir))).run_forever(stop)
    engine.dispose()


@cli.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration to the database."""
    from app.db.migrate import upgrade_to_head

    settings = _settings(database_url)
    upgrade_to_head(settings.database_url)
    typer.echo(f"database is at the latest schema ({_backend(settings)})")


@clients_cli.command("create")
def clients_create(name: Annotated[str, typer.Argument(help="A name for the client app")],
                   database_url: DatabaseUrl = None) -> None:
    """Create an API client; its key is printed once, on the last line."""
    from app.auth.service import create_client
    from app.db.engine import make_engine, make_sessionmaker
    from app.db.migrate import upgrade_to_head

    settings = _settings(database_url)
    if settings.is_sqlite:
        upgrade_to_head(settings.database_url)
    engine = make_engine(settings)
    with make_sessionmaker(engine).begin() as session:
        issued = create_client(session=session, name=name, now=datetime.now(timezone.utc))
    engine.dispose()
    typer.echo(f"client {issued.client_id} ({name}); key prefix {issued.prefix}")
    typer.echo("the key below is shown only this once; store it now:")
    typer.echo(issued.key)


def _client_session(database_url: str | None):
    from app.db.engine import make_engine, make_sessionmaker
    from app.db.migrate import upgrade_to_head

    settings = _settings(database_url)
    if settings.is_sqlite:
        upgrade_to_head(settings.database_url)
    engine = make_engine(settings)
    return engine, make_sessionmaker(engine)


def _find_client_or_exit(session, ref: str):
    from app.auth.service import find_client

    client = find_client(session=session, ref=ref)
    if client is None:
        typer.echo(f"error: no client {ref!r} (give its id or name)", err=True)
        raise typer.Exit(2)
    return client


@clients_cli.command("list")
def clients_list(database_url: DatabaseUrl = None) -> None:
    """List clients and their keys (prefixes only; keys are never stored)."""
    from app.auth.service import list_clients

    engine, sessions = _client_session(database_url)
    with sessions() as session:
        for client, keys in list_clients(session=session):
            typer.echo(f"{client.id}  {client.name}")
            for key in keys:
                state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "live"
                typer.echo(f"    {key.prefix}…  created {key.created_at:%Y-%m-%d %H:%M}  {state}")
    engine.dispose()


@clients_cli.command("rotate")
def clients_rotate(client: Annotated[str, typer.Argument(help="Client id or name")],
                   database_url: DatabaseUrl = None) -> None:
    """Issue a new key; the old ones stay live until you revoke them (printed last, once)."""
    from app.auth.service import issue_key

    engine, sessions = _client_session(database_url)
    with sessions.begin() as session:
        found = _find_client_or_exit(session, client)
        issued = issue_key(session=session, client_id=found.id, now=datetime.now(timezone.utc))
    engine.dispose()
    typer.echo(f"new key for {found.name}, prefix {issued.prefix}; revoke the old one with "
               f"`stuckfunds clients revoke {found.name} --key <prefix>` once it is replaced")
    typer.echo(issued.key)


@clients_cli.command("revoke")
def clients_revoke(
    client: Annotated[str, typer.Argument(help="Client id or name")],
    key: Annotated[str | None, typer.Option("--key", help="Revoke only the key with this prefix")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke one key (--key PREFIX) or every key of a client; it stops working at once."""
    from app.auth.service import revoke_keys

    engine, sessions = _client_session(database_url)
    with sessions.begin() as session:
        found = _find_client_or_exit(session, client)
        count = revoke_keys(session=session, client_id=found.id, prefix=key, now=datetime.now(timezone.utc))
    engine.dispose()
    if not count:
        typer.echo("error: no live key matched", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {count} key(s) of {found.name}")


@evidence_cli.command("sweep")
def evidence_sweep(
    grace_hours: Annotated[float | None, typer.Option(
        min=0, help="Keep files touched this recently (default STUCKFUNDS_EVIDENCE_SWEEP_GRACE_HOURS)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Remove stored files no evidence record references (left by crashes), after a grace period."""
    from datetime import timedelta

    from app.evidence.service import sweep_unreferenced
    from app.evidence.storage import LocalEvidenceStore

    engine, sessions = _client_session(database_url)
    settings = _settings(database_url)
    grace = timedelta(hours=settings.evidence_sweep_grace_hours if grace_hours is None else grace_hours)
    with sessions() as session:
        removed = sweep_unreferenced(session=session, store=LocalEvidenceStore(settings.evidence_dir),
                                     older_than=datetime.now(timezone.utc) - grace)
    engine.dispose()
    typer.echo(f"removed {len(removed)} unreferenced file(s) from {settings.evidence_dir}")


@keys_cli.command("generate")
def keys_generate() -> None:
    """Print a fresh key for STUCKFUNDS_SECRET_KEY(S)."""
    from app.keyring import generate_key

    typer.echo(generate_key())


@cli.command(help="Print a fresh key for STUCKFUNDS_SECRET_KEY(S) (same as `keys generate`).")
def keygen() -> None:
    keys_generate()


@keys_cli.command("rotate")
def keys_rotate(database_url: DatabaseUrl = None) -> None:
    """Re-encrypt stored secrets with the first key of STUCKFUNDS_SECRET_KEYS (or the key file).

    Give the new key first and the old ones after it; once this reports nothing unreadable,
    the old keys can be removed.
    """
    from cryptography.fernet import Fernet, MultiFernet

    from app.db.engine import WRITE, make_engine, make_sessionmaker
    from app.key_rotation import rotate_stored
    from app.keyring import UnusableKey, check_keys

    settings = _settings(database_url)
    try:
        # The published key may be an old key here: this is how a deployment gets rid of it.
        keys = check_keys(settings, allow_committed_as_old=True)
    except UnusableKey as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if len(keys) < 2:
        typer.echo("note: only one key is configured; stored values are re-encrypted with it", err=True)
    if settings.is_sqlite:
        from app.db.migrate import upgrade_to_head

        upgrade_to_head(settings.database_url)
    engine = make_engine(settings)
    try:
        report = rotate_stored(sessions=make_sessionmaker(engine.execution_options(**WRITE)),
                               fernet=MultiFernet([Fernet(key) for key in keys]))
    finally:
        engine.dispose()
    typer.echo(f"re-encrypted {report.webhook_secrets} webhook secret(s) and "
               f"{report.idempotent_answers} stored answer(s) with the first key")
    if report.unreadable:
        typer.echo(f"error: {report.unreadable} stored value(s) could be decrypted with none of the "
                   "keys given; keep the key that encrypted them and run this again", err=True)
        raise typer.Exit(1)


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document (the committed contract is openapi/openapi.json)."""
    from app.openapi_doc import openapi_document

    sys.stdout.write(json.dumps(openapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n")


@rules_cli.command("check")
def rules_check() -> None:
    """Validate the rules and run every scenario beside them."""
    from app.evaluation import RulesError, load_ruleset
    from app.scenarios import run_all_scenarios

    settings = Settings()
    try:
        ruleset = load_ruleset(settings.rules_dir)
    except RulesError as exc:
        typer.echo(f"invalid: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"ruleset {ruleset.name} {ruleset.version} ({ruleset.hash[:12]}): "
               f"{len(ruleset.rules)} rules valid")
    failures, total = run_all_scenarios(settings.rules_dir, ruleset)
    for failure in failures:
        typer.echo(f"FAIL {failure}", err=True)
    typer.echo(f"{total - len(failures)} passed, {len(failures)} failed")
    if failures:
        raise typer.Exit(1)


@peers_cli.command("rebuild")
def peers_rebuild(database_url: DatabaseUrl = None) -> None:
    """Recompute every peer counter and mark from the cases' event logs (after turning signals back on)."""
    from app.evaluation import CompiledRuleset, load_ruleset
    from app.peers.rebuild import rebuild

    settings = _settings(database_url)
    engine, sessions = _client_session(database_url)
    ruleset = CompiledRuleset(load_ruleset(settings.rules_dir))
    with sessions() as session, session.begin():
        cases = rebuild(session=session, ruleset=ruleset)
    engine.dispose()
    typer.echo(f"peer counters rebuilt from {cases} case(s)")


def main() -> None:
    cli()
