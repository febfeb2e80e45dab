"""Scanner: runs the detector over what a request would send, inline when it is small and in a
worker process when it is large.

Python's `re` holds the GIL while it matches, so a thread would not keep the event loop
answering while a multi-megabyte body is scanned: a large body goes to one worker process
(started on first use) as the exact bytes each provider would receive. If that worker cannot
answer, the request is treated as confidential: a scan that did not finish proves nothing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import orjson

from .config import PrivacyConfig
from .detect import Detector, ExtraPattern, Finding
from .outbound import Outbound, Request, scan_texts

# Above this many bytes of encoded requests the scan leaves the event loop (~6 ms of scanning).
INLINE_BYTES = 64 * 1024
FAILED = Finding("confidential", ("scan_failed",))


def _detector(patterns: Sequence[tuple[str, str, str]], allow: Sequence[str]) -> Detector:
    return Detector(extra_patterns=[ExtraPattern(*p) for p in patterns], allow=allow)


class Scanner:
    """One gateway's detector, and the worker process it uses for large bodies."""

    def __init__(self, privacy: PrivacyConfig, *, inline_bytes: int = INLINE_BYTES) -> None:
        self._patterns = tuple((p.name, p.regex, p.classification) for p in privacy.patterns)
        self._allow = tuple(privacy.allow)
        self.detector = _detector(self._patterns, self._allow)
        self.inline_bytes = inline_bytes
        self._pool: ProcessPoolExecutor | None = None

    async def scan(self, outbound: Mapping[str, Outbound], request: Request) -> Finding:
        sent = [o for o in outbound.values() if o.body is not None]
        if sum(len(o.payload) for o in sent) <= self.inline_bytes:
            return self.detector.scan(scan_texts([o.body for o in sent if o.body], request))
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._worker(),
                _scan_payloads,
                [o.payload for o in sent],
                orjson.dumps(request.body),
                request.endpoint,
            )
        except (BrokenProcessPool, OSError, RuntimeError):
            self._pool = None  # a new worker next time
            return FAILED

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._patterns, self._allow),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


_WORKER_DETECTOR: Detector | None = None


def _start_worker(patterns: Sequence[tuple[str, str, str]], allow: Sequence[str]) -> None:
    global _WORKER_DETECTOR
    from .workers import unpin_scan_worker

    unpin_scan_worker()  # a pinned gateway's core is its event loop's, not this process's
    _WORKER_DETECTOR = _detector(patterns, allow)


def _scan_payloads(payloads: list[bytes], body: bytes, endpoint: str) -> Finding:
    """In the worker: the same texts scan_texts builds, from the bytes each provider would get."""
    assert _WORKER_DETECTOR is not None
    request = Request(
        endpoint=endpoint, body=orjson.loads(body), task="chat", stream=False, max_tokens=None
    )
    return _WORKER_DETECTOR.scan(scan_texts([orjson.loads(p) for p in payloads], request))
