"""Months, days and timestamps as every Store writes them (UTC), and the scopes money counts under."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is UTC:  # utcnow()'s: the usual case, and astimezone() is not free
        return at
    # A naive datetime from an injected clock is taken to be UTC already.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# Months already written out, by year * 100 + month: month_of runs several times per request
# (the routing snapshot, each ledger row), and formatting costs more than the lookup.
_MONTHS: dict[int, str] = {}


# f-strings, not strftime: these run several times per request and strftime is ~5x slower.
def month_of(at: datetime) -> str:
    at = _utc(at)
    key = at.year * 100 + at.month
    month = _MONTHS.get(key)
    if month is None:
        month = _MONTHS[key] = f"{at.year:04d}-{at.month:02d}"
    return month


def day_of(at: datetime) -> str:
    at = _utc(at)
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d}"


def stamp(at: datetime) -> str:
    """2026-01-02T03:04:05.000006Z: always microseconds, always Z (isoformat is C, and fast)."""
    return _utc(at).isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" -> "Z"


def next_month_start(month: str) -> datetime:
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    return (start + timedelta(days=32)).replace(day=1)


def scopes_of(provider: str, tenant: str | None) -> tuple[str, ...]:
    """Every scope an attempt's money counts under (capped or not)."""
    if tenant is None:
        return (f"provider:{provider}", "total")
    return (f"provider:{provider}", f"tenant:{tenant}", "total")


__all__ = ["day_of", "month_of", "next_month_start", "scopes_of", "stamp", "utcnow"]
