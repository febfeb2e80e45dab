"""tiergate.yaml -> a frozen, validated Config; the only reader of os.environ.

Strings expand `${VAR}` and `${VAR:-default}` from the environment after the
YAML is parsed, so a variable can never inject YAML structure. Every problem is
reported with its key path (`providers[2].tier`) and what was expected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .types import CLASSIFICATIONS, MODES, TASKS

Classification = Literal["public", "internal", "confidential", "pii", "hipaa", "legal"]
Mode = Literal["local_only", "local_ollama", "multi_cloud"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_SHA256 = r"^[0-9a-f]{64}$"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Price(_Model):
    """USD per million tokens."""

    input_per_mtok: Decimal = Field(ge=0)
    output_per_mtok: Decimal = Field(default=Decimal(0), ge=0)


class ProviderConfig(_Model):
    name: str = Field(pattern=_NAME)
    protocol: Literal["ollama", "openai", "anthropic", "azure"]
    base_url: str
    api_key: str | None = None
    # azure: the api-version query (default 2024-10-21); anthropic: the anthropic-version header.
    api_version: str | None = None
    tier: int = Field(ge=1, le=3)
    on_premises: bool = False
    max_concurrency: int = Field(default=4, ge=1)
    models: dict[str, str]
    prices: dict[str, Price] = Field(default_factory=dict)
    monthly_budget_usd: Decimal | None = Field(default=None, ge=0)
    timeout_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    max_output_tokens: int = Field(default=4096, ge=1)
    # Tokens a provider adds around the messages (chat template, a Modelfile SYSTEM prompt):
    # part of the reservation, since the prompt's own bytes do not bound them.
    prompt_overhead_tokens: int = Field(default=128, ge=0)
    allowed_classifications: tuple[Classification, ...] = ()
    breaker_failures: int = Field(default=3, ge=1)
    breaker_cooldown_s: float = Field(default=30.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _protocol_defaults(cls, data: Any) -> Any:
        # Anthropic puts a system prompt of up to ~530 tokens in front of any request with
        # tools (a JSON response_format is one), billed as input: reserve for it by default.
        if isinstance(data, dict) and data.get("protocol") == "anthropic":
            data = {"prompt_overhead_tokens": 640, **data}
        if isinstance(data, dict) and isinstance(data.get("api_version"), date):
            data = {**data, "api_version": data["api_version"].isoformat()}  # YAML's 2024-10-21
        return data

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            # A URL can carry credentials (user:token@, ?key=): those stay out of the message.
            shown = re.sub(r"//[^/@\s]*@", "//", value).split("?", 1)[0]
            raise ValueError(f"expected an http:// or https:// URL, got {shown!r}")
        return value.rstrip("/")

    @field_validator("models")
    @classmethod
    def _models(cls, value: dict[str, str]) -> dict[str, str]:
        if "default" not in value:
            raise ValueError("needs a 'default' model, e.g. models: {default: llama3.2:3b}")
        unknown = sorted(set(value) - {"default", *TASKS})
        if unknown:
            raise ValueError(f"unknown task {unknown[0]!r}; tasks are: default, {', '.join(TASKS)}")
        empty = [task for task, model in value.items() if not model]
        if empty:
            raise ValueError(f"model for {empty[0]!r} is empty")
        return value

    @property
    def has_key(self) -> bool:
        """A provider off the premises needs a non-empty api_key to be usable."""
        return self.on_premises or bool(self.api_key)

    def model_for(self, task: str) -> str:
        return self.models.get(task) or self.models["default"]

    @property
    def served_models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.models.values()))


class BudgetConfig(_Model):
    monthly_total_usd: Decimal | None = Field(default=None, ge=0)
    daily_alert_usd: Decimal | None = Field(default=None, ge=0)
    on_exceeded: Literal["fallback", "reject"] = "fallback"
    alert_webhook: str | None = None


class PatternConfig(_Model):
    name: str = Field(pattern=_NAME)
    regex: str
    classification: Classification = "confidential"

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class PrivacyConfig(_Model):
    sensitive: tuple[Classification, ...] = ("pii", "hipaa", "confidential", "legal")
    detect: bool = True
    patterns: tuple[PatternConfig, ...] = ()
    allow: tuple[str, ...] = ()
    # Images, audio and files cannot be scanned in-process: they count as this class (null: as text alone).
    unscannable: Classification | None = "confidential"


class TenantConfig(_Model):
    name: str = Field(pattern=_NAME)
    api_key_sha256: str = Field(pattern=_SHA256)
    mode: Mode = "multi_cloud"
    allowed_providers: tuple[str, ...] | None = None
    classification_floor: Classification | None = None
    monthly_budget_usd: Decimal | None = Field(default=None, ge=0)


class ServerConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8088, ge=0, le=65535)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)


class TelemetryConfig(_Model):
    """OpenTelemetry traces (the `otel` extra); off while otlp_endpoint is unset."""

    otlp_endpoint: str | None = None  # OTLP/HTTP, e.g. http://127.0.0.1:4318
    service_name: str = "tiergate"
    headers: dict[str, str] = Field(default_factory=dict)  # e.g. an authorization header
    timeout_s: float = Field(default=10.0, gt=0)


class Config(_Model):
    store: str = "sqlite:///tiergate.db"
    # HMAC key of the ledger's hash chain: env TIERGATE_LEDGER_KEY, else the file ledger_key_file.
    ledger_key_file: str | None = None
    ledger_key: bytes | None = Field(default=None, repr=False, exclude=True)
    store_lease_s: float = Field(default=10.0, gt=0)  # a process silent this long is dead
    store_heartbeat_s: float = Field(default=1.0, gt=0)
    providers: tuple[ProviderConfig, ...] = Field(min_length=1)
    budget: BudgetConfig = BudgetConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    tenants: tuple[TenantConfig, ...] = ()
    admin_api_key_sha256: str | None = Field(default=None, pattern=_SHA256)
    server: ServerConfig = ServerConfig()
    telemetry: TelemetryConfig = TelemetryConfig()

    @field_validator("store")
    @classmethod
    def _store(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            return value
        if not value.startswith("sqlite:///") and value != "sqlite://:memory:":
            raise ValueError(
                "expected sqlite:///PATH (e.g. sqlite:///tiergate.db) or "
                "postgresql://user@host/db, got "
                + repr(value.split("://", 1)[0] + "://..." if "://" in value else value)
            )
        return value

    @model_validator(mode="after")
    def _references(self) -> Config:
        problems: list[str] = []
        names = [p.name for p in self.providers]
        for i, name in enumerate(names):
            if name in names[:i]:
                problems.append(
                    f"providers[{i}].name: {name!r} is used twice; names must be unique"
                )
        for i, tenant in enumerate(self.tenants):
            for j, provider in enumerate(tenant.allowed_providers or ()):
                if provider not in names:
                    problems.append(
                        f"tenants[{i}].allowed_providers[{j}]: no provider named {provider!r}; "
                        f"configured providers: {', '.join(names)}"
                    )
            if tenant.name in [t.name for t in self.tenants[:i]]:
                problems.append(f"tenants[{i}].name: {tenant.name!r} is used twice")
            if tenant.api_key_sha256 in [t.api_key_sha256 for t in self.tenants[:i]]:
                problems.append(f"tenants[{i}].api_key_sha256: the same key hash is used twice")
        if problems:
            raise ConfigError(problems)
        return self

    @property
    def store_path(self) -> str:
        return (
            self.store.removeprefix("sqlite:///")
            if self.store != "sqlite://:memory:"
            else ":memory:"
        )

    def provider(self, name: str) -> ProviderConfig:
        for p in self.providers:
            if p.name == name:
                return p
        raise KeyError(name)

    def tenant(self, name: str) -> TenantConfig | None:
        for t in self.tenants:
            if t.name == name:
                return t
        return None


def expand(value: Any, env: Mapping[str, str]) -> Any:
    """Expand ${VAR} and ${VAR:-default} in every string of a parsed YAML tree."""
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            found = env.get(m.group(1))
            if found:
                return found
            return m.group(2) if m.group(2) is not None else ""

        return _VAR.sub(repl, value)
    if isinstance(value, list):
        return [expand(v, env) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, env) for k, v in value.items()}
    return value


def parse_config(
    text: str, *, env: Mapping[str, str] | None = None, source: str = "config"
) -> Config:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            [f"{source}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]
        ) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            [f"{source}: expected a mapping of keys (providers:, budget:, ...) at the top"]
        )
    env = os.environ if env is None else env
    if env.get("TIERGATE_LEDGER_KEY") and "ledger_key" not in raw:
        raw = {**raw, "ledger_key": env["TIERGATE_LEDGER_KEY"]}
    try:
        return Config.model_validate(expand(raw, env))
    except ValidationError as exc:
        raise ConfigError([_describe(err) for err in exc.errors()]) from None


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file ({exc.strerror})"]) from None
    base = Path(path).parent
    return _relative_to(parse_config(text, env=env, source=str(path)), base)


def _relative_to(config: Config, base: Path) -> Config:
    """Resolve a relative store path and ledger_key_file against the config file's directory."""
    update: dict[str, Any] = {}
    if config.store.startswith("sqlite:///") and not Path(config.store_path).is_absolute():
        update["store"] = f"sqlite:///{(base / config.store_path).resolve()}"
    if config.ledger_key is None and config.ledger_key_file:
        key_path = base / config.ledger_key_file
        try:
            key = key_path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(
                [f"ledger_key_file: cannot read {key_path} ({exc.strerror})"]
            ) from None
        if not key:
            raise ConfigError([f"ledger_key_file: {key_path} is empty; put a random secret in it"])
        update["ledger_key"] = key
    return config.model_copy(update=update) if update else config


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {"function-after", "function-before", "literal_error"} or "[" in str(part):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_FIELDS: dict[str, type[BaseModel]] = {
    "": Config,
    "providers": ProviderConfig,
    "budget": BudgetConfig,
    "privacy": PrivacyConfig,
    "tenants": TenantConfig,
    "server": ServerConfig,
    "telemetry": TelemetryConfig,
    "patterns": PatternConfig,
    "prices": Price,
}


