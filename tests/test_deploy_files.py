"""Deployment files, checked structurally: no Docker engine runs where the tests do.

docker-compose.yml must start PostgreSQL, migrate it once, then serve the API against it; the
Dockerfile must start the service; CI must run the same test command as the Makefile and README.
"""

import json
import os
import re
import shlex
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def read(name: str) -> str:
    path = ROOT / name
    assert path.is_file(), f"{name} is missing"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(read("docker-compose.yml"))
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def service(compose: dict, name: str) -> dict:
    services = compose.get("services") or {}
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return services[name] or {}


def command_words(value) -> list[str]:
    """Compose commands come as a string (shell words) or a list."""
    return shlex.split(value) if isinstance(value, str) else [str(word) for word in value or []]


def dependencies(svc: dict) -> dict[str, str]:
    """depends_on as {service: condition}; the short list form means service_started."""
    depends = svc.get("depends_on") or {}
    if isinstance(depends, list):
        return {name: "service_started" for name in depends}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()}


def environment(svc: dict) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def builds_this_repo(svc: dict) -> bool:
    build = svc.get("build")
    context = build.get("context", ".") if isinstance(build, dict) else build
    return context in (".", "./")


def test_compose_has_db_migrate_and_api(compose):
    assert {"db", "migrate", "api"} <= set(compose.get("services") or {})


def test_db_is_postgres_with_a_volume_and_a_healthcheck(compose):
    db = service(compose, "db")
    assert str(db.get("image", "")).startswith("postgres:")
    env = environment(db)
    for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert env.get(key), f"db lacks {key}"
    volumes = [v if isinstance(v, str) else v.get("source", "") for v in db.get("volumes") or []]
    named = set(compose.get("volumes") or {})
    assert any(v.split(":", 1)[0] in named for v in volumes), "db data is not on a named volume"
    test = db.get("healthcheck", {}).get("test")
    assert test, "db has no healthcheck"
    assert "pg_isready" in " ".join(command_words(test) if isinstance(test, str) else test)


def test_migrate_runs_stuckfunds_migrate_once_the_db_is_healthy(compose):
    migrate = service(compose, "migrate")
    assert builds_this_repo(migrate)
    assert command_words(migrate.get("command"))[:2] == ["stuckfunds", "migrate"]
    assert dependencies(migrate).get("db") == "service_healthy"
    assert str(migrate.get("restart", "no")) == "no"


def test_api_waits_for_the_migration_and_a_healthy_db(compose):
    api = service(compose, "api")
    assert builds_this_repo(api)
    depends = dependencies(api)
    assert depends.get("migrate") == "service_completed_successfully"
    assert depends.get("db") == "service_healthy"


def test_api_database_url_is_psycopg_on_the_db_service(compose):
    api = service(compose, "api")
    raw = environment(api).get("STUCKFUNDS_DATABASE_URL")
    assert raw, "api has no STUCKFUNDS_DATABASE_URL"
    url = make_url(raw)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "db" and "db" in compose["services"]
    db_env = environment(service(compose, "db"))
    assert url.username == db_env.get("POSTGRES_USER")
    assert url.password == db_env.get("POSTGRES_PASSWORD")
    assert url.database == db_env.get("POSTGRES_DB")


def test_migrate_uses_the_same_database_as_the_api(compose):
    # Without it, migrate would upgrade the image's default SQLite file and the API would
    # meet an empty PostgreSQL.
    api_url = environment(service(compose, "api")).get("STUCKFUNDS_DATABASE_URL")
    assert environment(service(compose, "migrate")).get("STUCKFUNDS_DATABASE_URL") == api_url


def test_worker_sweeps_the_same_database_after_the_migration(compose):
    worker = service(compose, "worker")
    assert builds_this_repo(worker)
    assert command_words(worker["command"])[-2:] == ["stuckfunds", "worker"]
    assert dependencies(worker).get("migrate") == "service_completed_successfully"
    assert environment(worker) == environment(service(compose, "api"))
    assert "STUCKFUNDS_SECRET_KEYS" in environment(worker)


def test_api_port_is_published(compose):
    published = []
    for port in service(compose, "api").get("ports") or []:
        if isinstance(port, dict):
            if str(port.get("target")) == "8000" and port.get("published"):
                published.append(port)
        else:
            parts = str(port).split("/", 1)[0].split(":")
            if len(parts) >= 2 and parts[-1] == "8000" and parts[-2]:
                published.append(port)
    assert published, "container port 8000 of api is not published on the host"


def test_api_healthcheck_probes_healthz_without_curl(compose):
    test = service(compose, "api").get("healthcheck", {}).get("test")
    assert test, "api has no healthcheck"
    text = test if isinstance(test, str) else " ".join(map(str, test))
    assert "/healthz" in text and ":8000" in text
    assert "curl" not in text and "wget" not in text  # neither is in python:3.11-slim


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_cmd_starts_stuckfunds_serve():
    cmds = [rest for keyword, rest in dockerfile_instructions() if keyword == "CMD"]
    assert cmds, "Dockerfile has no CMD"
    cmd = cmds[-1]
    words = json.loads(cmd) if cmd.startswith("[") else shlex.split(cmd)
    assert words[:2] == ["stuckfunds", "serve"]
    assert "0.0.0.0" in words, "the service must listen on all interfaces inside the container"


