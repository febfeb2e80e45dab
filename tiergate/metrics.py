"""In-process Prometheus metrics: counters and latency histograms, rendered in the text exposition format."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.values: dict[Labels, float] = {}

    def inc(self, labels: Labels, amount: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + amount

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in self.values.items():
            yield f"{self.name}{_labels(labels)} {value:g}"


class Histogram:
    def __init__(
        self, name: str, help_text: str, buckets: tuple[float, ...] = LATENCY_BUCKETS
    ) -> None:
        self.name = name
        self.help = help_text
        self.buckets = buckets
        self.series: dict[Labels, list[float]] = {}  # per-bucket counts, then +Inf count, then sum

    def observe(self, labels: Labels, value: float) -> None:
        row = self.series.get(labels)
        if row is None:
            row = self.series[labels] = [0.0] * (len(self.buckets) + 2)
        row[bisect_left(self.buckets, value)] += 1
        row[-1] += value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, row in self.series.items():
            cumulative = 0.0
            for bound, count in zip(self.buckets, row, strict=False):
                cumulative += count
                le = f'le="{bound:g}"'
                yield f"{self.name}_bucket{_labels(labels, le)} {cumulative:g}"
            cumulative += row[len(self.buckets)]
            inf = 'le="+Inf"'
            yield f"{self.name}_bucket{_labels(labels, inf)} {cumulative:g}"
            yield f"{self.name}_sum{_labels(labels)} {row[-1]:.6f}"
            yield f"{self.name}_count{_labels(labels)} {cumulative:g}"


class Gauge:
    """A value read when scraped."""

    def __init__(self, name: str, help_text: str, read: Callable[[], dict[Labels, float]]) -> None:
        self.name = name
        self.help = help_text
        self.read = read

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} gauge"
        for labels, value in self.read().items():
            yield f"{self.name}{_labels(labels)} {value:g}"


class Metrics:
    """The gateway's metrics; one instance per app."""

    def __init__(self) -> None:
        self.requests = Counter(
            "tiergate_requests_total", "Requests answered, by provider, tier, rule and outcome."
        )
        self.latency = Histogram(
            "tiergate_request_duration_seconds",
            "Request latency as the gateway saw it, in seconds.",
        )
        self.attempts = Counter(
            "tiergate_attempts_total", "Upstream attempts, by provider and outcome."
        )
        self.fallbacks = Counter(
            "tiergate_fallbacks_total",
            "Times a request moved on from a failed provider to the next.",
        )
        self.gauges: list[Gauge] = []

    def request(
        self, *, provider: str, tier: int | str, rule: str, outcome: str, seconds: float
    ) -> None:
        labels = (("provider", provider), ("tier", str(tier)), ("rule", rule), ("outcome", outcome))
        self.requests.inc(labels)
        self.latency.observe(labels, seconds)

    def attempt(self, provider: str, outcome: str) -> None:
        self.attempts.inc((("provider", provider), ("outcome", outcome)))

    def fallback(self, source: str, reason: str) -> None:
        self.fallbacks.inc((("from_provider", source), ("reason", reason)))

    def render(self) -> str:
        lines: list[str] = []
        metrics: list[Counter | Histogram | Gauge] = [
            self.requests,
            self.latency,
            self.attempts,
            self.fallbacks,
        ]
        for metric in metrics + self.gauges:
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"
