"""The PostgreSQL store's schema version: migrate once under an advisory lock, or check it reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import StoreUnavailable
from ._postgres_schema import MIGRATIONS
from ._postgres_sql import MIGRATE_LOCK

if TYPE_CHECKING:
    from ._postgres_sql import Conn


async def version(conn: Conn) -> int:
    """The schema version applied (0: no tiergate schema yet)."""
    exists = await conn.fetchval("SELECT to_regclass('tiergate.migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM tiergate.migrations"))


async def migrate(conn: Conn, url: str) -> int:
    """Apply pending migrations in one transaction under an advisory lock: once, however
    many replicas start together. Returns the schema version."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
        found = await version(conn)
        if found > len(MIGRATIONS):
            raise StoreUnavailable(
                f"the store at {url} has schema version {found}, newer than this "
                f"tiergate knows ({len(MIGRATIONS)}): upgrade tiergate"
            )
        for number in range(found, len(MIGRATIONS)):
            await conn.execute(MIGRATIONS[number])
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS tiergate.migrations (version integer "
                "PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            await conn.execute("INSERT INTO tiergate.migrations (version) VALUES ($1)", number + 1)
        return len(MIGRATIONS)


def check_readable(found: int, url: str) -> None:
    """Refuse a schema a read-only store cannot read: newer than this tiergate, or not migrated."""
    if found > len(MIGRATIONS):
        raise StoreUnavailable(
            f"the store at {url} has schema version {found}, newer than this "
            f"tiergate knows ({len(MIGRATIONS)}): upgrade tiergate"
        )
    if 0 < found < len(MIGRATIONS):
        raise StoreUnavailable(
            f"the store at {url} has schema version {found}; this tiergate reads "
            f"{len(MIGRATIONS)}: run `tiergate migrate`"
        )
