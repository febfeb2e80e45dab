"""Time the sensitive-data detector on fixed generated prompts: clean prose and mixed text.

Run ``python benchmarks/bench_detect.py``. Inputs come from a seeded generator, so
runs are comparable; figures are medians over many repetitions on one core.
"""

from __future__ import annotations

import random
import statistics
import time

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


def median_seconds(detector: Detector, prompts: list[str], repeats: int) -> float:
    """Median wall time of one scan, over ``repeats`` passes of every prompt."""
    times: list[float] = []
    for _ in range(repeats):
        for prompt in prompts:
            start = time.perf_counter()
            detector.scan((prompt,))
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rng = random.Random(7)
    detector = Detector()
    cases = {
        "clean prose": [prose(rng, PROMPT_CHARS) for _ in range(50)],
        "mixed text": [mixed(rng, PROMPT_CHARS) for _ in range(50)],
    }
    for prompts in cases.values():
        median_seconds(detector, prompts, 5)  # warm caches (phonenumbers metadata, re)
    print(f"{'input':12s} {'µs / 2 KB prompt':>17s} {'MB/s':>8s}")
    for name, prompts in cases.items():
        seconds = median_seconds(detector, prompts, 200)
        mb_per_s = PROMPT_CHARS / seconds / 1e6
        print(f"{name:12s} {seconds * 1e6:17.1f} {mb_per_s:8.1f}")


if __name__ == "__main__":
    main()