def _describe(err: Any) -> str:
    loc = tuple(err["loc"])
    where = _path(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        model = _FIELDS.get(parent)
        allowed = f"; allowed here: {', '.join(model.model_fields)}" if model else ""
        return f"{where}: unknown key{allowed}"
    if kind == "missing":
        return f"{where}: required key is missing"
    if kind == "value_error":
        ctx = err.get("ctx", {})
        cause = ctx.get("error")
        if isinstance(cause, ConfigError):
            return str(cause)
        return f"{where}: {str(cause) if cause else err['msg']}"
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == _SHA256:
        return f"{where}: expected 64 lowercase hex digits, the sha256 of the key (`tiergate keys new` prints one)"
    got = err.get("input")
    secret = any("key" in str(part) for part in loc)
    if secret or isinstance(got, (dict, list)):
        shown = ""
    elif isinstance(got, str) and len(got) > 24:
        # A long string in the wrong place may well be a pasted secret: describe it, don't echo it.
        shown = f" (got a {len(got)}-character string)"
    else:
        shown = f" (got {got!r})"
    return f"{where}: {err['msg']}{shown}"


__all__ = [
    "CLASSIFICATIONS",
    "MODES",
    "BudgetConfig",
    "Config",
    "PatternConfig",
    "Price",
    "PrivacyConfig",
    "ProviderConfig",
    "ServerConfig",
    "TelemetryConfig",
    "TenantConfig",
    "load_config",
    "parse_config",
]
