"""Prices from the bundled table: the base rate for ordinary calls, the long-context tier past it.

A table lookup once priced every call at the >200k-token tier (twice the real bill for
claude-sonnet-4-5). Costs are exact pico-dollars; a reservation is never below the cost of any
usage it bounds, tiers included.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tiergate.pricing import bound_pico, cost_pico, from_table
from tiergate.types import Usage

USD = 10**12


def test_an_ordinary_call_is_priced_at_the_base_rate() -> None:
    price = from_table("claude-sonnet-4-5")
    assert price is not None
    assert cost_pico(Usage(100_000, 0), price) == 3 * USD // 10
    assert cost_pico(Usage(0, 1_000_000), price) == 15 * USD
    assert cost_pico(Usage(1000, 1000), price) == 18 * USD // 1000


def test_past_the_threshold_the_whole_call_is_priced_at_the_tier() -> None:
    price = from_table("claude-sonnet-4-5")
    assert price is not None
    assert cost_pico(Usage(200_000, 1000), price) == 200_000 * 3_000_000 + 1000 * 15_000_000
    assert cost_pico(Usage(200_001, 1000), price) == 200_001 * 6_000_000 + 1000 * 22_500_000


def test_an_untiered_model_has_one_rate() -> None:
    price = from_table("gpt-4o")
    assert price is not None and price.tiers == ()
    assert cost_pico(Usage(123, 45), price) == 123 * 2_500_000 + 45 * 10_000_000


@given(
    bound=st.integers(0, 400_000),
    used=st.integers(0, 400_000),
    max_tokens=st.integers(0, 8192),
    out=st.integers(0, 8192),
)
def test_a_reservation_covers_every_usage_it_bounds(
    bound: int, used: int, max_tokens: int, out: int
) -> None:
    price = from_table("claude-sonnet-4-5")
    assert price is not None
    if used <= bound and out <= max_tokens:
        assert cost_pico(Usage(used, out), price) <= bound_pico(bound, max_tokens, price)
