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
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .types import CLASSIFICATIONS, MODES, TASKS

Classification = Literal["public", "internal", "confidential", "pii", "hipaa", "legal"]
Mode = Literal["local_only", "local_ollama", "multi_cloud"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_SHA256 = r"^[0-9a-f]{64}$"
_VAR = re.compile(
    r"\$\{(?:file:(?P<file>[^}]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?)\}"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Price(_Model):
    """USD per million tokens."""

    input_per_mtok: Decimal = Field(ge=0)
    output_per_mtok: Decimal = Field(default=Decimal(0), ge=0)
    # Through the provider's Batch API (`tiergate batch run`); unset: half the normal price
    # for the openai protocol, else the normal price.
    batch_input_per_mtok: Decimal | None = Field(default=None, ge=0)
    batch_output_per_mtok: Decimal | None = Field(default=None, ge=0)


class ProviderConfig(_Model):
    name: str = Field(pattern=_NAME)
    protocol: Literal["ollama", "openai", "anthropic", "azure"]
    base_url: str
    api_key: str | None = None
    api_key_file: str | None = None  # read at start and on every reload; relative to the config
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
    # `tiergate batch run`: lines routed here go through its Files and Batches API (openai only).
    batch_api: bool = False
    # POST /v1/responses goes to this provider's own POST /responses as the caller's Responses
    # body, not translated to chat (openai only).
    responses_api: bool = False
    # Concurrent embedding requests for one model are coalesced into one upstream call within
    # this window (on-premises providers only; 0: off).
    embed_batch_window_ms: float = Field(default=0.0, ge=0, le=1000)

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

    @model_validator(mode="after")
    def _batch_keys(self) -> ProviderConfig:
        if self.batch_api and self.protocol != "openai":
            raise ValueError("batch_api: true needs protocol: openai (its Files and Batches API)")
        if self.responses_api and self.protocol != "openai":
            raise ValueError(
                "responses_api: true needs protocol: openai (its POST /responses); other "
                "protocols serve /v1/responses through chat: remove the key"
            )
        if self.embed_batch_window_ms and not self.on_premises:
            raise ValueError(
                "embed_batch_window_ms: coalescing embeddings is for on-premises providers only"
            )
        return self

    @model_validator(mode="after")
    def _cloud_models_are_not_local(self) -> ProviderConfig:
        # An Ollama daemon forwards these names to Ollama's cloud: the data would leave.
        if self.on_premises:
            for task, model in self.models.items():
                if model.endswith(("-cloud", ":cloud")):
                    raise ValueError(
                        f"models.{task}: {model!r} runs in Ollama's cloud (the daemon forwards "
                        "'-cloud' and ':cloud' models), so this provider is not on premises for it; "
                        "use a local model, or move it to a provider with on_premises: false"
                    )
        return self

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
    # Keys still accepted while the tenant's clients move to api_key_sha256 (rotation by SIGHUP).
    previous_api_key_sha256: tuple[Annotated[str, Field(pattern=_SHA256)], ...] = ()
    mode: Mode = "multi_cloud"
    allowed_providers: tuple[str, ...] | None = None
    # Without an explicit public or internal label, a request stays on premises.
    require_label: bool = False
    classification_floor: Classification | None = None
    monthly_budget_usd: Decimal | None = Field(default=None, ge=0)

    @property
    def key_hashes(self) -> tuple[str, ...]:
        """Every key hash this tenant is known by: the current one first."""
        return (self.api_key_sha256, *self.previous_api_key_sha256)


class ServerConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8088, ge=0, le=65535)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # On SIGTERM, requests in flight get this long to finish; then they are answered (503, or
    # a stream's stream_interrupted event) and the process exits.
    shutdown_grace_s: float = Field(default=10.0, ge=0)


class TelemetryConfig(_Model):
    """OpenTelemetry traces (the `otel` extra); off while otlp_endpoint is unset."""

    otlp_endpoint: str | None = None  # OTLP/HTTP, e.g. http://127.0.0.1:4318
    service_name: str = "tiergate"
    headers: dict[str, str] = Field(default_factory=dict)  # e.g. an authorization header
    timeout_s: float = Field(default=10.0, gt=0)
    # The share of requests traced when the caller sends no traceparent (README says why 0.1).
    sample_ratio: float = Field(default=0.1, ge=0, le=1)


class CacheConfig(_Model):
    """The response cache (off unless ttl_s > 0)."""

    ttl_s: float = Field(default=0.0, ge=0)  # 0: no cache
    store: str | None = None  # None: the ledger's store; or redis://host:port/db
    # A cache off the premises never receives an entry from a sensitive request.
    on_premises: bool | None = None  # None: true for the ledger's store, false for redis
    max_entries: int = Field(default=10_000, ge=1)
    max_entry_bytes: int = Field(default=1_048_576, ge=1)
    # Sampled answers (temperature > 0, or absent, which means the provider's default; n > 1)
    # differ run to run: not cached unless this says so.
    sampled: bool = False
    serve_stale_on_failure: bool = False
    stale_s: float = Field(default=86_400.0, ge=0)  # how long past ttl_s an entry may serve stale
    timeout_s: float = Field(default=0.05, gt=0)  # per cache call; slower counts as a miss

    @field_validator("store")
    @classmethod
    def _cache_store(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://")):
            raise ValueError(f"expected redis://HOST:PORT/DB, or leave it out, got {value!r}")
        return value


class RoutingConfig(_Model):
    # Data that may leave goes up the tiers when everything allowed at or below its tier is
    # down (rule "escalated"); never sensitive data, always within budgets.
    escalate_when_down: bool = False


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
    cache: CacheConfig = CacheConfig()
    routing: RoutingConfig = RoutingConfig()

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
            for j, digest in enumerate(tenant.previous_api_key_sha256):
                others = [h for t in self.tenants if t is not tenant for h in t.key_hashes]
                if digest in others or digest == tenant.api_key_sha256:
                    problems.append(
                        f"tenants[{i}].previous_api_key_sha256[{j}]: the same key hash is used twice"
                    )
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


class _Expansion:
    """One pass over a parsed YAML tree: ${VAR}, ${VAR:-default}, ${file:PATH} and api_key_file.

    What a variable or a file brings in is never expanded again, so it cannot inject a
    reference (or YAML structure). A file's trailing newline is dropped. The keys whose
    value came from a file are remembered, so that no error message ever echoes it.
    """

    def __init__(self, env: Mapping[str, str], base: Path | None) -> None:
        self.env = env
        self.base = base
        self.problems: list[str] = []
        self.secret: set[tuple[int | str, ...]] = set()

    def tree(self, value: Any, where: tuple[int | str, ...] = ()) -> Any:
        if isinstance(value, str):
            return self.text(value, where)
        if isinstance(value, list):
            return [self.tree(v, (*where, i)) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = {k: self.tree(v, (*where, k)) for k, v in value.items()}
            if len(where) == 2 and where[0] == "providers" and out.get("api_key_file"):
                self.key_file(out, where)
            return out
        return value

    def text(self, value: str, where: tuple[int | str, ...]) -> str:
        def repl(m: re.Match[str]) -> str:
            if m.group("file") is not None:
                self.secret.add(where)
                return self.read(m.group("file").strip(), where)
            found = self.env.get(m.group("name"))
            if found:
                return found
            return m.group("default") if m.group("default") is not None else ""

        return _VAR.sub(repl, value)

    def key_file(self, provider: dict[str, Any], where: tuple[int | str, ...]) -> None:
        key_where = (*where, "api_key_file")
        if provider.get("api_key"):
            self.problems.append(f"{_path(key_where)}: set api_key or api_key_file, not both")
            return
        path = provider["api_key_file"]
        if not isinstance(path, str):
            return  # the model reports the wrong type
        provider["api_key"] = self.read(path, key_where)
        self.secret.add((*where, "api_key"))

    def read(self, path: str, where: tuple[int | str, ...]) -> str:
        file = Path(path).expanduser()
        if self.base is not None and not file.is_absolute():
            file = self.base / file
        try:
            return file.read_text(encoding="utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            reason = "it is not UTF-8 text"
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
        self.problems.append(f"{_path(where)}: cannot read the secret file {file} ({reason})")
        return ""


def expand(value: Any, env: Mapping[str, str], *, base: Path | None = None) -> Any:
    """Expand ${VAR}, ${VAR:-default} and ${file:PATH} in every string of a parsed YAML tree."""
    expansion = _Expansion(env, base)
    out = expansion.tree(value)
    if expansion.problems:
        raise ConfigError(expansion.problems)
    return out


def parse_config(
    text: str,
    *,
    env: Mapping[str, str] | None = None,
    source: str = "config",
    base: Path | None = None,
) -> Config:
    """`base`: the directory that relative secret-file paths start from (the config file's)."""
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
    expansion = _Expansion(env, base)
    expanded = expansion.tree(raw)
    problems = expansion.problems  # an unreadable file is one problem among all the others
    try:
        config = Config.model_validate(expanded)
    except ValidationError as exc:
        problems += [_describe(err, expansion.secret) for err in exc.errors()]
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems) from None
    return config


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file ({exc.strerror})"]) from None
    base = Path(path).parent
    return _relative_to(parse_config(text, env=env, source=str(path), base=base), base)


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


def _describe(err: Any, from_files: set[tuple[int | str, ...]] | None = None) -> str:
    loc = tuple(err["loc"])
    where = _path(loc)
    kind = err["type"]
    if any(loc[: len(s)] == s for s in from_files or ()):
        # The value came from a secret file: say what is wrong, never what it is.
        return f"{where}: the value read from a secret file is not valid here ({err['msg']})"
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
