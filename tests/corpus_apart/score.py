"""Run the detector over the corpus and count: recall per kind, false positives per source."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tests.corpus_apart.generate import Sample
from tiergate.detect import Detector
from tiergate.outbound import Request, scan_texts

ORDER = ("public", "internal", "confidential", "legal", "pii", "hipaa")


def meets(got: str | None, need: str) -> bool:
    """True if `got` is at least as restrictive as `need`."""
    return got is not None and ORDER.index(got) >= ORDER.index(need)


@dataclass(frozen=True)
class Outcome:
    sample: Sample
    classification: str | None
    kinds: tuple[str, ...]
    error: str | None = None  # scan() raised: what the gateway would have done is unknown

    @property
    def hit(self) -> bool:
        """A positive got at least its class; a negative got no class at all; an error is neither."""
        if self.error:
            return False
        if self.sample.need is None:
            return self.classification is None
        return meets(self.classification, self.sample.need)


def run(
    detector: Detector, samples: Sequence[Sample], *, keep_going: bool = False
) -> tuple[list[Outcome], float]:
    """Scan every sample; returns the outcomes and the seconds the scans took.

    With keep_going, a scan that raises is recorded as an Outcome with `error` (the benchmark
    reports it); without, it propagates (a test fails on it).
    """
    out = []
    started = time.perf_counter()
    for sample in samples:
        try:
            finding = detector.scan(as_gateway_reads(sample.texts))
        except Exception as exc:
            if not keep_going:
                raise
            out.append(Outcome(sample, None, (), f"{type(exc).__name__}: {exc}"))
            continue
        out.append(Outcome(sample, finding.classification, tuple(finding.kinds)))
    return out, time.perf_counter() - started


def as_gateway_reads(texts: Sequence[str]) -> list[str]:
    """What the gateway's detector reads for a chat request with one user message per text:
    every string of the encoded body, and the message texts joined end to end."""
    body = {"messages": [{"role": "user", "content": text} for text in texts]}
    return scan_texts([body], Request("chat", body, "chat", False, None))


@dataclass
class Tally:
    hits: int = 0
    total: int = 0
    flagged: int = 0  # got some classification, even a too-weak one

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 0.0


def tally(outcomes: Iterable[Outcome], key: Callable[[Outcome], str | None]) -> dict[str, Tally]:
    """Tallies grouped by key (outcomes whose key is None are skipped)."""
    out: dict[str, Tally] = defaultdict(Tally)
    for o in outcomes:
        k = key(o)
        if k is None:
            continue
        t = out[k]
        t.total += 1
        t.hits += o.hit
        t.flagged += o.classification is not None
    return dict(sorted(out.items()))


def positives(outcomes: Iterable[Outcome], family: str) -> list[Outcome]:
    return [o for o in outcomes if o.sample.family == family]


def negatives(outcomes: Iterable[Outcome], source: str) -> list[Outcome]:
    return [o for o in outcomes if o.sample.family == "negative" and o.sample.source == source]


def recall_per_kind(outcomes: Sequence[Outcome]) -> dict[str, Tally]:
    """Plain values per kind, plus `split` (values cut across two texts)."""
    chosen = [o for o in outcomes if o.sample.family in ("plain", "split")]
    return tally(chosen, lambda o: o.sample.kind)


def fp_rate(outcomes: Sequence[Outcome], source: str) -> tuple[int, int]:
    """(false positives, negatives scanned) for one negative source."""
    chosen = negatives(outcomes, source)
    return sum(o.classification is not None for o in chosen), len(chosen)