def test_dockerfile_is_python_311_slim_and_runs_as_non_root():
    instructions = dockerfile_instructions()
    froms = [rest.split()[0] for keyword, rest in instructions if keyword == "FROM"]
    assert froms and froms[-1] == "python:3.11-slim"
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_dockerignore_keeps_what_the_service_reads_at_run_time():
    # app.settings.PROJECT_ROOT: alembic.ini, migrations/ and rules/ sit beside app/.
    patterns = {line.strip().rstrip("/").removeprefix("./")
                for line in read(".dockerignore").splitlines()
                if line.strip() and not line.startswith("#")}
    for needed in ("app", "alembic.ini", "migrations", "rules", "pyproject.toml", "*"):
        assert needed not in patterns, f".dockerignore drops {needed}"
    assert ".venv" in patterns and ".git" in patterns


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            env.update(dict(word.split("=", 1) for word in shlex.split(rest) if "=" in word))
    return env


def mounts(svc: dict) -> dict[str, str]:
    """A service's volumes as {target: source}, short or long syntax."""
    found = {}
    for volume in svc.get("volumes") or []:
        if isinstance(volume, dict):
            found[str(volume.get("target"))] = str(volume.get("source", ""))
        else:
            source, _, rest = str(volume).partition(":")
            found[rest.split(":", 1)[0]] = source
    return found


@pytest.mark.parametrize("name", ["api", "worker"])
def test_data_dir_is_on_a_named_volume_so_evidence_survives_recreating_the_container(compose, name):
    env = dockerfile_env()
    # What the database lists lives under /data: the evidence files, and the key file.
    assert env["STUCKFUNDS_EVIDENCE_DIR"].startswith("/data/")
    assert env["STUCKFUNDS_SECRET_KEY_FILE"].startswith("/data/")
    source = mounts(service(compose, name)).get("/data")
    assert source, f"{name} keeps /data in the container's own layer"
    assert source in (compose.get("volumes") or {}), f"{name}'s /data is not a named volume"
    if name == "worker":
        assert source == mounts(service(compose, "api"))["/data"]


def test_image_runs_as_an_unprivileged_user_who_owns_data():
    instructions = dockerfile_instructions()
    final = instructions[max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"):]
    [user] = [rest for keyword, rest in final if keyword == "USER"][-1:]
    name = user.split(":")[0]
    assert name not in ("root", "0")
    runs = " ".join(rest for keyword, rest in final if keyword == "RUN")
    made = re.search(rf"useradd\b[^&;]*--home-dir /data\b[^&;]*\b{re.escape(name)}\b", runs)
    assert made, f"the image's user {name!r} does not own /data (its home)"
    uid = re.search(r"--uid (\d+)", made.group(0))
    assert uid and int(uid.group(1)) != 0
    # USER comes after everything that needs root.
    last_user = max(i for i, (keyword, _) in enumerate(final) if keyword == "USER")
    assert all(keyword != "RUN" for keyword, _ in final[last_user:])


def ignore_patterns(name: str) -> set[str]:
    return {line.strip() for line in read(name).splitlines() if line.strip() and not line.startswith("#")}


def test_run_time_state_is_neither_committed_nor_copied_into_the_image():
    gitignore, dockerignore = ignore_patterns(".gitignore"), ignore_patterns(".dockerignore")
    assert {"/evidence/", "*.key"} <= gitignore
    # Unanchored "evidence/" would also hide app/evidence/ and tests/evidence/.
    assert "evidence/" not in gitignore
    assert "evidence" in dockerignore or "/evidence" in dockerignore
    assert "**/*.key" in dockerignore


def make_target_recipe(makefile: str, target: str) -> str:
    match = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n?)*)", makefile, re.M)
    assert match, f"Makefile has no {target!r} target"
    return match.group(1)


def test_ci_runs_the_makefile_test_target():
    ci = read(".ci/run")
    # A command line (optionally prefixed by VAR=value assignments), not an echo or a comment.
    runs_make_test = re.compile(r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*make\s+test\b")
    assert any(runs_make_test.match(line) for line in ci.splitlines()), ".ci/run does not run `make test`"
    assert ci.startswith("#!") and "set -euo pipefail" in ci
    recipe = make_target_recipe(read("Makefile"), "test")
    # Shell commands of the recipe: split at ; && || newlines and $$( substitutions.
    commands = [c.strip().lstrip("@-+").strip() for c in re.split(r";|&&|\|\||\n|\$\$\(", recipe)]
    assert any(c.startswith("scripts/ensure-postgres") for c in commands), "test does not run scripts/ensure-postgres"
    pytest_q = re.compile(r"(\$\(BIN\)|\$\(VENV\)/bin|\.venv/bin)/pytest -q\b")
    assert any(pytest_q.match(c) for c in commands), "test does not run .venv/bin/pytest -q"
    for script in (".ci/run", "scripts/ensure-postgres"):
        assert os.access(ROOT / script, os.X_OK), f"{script} is not executable"


def test_makefile_has_the_documented_targets():
    makefile = read("Makefile")
    for target in ("venv", "run", "test", "openapi", "clean"):
        make_target_recipe(makefile, target)
    assert "stuckfunds serve" in make_target_recipe(makefile, "run")
    assert re.search(r"^test:.*\bvenv\b", makefile, re.M), "test does not depend on venv"
    assert re.search(r"^run:.*\bvenv\b", makefile, re.M), "run does not depend on venv"


def test_readme_mentions_make_test_and_make_run():
    readme = ROOT / "README.md"
    if not readme.is_file():
        pytest.skip("README.md not written yet")
    text = readme.read_text(encoding="utf-8")
    assert "make test" in text
    assert "make run" in text
