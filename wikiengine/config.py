"""Configuration: environment variables, else `wiki.toml` in the data directory, else defaults.

The names and defaults are the public contract (`CONTRACT.md`; `docs/running.md`).
"""

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

KEYS = (
    "DATA_DIR",
    "DATABASE_URL",
    "BASE_URL",
    "SECRET_KEYS",
    "SIGNING_KEY_FILE",
    "MAIL",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "LANGUAGE",
)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    data_dir: Path
    database_url: str
    base_url: str
    secret_keys: tuple[str, ...]  # empty: generated into the data dir when first needed
    signing_key_file: Path
    mail: str
    oidc_issuer: str | None
    oidc_client_id: str | None
    oidc_client_secret: str | None
    language: str

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read `WIKI_*` variables (and `wiki.toml`), filling in the documented defaults."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("WIKI_DATA_DIR", "./wiki-data")).resolve()
    values: dict[str, Any] = _read_toml(data_dir / "wiki.toml")
    values.update({key.lower(): env[f"WIKI_{key}"] for key in KEYS if f"WIKI_{key}" in env})
    values.pop("data_dir", None)

    def get(key: str, default: str | None = None) -> str | None:
        value = values.get(key, default)
        return None if value is None else str(value)

    return Settings(
        data_dir=data_dir,
        database_url=get("database_url") or f"sqlite:///{data_dir / 'events.sqlite'}",
        base_url=(get("base_url") or "http://127.0.0.1:8000").rstrip("/"),
        secret_keys=_key_list(values.get("secret_keys")),
        signing_key_file=Path(get("signing_key_file") or data_dir / "signing-key.pem"),
        mail=get("mail") or "console",
        oidc_issuer=get("oidc_issuer"),
        oidc_client_id=get("oidc_client_id"),
        oidc_client_secret=get("oidc_client_secret"),
        language=get("language") or "da",
    )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as file:
        table = tomllib.load(file)
    return {key.lower().removeprefix("wiki_"): value for key, value in table.items()}


def _key_list(value: Any) -> tuple[str, ...]:
    """Keys from "k1,k2" (environment) or ["k1", "k2"] (wiki.toml), newest last."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def secret_keys(settings: Settings) -> tuple[str, ...]:
    """Keys for cookies and e-mailed tokens: configured ones, else one kept in the data dir.

    Generated only when something needs it, so read-only commands write nothing.
    """
    if settings.secret_keys:
        return settings.secret_keys
    data_dir = settings.data_dir
    path = data_dir / "secret-keys"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip())
