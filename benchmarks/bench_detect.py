"""Time the sensitive-data detector: µs per 2 KB prompt, and seconds per MB of bulk text.

Run ``python benchmarks/bench_detect.py``. Inputs come from a seeded generator, so
runs are comparable. Prompt figures are the median over many scans (and the best,
which is what the code costs on an idle core); bulk figures scan about 1 MB of
prose, logs, JSON and numeric tables as one text, as a large request body is.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from collections.abc import Callable

from tiergate.detect import Detector

VOCABULARY = (
    "the of and to in is that for it as was with be by on not this are or from at which "
    "but have an they you were there been one all we their has would when if so no will "
    "can more about up out them what some time may only then its into than two other our "
    "these like could made over also did any after new very well where many years most "
    "before must through back great people much should even because each just those how "
    "too good long here day might still own see work know get place now use model prompt "
    "summary customer request review draft report team quarter budget release meeting "
    "analysis"
)
WORDS = VOCABULARY.split()
SENSITIVE = (
    "Reach me at maria.k@acme.co.uk or +44 20 7946 0958.",
    "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00.",
    "SSN 123-45-6789; patient MRN: 00123456.",
    "login from 81.2.69.160 with password=Summer2024!",
    "key sk-proj-abc123DEF456ghi789JKL012mnoPQR345",
)
PROMPT_CHARS = 2048
BULK_CHARS = 1_000_000


def prose(rng: random.Random, chars: int) -> str:
    """English-like filler with the numbers prose has: years, counts, percentages."""
    out: list[str] = []
    size = 0
    while size < chars:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + "."
        if rng.random() < 0.3:
            sentence += f" In {rng.randint(1990, 2024)} we saw {rng.randint(2, 300)} cases ({rng.randint(1, 99)}%)."
        out.append(sentence)
        size += len(sentence) + 1
    return " ".join(out)[:chars]


def mixed(rng: random.Random, chars: int) -> str:
    """Prose with one sensitive sentence spliced in every ~400 characters."""
    parts: list[str] = []
    while sum(map(len, parts)) < chars:
        parts.append(prose(rng, 400))
        parts.append(rng.choice(SENSITIVE))
    return " ".join(parts)[:chars]


def logs(rng: random.Random, chars: int) -> str:
    """Service log lines: timestamps, private IPs, paths with ids, durations, request ids."""
    lines: list[str] = []
    size = 0
    while size < chars:
        line = (
            f"2024-03-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
            f"{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z {rng.choice(['INFO', 'WARN', 'DEBUG'])} "
            f"[worker-{rng.randint(1, 16)}] 10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)} "
            f"{rng.choice(['GET', 'POST'])} /api/v1/items/{rng.randint(1, 99999)} {rng.choice([200, 201, 404, 500])} "
            f"{rng.random() * 100:.1f}ms req_id={uuid.UUID(int=rng.getrandbits(128))} bytes={rng.randint(100, 99999)}"
        )
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)[:chars]


def json_records(rng: random.Random, chars: int) -> str:
    """An API response: a list of records with ids, prices, dates, tags and uuids."""
    records: list[dict[str, object]] = []
    size = 0
    while size < chars:
        record: dict[str, object] = {
            "id": rng.randint(1, 10**6),
            "sku": f"SKU-{rng.randint(1000, 9999)}",
            "name": " ".join(rng.choice(WORDS) for _ in range(3)),
            "price": round(rng.random() * 1000, 2),
            "stock": rng.randint(0, 500),
            "created": f"2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T12:00:00Z",
            "tags": [rng.choice(WORDS) for _ in range(2)],
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
        }
        records.append(record)
        size += len(json.dumps(record)) + 2
    return json.dumps(records)[:chars]


def numeric_table(rng: random.Random, chars: int) -> str:
    """CSV and space-aligned rows of dates, counts, ratios and amounts."""
    rows: list[str] = []
    size = 0
    while size < chars:
        cells = [
            f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            str(rng.randint(0, 99999)),
            f"{rng.random():.4f}",
            f"{rng.random() * 10000:.2f}",
            str(rng.randint(0, 100)),
        ]
        row = ",".join(cells) if rng.random() < 0.5 else "  ".join(c.rjust(10) for c in cells)
        rows.append(row)
        size += len(row) + 1
    return "\n".join(rows)[:chars]


def per_scan_seconds(detector: Detector, prompts: list[str], repeats: int) -> tuple[float, float]:
    """Median and best wall time of one scan, over ``repeats`` passes of every prompt."""
    times: list[float] = []
    for _ in range(repeats):
        for prompt in prompts:
            start = time.perf_counter()
            detector.scan((prompt,))
            times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def bulk_seconds(detector: Detector, text: str, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        detector.scan((text,))
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rng = random.Random(7)
    detector = Detector()
    prompts = {
        "clean prose": [prose(rng, PROMPT_CHARS) for _ in range(50)],
        "mixed text": [mixed(rng, PROMPT_CHARS) for _ in range(50)],
    }
    for batch in prompts.values():
        per_scan_seconds(detector, batch, 5)  # warm caches (phonenumbers metadata, re)
    print(f"{'2 KB prompt':12s} {'median µs':>10s} {'best µs':>8s}")
    for name, batch in prompts.items():
        median, best = per_scan_seconds(detector, batch, 100)
        print(f"{name:12s} {median * 1e6:10.1f} {best * 1e6:8.1f}")
    print()
    bulk: dict[str, Callable[[random.Random, int], str]] = {
        "prose": prose,
        "logs": logs,
        "json": json_records,
        "numeric table": numeric_table,
    }
    print(f"{'~1 MB of':14s} {'s / MB':>7s} {'MB/s':>6s}")
    for name, make in bulk.items():
        text = make(rng, BULK_CHARS)
        seconds = bulk_seconds(detector, text)
        megabytes = len(text.encode()) / 1e6
        print(f"{name:14s} {seconds / megabytes:7.3f} {megabytes / seconds:6.1f}")


if __name__ == "__main__":
    main()
