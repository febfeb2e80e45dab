"""In-process Prometheus metrics: counters, gauges and histograms in the text exposition format.

Numbers print exactly: counts as integers, money from integer pico-dollars as a
decimal, seconds with the shortest repr that reads back to the same float (never
`{:g}`, which turns 1234567 into 1.23457e+06). Label values are bounded: a
tenant is its configured name, "other" for a name not configured (after a
reload, say) and "none" for no tenant, so a caller cannot grow the series.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

# 0.6 and 1.0 s: the strategy paper's p95 lines, so the Grafana panel reads them exactly.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.8, 1.0, 1.5, 2.5, 5.0,
                   10.0, 30.0, 60.0)  # fmt: skip
PICO_PER_USD = 10**12
_MAX_LABEL_SETS = 4096

Labels = tuple[tuple[str, str], ...]


def number(value: int | float | Decimal) -> str:
    """A sample value in the exposition format, exactly: 1234567 -> 1234567, 0.1 -> 0.1."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):  # money: every digit, never an exponent
        return format(value.normalize(), "f") if value else "0"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def dollars(pico: int) -> str:
    """Integer pico-dollars as an exact decimal USD string: 1234567 -> 0.000001234567."""
    if not pico:
        return "0"
    return format(Decimal(pico).scaleb(-12).normalize(), "f")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class Counter:
    """An integer counter; with `pico=True` it counts pico-dollars and prints USD."""

    def __init__(self, name: str, help_text: str, *, pico: bool = False) -> None:
        self.name = name
        self.help = help_text
        self.pico = pico
        self.values: dict[Labels, int] = {}

    def inc(self, labels: Labels, amount: int = 1) -> None:
        self.values[labels] = self.values.get(labels, 0) + amount

    def total(self, **match: str) -> int:
        return sum(v for k, v in self.values.items() if all((n, m) in k for n, m in match.items()))

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        show = dollars if self.pico else str
        if not self.values:  # exported (and queryable) before the first event
            yield f"{self.name} 0"
        for labels, value in self.values.items():
            yield f"{self.name}{_labels(labels)} {show(value)}"


class Histogram:
    def __init__(
        self, name: str, help_text: str, buckets: tuple[float, ...] = LATENCY_BUCKETS
    ) -> None:
        self.name = name
        self.help = help_text
        self.buckets = buckets
        self.counts: dict[Labels, list[int]] = {}  # per bucket, then +Inf
        self.sums: dict[Labels, float] = {}

    def observe(self, labels: Labels, value: float) -> None:
        row = self.counts.get(labels)
        if row is None:
            row = self.counts[labels] = [0] * (len(self.buckets) + 1)
            self.sums[labels] = 0.0
        row[bisect_left(self.buckets, value)] += 1
        self.sums[labels] += value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, row in self.counts.items():
            cumulative = 0
            for bound, count in zip(self.buckets, row, strict=False):
                cumulative += count
                le = f'le="{number(bound)}"'
                yield f"{self.name}_bucket{_labels(labels, le)} {cumulative}"
            cumulative += row[-1]
            inf = 'le="+Inf"'
            yield f"{self.name}_bucket{_labels(labels, inf)} {cumulative}"
            yield f"{self.name}_sum{_labels(labels)} {number(self.sums[labels])}"
            yield f"{self.name}_count{_labels(labels)} {cumulative}"


class Gauge:
    """A value read when scraped."""

    def __init__(
        self, name: str, help_text: str, read: Callable[[], Mapping[Labels, float | int | Decimal]]
    ) -> None:
        self.name = name
        self.help = help_text
        self.read = read

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} gauge"
        for labels, value in self.read().items():
            yield f"{self.name}{_labels(labels)} {number(value)}"


