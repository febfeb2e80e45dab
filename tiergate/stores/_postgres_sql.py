"""What every part of the PostgreSQL store shares: limits, statements, row values, error kinds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from ..errors import StoreUnavailable
from . import PICO_PER_USD, AttemptRecord
from ._postgres_schema import HASHED_COLUMNS, ROW_ARRAY_COUNT, stamp

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn: TypeAlias = PoolConnectionProxy[asyncpg.Record]

CALL_TIMEOUT_S = 2.0  # every statement (a hung server: ~2x, asyncpg then cancels it); then down
CONNECT_TIMEOUT_S = 2.0
POOL_SIZE = 4
MAX_BATCH = 512
APPEND_TRIES = 4
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 2.0
CLOSE_FLUSH_S = 5.0
UNSURE_S = 60.0
LEASE_LOST = "TGL01"  # SQLSTATE raised by tiergate.reserve for an owner without a lease row
MIGRATE_LOCK = 0x7469_6572_6761_7465  # "tiergate": the advisory lock that serialises migrations

MONTH_SQL = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')"
RESERVE = "SELECT * FROM tiergate.reserve($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
RENEW = (
    "INSERT INTO tiergate.owners (owner, lease_until) "
    "VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT (owner) "
    "DO UPDATE SET lease_until = excluded.lease_until"
)
APPEND = (
    "SELECT * FROM tiergate.append("
    + ", ".join(f"${i}" for i in range(1, 10 + ROW_ARRAY_COUNT))
    + ")"
)
INSERT = (
    f"INSERT INTO tiergate.attempts ({', '.join(HASHED_COLUMNS)}, hash) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(HASHED_COLUMNS) + 2))})"
)


def hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def options(url: str) -> tuple[str, int]:
    """The DSN for asyncpg and tiergate's own URL options: `budget_slice_usd` (0: off)."""
    parts = urlsplit("postgresql://" + url.split("://", 1)[1])
    query = parse_qsl(parts.query, keep_blank_values=True)
    slice_pico = 0
    for name, value in query:
        if name == "budget_slice_usd":
            try:
                slice_pico = int(Decimal(value) * PICO_PER_USD)
            except InvalidOperation:
                raise StoreUnavailable(
                    f"budget_slice_usd in the store URL must be a number of USD, got {value!r}"
                ) from None
    rest = [(n, v) for n, v in query if n != "budget_slice_usd"]
    return urlunsplit(parts._replace(query=urlencode(rest))), max(0, slice_pico)


def lost_row(r: asyncpg.Record) -> AttemptRecord:
    """The row of a reservation whose owner died: charged in full, its usage unknown."""
    pico = int(r["pico"])
    return AttemptRecord(
        request_id=r["request_id"], attempt=int(r["attempt"]), tenant=r["tenant"],
        provider=r["provider"], model="", tier=0, rule="reconcile", classification="unknown",
        classification_source="unknown", egress=True, prompt_tokens=0, completion_tokens=0,
        cost_pico=pico, reserved_pico=pico, latency_ms=0.0, outcome="lost", usage_missing=True,
        endpoint="unknown",
    )  # fmt: skip


def _text(value: str | None) -> str | None:
    # PostgreSQL's text cannot hold NUL; a row must never be refused for one.
    return None if value is None else value.replace("\x00", "\ufffd")


def row_values(
    chain: str, seq: int, ts: datetime, month: str, record: AttemptRecord,
    reservation_id: int | None,
) -> tuple[Any, ...]:  # fmt: skip
    """A row's hashed values in HASHED_COLUMNS order, as they read back from the database."""
    return (
        chain, seq, stamp(ts), month, _text(record.request_id), int(record.attempt),
        _text(record.tenant), _text(record.provider), _text(record.model), int(record.tier),
        _text(record.rule), _text(record.classification), _text(record.classification_source),
        bool(record.egress), int(record.prompt_tokens), int(record.completion_tokens),
        int(record.cost_pico), int(record.reserved_pico), float(round(record.latency_ms, 3)),
        _text(record.outcome), bool(record.usage_missing), _text(record.cache),
        None if record.status is None else int(record.status), _text(record.endpoint),
        None if record.ttft_ms is None else float(round(record.ttft_ms, 3)),
        None if reservation_id is None else int(reservation_id),
    )  # fmt: skip


# The database is up but refused what was sent (RowsRefused): retrying cannot help.
REFUSED = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,
    asyncpg.exceptions.ProgramLimitExceededError,
    asyncpg.exceptions._base.DataError,
)
UNUSABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
TRANSIENT = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
