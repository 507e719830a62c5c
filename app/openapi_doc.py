"""Contract: the OpenAPI document, built without a database so it can be printed anywhere."""

from typing import Any


def openapi_document() -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from app.main import create_app
    from app.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(database_url=f"sqlite:///{Path(folder) / 'openapi.db'}",
                                  secret_key_file=Path(folder) / "key"))
        document = app.openapi()
        app.state.engine.dispose()
    return document