class Metrics:
    """The gateway's metrics; one instance per app. `tenants`: the configured names (label values)."""

    def __init__(self, *, tenants: Iterable[str] = ()) -> None:
        # An event's label tuples, by the values that make them: built once, not per request.
        # Bounded as the label values are; emptied when the tenants change (a reload).
        self._labels: dict[tuple[object, ...], tuple[Labels, ...]] = {}
        self.tenants = frozenset(tenants)
        self.requests = Counter(
            "tiergate_requests_total",
            "Routed requests, by provider, tier, rule, outcome (ok, cut, client_closed or the "
            "error code) and tenant.",
        )
        self.responses = Counter(
            "tiergate_responses_total",
            "Every HTTP response, by endpoint, status and code (ok or the error code).",
        )
        self.latency = Histogram(
            "tiergate_request_duration_seconds",
            "Request latency as the gateway saw it (streams: until the last byte), in seconds.",
        )
        self.ttft = Histogram(
            "tiergate_time_to_first_token_seconds",
            "Streams: seconds from the request's arrival to its first chunk, by provider.",
        )
        self.attempts = Counter(
            "tiergate_attempts_total", "Upstream attempts, by provider and outcome."
        )
        self.fallbacks = Counter(
            "tiergate_fallbacks_total",
            "Times a request moved on from a provider to the next, by provider and reason "
            "(circuit_open: skipped while its breaker is open).",
        )
        self.fell_back = Counter(
            "tiergate_fallback_requests_total",
            "Requests that moved past their first candidate (served or not), by tenant.",
        )
        self.cost = Counter(
            "tiergate_cost_usd_total",
            "USD charged for upstream attempts, by provider, model and tenant.",
            pico=True,
        )
        self.tokens = Counter(
            "tiergate_tokens_total",
            "Tokens the providers reported, by provider, model, tenant and kind (input, output).",
        )
        self.cache_hits = Counter(
            "tiergate_cache_hits_total", "Answers served from the cache, by provider and tenant."
        )
        self.cache_savings = Counter(
            "tiergate_cache_savings_usd_total",
            "USD the cache saved (what the cached answer cost when it was made), by provider "
            "and tenant.",
            pico=True,
        )
        self.gauges: list[Gauge] = []
        self.started = time.time()

    @property
    def tenants(self) -> frozenset[str]:
        return self._tenants

    @tenants.setter
    def tenants(self, names: frozenset[str]) -> None:
        self._tenants = names
        self._labels.clear()

    def _remember(self, key: tuple[object, ...], labels: tuple[Labels, ...]) -> tuple[Labels, ...]:
        if len(self._labels) >= _MAX_LABEL_SETS:
            self._labels.clear()
        self._labels[key] = labels
        return labels

    def tenant(self, name: str | None) -> str:
        """The bounded label value for a tenant."""
        if name is None:
            return "none"
        return name if name in self.tenants else "other"

    # -- events ------------------------------------------------------------------------------

    def request(
        self,
        *,
        provider: str,
        tier: int | str,
        rule: str,
        outcome: str,
        seconds: float,
        tenant: str | None = None,
        ttft_seconds: float | None = None,
        fell_back: bool = False,
    ) -> None:
        """A routed request finished (answered, failed or cut). outcome: ok, cut, client_closed
        or the error code; ttft_seconds: a stream's first chunk; fell_back: it moved past its
        first candidate (a failure or an open breaker)."""
        key = ("request", provider, tier, rule, outcome, tenant)
        labels = self._labels.get(key)
        if labels is None:
            label = self.tenant(tenant)
            labels = self._remember(key, (
                (("provider", provider), ("tier", str(tier)), ("rule", rule),
                 ("outcome", outcome), ("tenant", label)),
                (("provider", provider), ("outcome", outcome)),
                (("provider", provider),),
                (("tenant", label),),
            ))  # fmt: skip
        self.requests.inc(labels[0])
        self.latency.observe(labels[1], seconds)
        if ttft_seconds is not None:
            self.ttft.observe(labels[2], ttft_seconds)
        if fell_back:
            self.fell_back.inc(labels[3])

    def response(self, *, endpoint: str, status: int, code: str) -> None:
        """Any HTTP response, errors included (400, 401, 403, 404, 413, 429, 503 ...)."""
        key = ("response", endpoint, status, code)
        labels = self._labels.get(key)
        if labels is None:
            labels = self._remember(
                key, ((("endpoint", endpoint), ("status", str(status)), ("code", code)),)
            )
        self.responses.inc(labels[0])

    def attempt(self, provider: str, outcome: str) -> None:
        key = ("attempt", provider, outcome)
        labels = self._labels.get(key)
        if labels is None:
            labels = self._remember(key, ((("provider", provider), ("outcome", outcome)),))
        self.attempts.inc(labels[0])

    def fallback(self, source: str, reason: str) -> None:
        self.fallbacks.inc((("from_provider", source), ("reason", reason)))

    def usage(
        self,
        *,
        provider: str,
        model: str,
        tenant: str | None,
        input_tokens: int,
        output_tokens: int,
        cost_pico: int,
    ) -> None:
        """What one attempt used and cost (called once per attempt, when it is settled)."""
        key = ("usage", provider, model, tenant)
        labels = self._labels.get(key)
        if labels is None:
            base = (("provider", provider), ("model", model), ("tenant", self.tenant(tenant)))
            labels = self._remember(
                key, (base, (*base, ("kind", "input")), (*base, ("kind", "output")))
            )
        self.cost.inc(labels[0], cost_pico)
        self.tokens.inc(labels[1], input_tokens)
        self.tokens.inc(labels[2], output_tokens)

    def cache_hit(self, *, provider: str, tenant: str | None, saved_pico: int) -> None:
        labels = (("provider", provider), ("tenant", self.tenant(tenant)))
        self.cache_hits.inc(labels)
        self.cache_savings.inc(labels, saved_pico)

    def render(self) -> str:
        lines: list[str] = []
        metrics: list[Counter | Histogram | Gauge] = [
            self.requests,
            self.responses,
            self.latency,
            self.ttft,
            self.attempts,
            self.fallbacks,
            self.fell_back,
            self.cost,
            self.tokens,
            self.cache_hits,
            self.cache_savings,
        ]
        for metric in metrics + self.gauges:
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"


__all__ = ["Counter", "Gauge", "Histogram", "Metrics", "dollars", "number"]
