"""Reloading the config on SIGHUP: keys, prices, caps and tenants change without a restart.

Everything a request reads from the config sits in one immutable Generation that
is swapped whole, on the event loop, between two requests' steps; a request keeps
the provider settings (and keys) its decision was made with, so a reload never
breaks a call in flight and never drops a connection. The new file must pass
what `tiergate check` checks (it is parsed and priced off the loop); if it does
not, it is refused, the problems are logged and the old generation stays.
What cannot change in a running process (the store, the listening address) keeps
its old value, with a warning that a restart applies it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from .config import Config, TenantConfig, load_config
from .errors import ConfigError
from .pricing import PriceBook, build

if TYPE_CHECKING:
    from .gateway import Gateway

log = logging.getLogger("tiergate.reload")


@dataclass(frozen=True, slots=True)
class Generation:
    """One config and everything derived from it, immutable."""

    config: Config
    prices: PriceBook
    pins: Mapping[str, str]  # model name -> the provider it pins
    down: frozenset[str]  # providers with no usable api_key
    tenant_hashes: tuple[tuple[bytes, TenantConfig], ...]
    admin_hash: bytes | None

    @classmethod
    def build(cls, config: Config, prices: PriceBook) -> Generation:
        pins: dict[str, str] = {}
        for provider in config.providers:
            for model in provider.served_models:
                pins.setdefault(model, provider.name)
        admin = config.admin_api_key_sha256
        return cls(
            config=config,
            prices=prices,
            pins=pins,
            down=frozenset(p.name for p in config.providers if not p.has_key),
            tenant_hashes=tuple(
                (bytes.fromhex(digest), t) for t in config.tenants for digest in t.key_hashes
            ),
            admin_hash=bytes.fromhex(admin) if admin else None,
        )


# Made once at start (the store and its key, the listening socket, the server's shutdown timeout,
# the detector and its worker process, the tracer, the cache): these keep their running values.
_AT_START = ("store", "ledger_key", "ledger_key_file", "store_lease_s", "store_heartbeat_s",
             "telemetry", "cache")  # fmt: skip
_AT_START_IN = {
    "server": ("host", "port", "shutdown_grace_s"),
    "privacy": ("patterns", "allow"),
}


def _checked(path: str, running: Config) -> tuple[Config, PriceBook, list[str]]:
    """Parse and price the file as `check` does; keep what a running process cannot change."""
    config = load_config(path)
    prices = build(config)
    kept = [k for k in _AT_START if getattr(config, k, None) != getattr(running, k, None)]
    update: dict[str, Any] = {k: getattr(running, k) for k in _AT_START if hasattr(running, k)}
    for section, keys in _AT_START_IN.items():
        old, new = getattr(running, section), getattr(config, section)
        kept += [f"{section}.{k}" for k in keys if getattr(old, k) != getattr(new, k)]
        update[section] = new.model_copy(update={k: getattr(old, k) for k in keys})
    return config.model_copy(update=update), prices, kept


class _EarlySighup:
    """A SIGHUP that arrives before the gateway is up is remembered, then served.

    Left to its default action, it would kill the process while it starts (a worker
    just forked, a server still opening its store)."""

    def __init__(self) -> None:
        self.pending = False

    def hold(self) -> None:
        """Call before starting the server (in the process that will serve)."""
        self.pending = False
        signal.signal(signal.SIGHUP, self._remember)

    def _remember(self, sig: int, frame: FrameType | None) -> None:
        self.pending = True


early_sighup = _EarlySighup()


class Reloader:
    """Reloads one gateway's config from its file when SIGHUP arrives (or reload() is called)."""

    def __init__(self, gateway: Gateway, path: str) -> None:
        self.gateway = gateway
        self.path = path
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[bool]] = set()
        self._installed = False

    def install(self) -> None:
        """Reload on SIGHUP (only the main thread's loop can take signals)."""
        if threading.current_thread() is not threading.main_thread():
            return
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._signalled)
        self._installed = True
        if early_sighup.pending:  # it came while we started: the file may be newer than ours
            early_sighup.pending = False
            self._signalled()

    def uninstall(self) -> None:
        if self._installed:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._installed = False

    def _signalled(self) -> None:
        task = asyncio.get_running_loop().create_task(self.reload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> bool:
        """Re-read the file and swap the generation; False (and the old one kept) if it fails check."""
        async with self._lock:  # two quick SIGHUPs: the second reads the file after the first
            running = self.gateway.config
            try:
                config, prices, kept = await asyncio.to_thread(_checked, self.path, running)
            except ConfigError as exc:
                log.error(
                    "config reload refused; the running config stays",
                    extra={"event": "config.reload_refused", "config": self.path,
                           "problems": exc.problems},
                )  # fmt: skip
                return False
            self.gateway.apply(Generation.build(config, prices))
            if kept:
                log.warning(
                    "config reload: these keys need a restart and keep their running values",
                    extra={"event": "config.restart_needed", "keys": kept},
                )
            log.info(
                "config reloaded",
                extra={"event": "config.reloaded", "config": self.path,
                       "providers": len(config.providers), "tenants": len(config.tenants)},
            )  # fmt: skip
            return True
