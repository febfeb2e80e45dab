"""Leased budget slices (`?budget_slice_usd=` in the store URL): reserve without a shared row lock.

A process takes a slice of every cap an attempt counts under (`tiergate.grant_slice()`,
which holds the slice's whole amount in the running totals) and then reserves inside it
with a row that needs no lock on those totals. What a slice holds beyond its charges and
open reservations goes back when the process stops using it: when it runs short, at a
new month, at close, or (if the process dies) when its lease is reaped. A return that
fails is set aside and tried again by the next heartbeat; meanwhile its money stays held,
which is the safe side.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from ..errors import StoreUnavailable
from . import Hold, Reservation
from ._postgres_sql import LEASE_LOST, RENEW, UNSURE_S

if TYPE_CHECKING:
    from ._postgres_sql import Conn
    from .postgres import PostgresStore


@dataclass(slots=True, eq=False)
class Slice:
    """A leased budget slice, as this process (its only user) counts it."""

    id: int
    month: str
    scopes: tuple[str, ...]
    granted: int
    charged: int = 0  # settled inside it (moved from held to spent in the totals)
    held: int = 0  # open reservations inside it
    returned: bool = False  # given back: what its open reservations do not spend goes back too

    @property
    def left(self) -> int:
        return self.granted - self.charged - self.held


class Slices:
    """This process's open slices, one per set of scopes, and the reservations inside them."""

    def __init__(self, store: PostgresStore, *, pico: int) -> None:
        self._store = store
        self.pico = pico  # the size of a slice; 0: off, every reservation is exact
        self._open: dict[tuple[str, ...], Slice] = {}  # by scopes
        self._of: dict[int, Slice] = {}  # reservation id -> the slice it is inside
        self._granting: dict[tuple[str, ...], asyncio.Lock] = {}
        self._to_return: list[Slice] = []  # set aside; their return has not gone through

    async def reserve(
        self, hold: Hold, scopes: tuple[str, ...], cap_scopes: list[str], caps: list[int]
    ) -> Reservation | None:
        """A reservation inside this process's slice for `scopes` (taking a new slice when the
        current one cannot cover it); None when no slice can: then reserve() goes exact."""
        store = self._store
        current = self._open.get(scopes)
        if current is None or current.left < hold.pico:
            async with self._granting.setdefault(scopes, asyncio.Lock()):
                current = self._open.get(scopes)
                if current is None or current.left < hold.pico:
                    if current is not None:
                        del self._open[scopes]
                        await self.give_back(current)
                    current = await self._grant(scopes, cap_scopes, caps, hold.pico)
                    if current is None:
                        return None
                    self._open[scopes] = current
        if current.left < hold.pico:
            return None
        current.held += hold.pico  # no await between the check and this
        token = str(next(store._tokens))
        args = (current.id, store.owner, hold.request_id, hold.attempt, hold.provider,
                hold.tenant, hold.pico, token)  # fmt: skip

        async def call(conn: Conn) -> object:
            return await conn.fetchval(
                "SELECT tiergate.reserve_in_slice($1, $2, $3, $4, $5, $6, $7, $8)", *args
            )

        try:
            found = await asyncio.shield(store._call("reserve", call))
        except StoreUnavailable:
            current.held -= hold.pico
            store._unsure_tokens[token] = time.monotonic() + UNSURE_S
            raise
        if found is None:  # the slice was reaped, or its month is over: stop using it
            current.held -= hold.pico
            if self._open.get(scopes) is current:
                del self._open[scopes]
            await self.give_back(current)
            return None
        rid = int(str(found))
        self._of[rid] = current
        return Reservation(
            id=rid, request_id=hold.request_id, attempt=hold.attempt, provider=hold.provider,
            tenant=hold.tenant, pico=hold.pico, month=current.month,
        )  # fmt: skip

    async def _grant(
        self, scopes: tuple[str, ...], cap_scopes: list[str], caps: list[int], need: int
    ) -> Slice | None:
        store = self._store
        args = (store.owner, list(scopes), cap_scopes, caps, max(self.pico, need), need)

        async def call(conn: Conn) -> asyncpg.Record | None:
            query = "SELECT * FROM tiergate.grant_slice($1, $2, $3, $4, $5, $6)"
            try:
                return await conn.fetchrow(query, *args)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate != LEASE_LOST:
                    raise
            await conn.execute(RENEW, store.owner, store.lease_s)
            return await conn.fetchrow(query, *args)

        row = await asyncio.shield(store._call("take a budget slice", call))
        if row is None or not row["slice_id"]:
            return None
        granted, month = int(row["granted"]), str(row["month"])
        store._add_used(month, scopes, granted)
        return Slice(int(row["slice_id"]), month, scopes, granted)

    async def give_back(self, current: Slice) -> None:
        """Return a slice this process stops using; if the store cannot take it now, the
        heartbeat tries again (the slice's money stays held meanwhile: the safe side)."""
        try:
            await self._return(current)
        except StoreUnavailable:
            self._to_return.append(current)

    async def _return(self, current: Slice) -> None:
        """Give back what `current` holds beyond its charges and open reservations."""

        async def call(conn: Conn) -> object:
            return await conn.fetchval("SELECT tiergate.return_slice($1)", current.id)

        store = self._store
        rest = int(str(await asyncio.shield(store._call("return a budget slice", call))))
        current.granted -= rest
        current.returned = True
        store._add_used(current.month, current.scopes, -rest)

    def released(self, reservation: Reservation, *, released: bool) -> bool:
        """Book a release; True when its money went back into a slice still in use (the
        running totals never moved)."""
        inside = self._of.pop(reservation.id, None)
        if inside is not None and released:
            inside.held -= reservation.pico
        return inside is not None and not inside.returned

    def settled(self, reservation: Reservation, *, cost: int, closed: bool) -> bool:
        """Book a committed settle (`closed`: the reservation was closed already, nothing was
        charged); True when it was inside a slice still in use (spent + held did not move)."""
        inside = self._of.pop(reservation.id, None)
        if inside is None:
            return False
        inside.held -= reservation.pico
        if not closed:
            inside.charged += cost
        return not inside.returned

    async def heartbeat(self, month: str) -> None:
        """At a new month last month's slices go back; returns that failed are tried again."""
        for scopes, old in list(self._open.items()):
            if old.month != month:
                del self._open[scopes]
                self._to_return.append(old)
        waiting, self._to_return = self._to_return, []
        for old in waiting:
            await self.give_back(old)

    async def close(self) -> None:
        """Give every slice back; one that cannot go now is reaped when the lease ends."""
        for current in [*self._open.values(), *self._to_return]:
            with contextlib.suppress(StoreUnavailable):
                await self._return(current)
        self._open.clear()
        self._to_return.clear()
