"""Prices and costs in integer micro-dollars: what an attempt may cost, and what it did cost.

Pure: no I/O, no clock. A price is held as integer pico-dollars per token
(USD per million tokens x 10^6), so every cost is exact integer arithmetic,
rounded up to the micro-dollar once per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache

from .config import Config, Price, ProviderConfig
from .errors import ConfigError
from .types import Usage

PICO_PER_MICRO = 1_000_000
MICROS_PER_USD = 1_000_000
PICO_PER_USD = 10**12
# Per-message framing (role markers, separators) that byte-level BPE adds on top of the text.
MESSAGE_OVERHEAD_TOKENS = 8
REQUEST_OVERHEAD_TOKENS = 8
# An image, audio clip or file costs tokens its bytes do not bound (a high-detail image at
# gpt-4o-mini's rates is ~37k tokens): each such part reserves this many.
MEDIA_PART_TOKENS = 50_000


@dataclass(frozen=True, slots=True)
class TokenPrice:
    """Integer pico-dollars per input and per output token; `source` says where it came from."""

    input_pico: int
    output_pico: int
    source: str
    # Long-context tiers: (input tokens above which, input pico, output pico), ascending. Crossing
    # a tier prices the whole attempt at its rates (the providers' "cliff").
    tiers: tuple[tuple[int, int, int], ...] = ()

    @property
    def is_free(self) -> bool:
        return self.input_pico == 0 and self.output_pico == 0

    def rates(self, prompt_tokens: int) -> tuple[int, int]:
        """(input, output) pico per token for an attempt that reads `prompt_tokens`."""
        rates = (self.input_pico, self.output_pico)
        for start, input_pico, output_pico in self.tiers:
            if prompt_tokens > start:
                rates = (input_pico, output_pico)
        return rates


FREE = TokenPrice(0, 0, "on_premises")


def _pico(usd_per_mtok: Decimal) -> int:
    return int((usd_per_mtok * PICO_PER_MICRO).to_integral_value(rounding=ROUND_CEILING))


def from_config(price: Price, source: str) -> TokenPrice:
    return TokenPrice(_pico(price.input_per_mtok), _pico(price.output_per_mtok), source)


@lru_cache(maxsize=256)
def from_table(model: str) -> TokenPrice | None:
    """The price genai-prices' bundled snapshot knows for a model name (no download), or None."""
    from genai_prices import Usage as GUsage
    from genai_prices import calc_price

    try:
        found = calc_price(GUsage(input_tokens=1, output_tokens=1), model_ref=model)
    except LookupError:
        return None
    prices = found.model.get_prices(datetime.now(UTC))

    def steps(value: object) -> dict[int, Decimal]:
        """USD per Mtok from each input-token threshold on (0: the base price)."""
        if value is None:
            return {0: Decimal(0)}
        if isinstance(value, Decimal | int | float):
            return {0: Decimal(str(value))}
        base = getattr(value, "base", Decimal(0))
        return {0: Decimal(str(base))} | {
            int(t.start): Decimal(str(t.price)) for t in getattr(value, "tiers", ())
        }

    inputs, outputs = steps(prices.input_mtok), steps(prices.output_mtok)
    starts = sorted(set(inputs) | set(outputs))

    def at(table: dict[int, Decimal], start: int) -> int:
        return _pico(table[max(s for s in table if s <= start)])

    return TokenPrice(
        at(inputs, 0),
        at(outputs, 0),
        f"genai-prices:{found.model.id}",
        tuple((s, at(inputs, s), at(outputs, s)) for s in starts if s > 0),
    )


def resolve(provider: ProviderConfig, model: str) -> TokenPrice | None:
    """The price of one model at one provider: config, else the price table; None if unknown."""
    if provider.on_premises:
        return FREE
    if model in provider.prices:
        return from_config(provider.prices[model], f"config:{provider.name}.prices.{model}")
    if "default" in provider.prices:
        return from_config(provider.prices["default"], f"config:{provider.name}.prices.default")
    if provider.protocol == "ollama":
        # A hosted Ollama names open models its own way ("gpt-oss:120b"): the price table knows
        # other vendors' models by similar names, so it is never consulted for this protocol.
        return None
    return from_table(model)


@dataclass(frozen=True, slots=True)
class PriceBook:
    """Every (provider, model) price, resolved once at start-up."""

    prices: dict[tuple[str, str], TokenPrice]

    def get(self, provider: str, model: str) -> TokenPrice:
        return self.prices[(provider, model)]


def build(config: Config) -> PriceBook:
    """Resolve all prices; a paid provider with an unpriced model is a ConfigError."""
    prices: dict[tuple[str, str], TokenPrice] = {}
    problems: list[str] = []
    for i, provider in enumerate(config.providers):
        for model in provider.served_models:
            price = resolve(provider, model)
            if price is None:
                why = (
                    "a paid provider on the ollama protocol needs explicit prices"
                    if provider.protocol == "ollama"
                    else "the bundled price table does not know it"
                )
                problems.append(
                    f"providers[{i}].prices: no price for model {model!r} at provider "
                    f"{provider.name!r}, and {why}. Add "
                    f"prices: {{{model!r}: {{input_per_mtok: ..., output_per_mtok: ...}}}} "
                    f"(USD per million tokens), or set on_premises: true if it runs on your hardware"
                )
                continue
            prices[(provider.name, model)] = price
    if problems:
        raise ConfigError(problems)
    return PriceBook(prices)


def cost_micros(usage: Usage, price: TokenPrice) -> int:
    """What an attempt cost, rounded up to the micro-dollar."""
    pico = usage.prompt_tokens * price.input_pico + usage.completion_tokens * price.output_pico
    return -(-pico // PICO_PER_MICRO)


def cost_pico(usage: Usage, price: TokenPrice) -> int:
    """What an attempt cost, exactly: no rounding, so a month of rows sums to the provider's bill."""
    input_pico, output_pico = price.rates(usage.prompt_tokens)
    return usage.prompt_tokens * input_pico + usage.completion_tokens * output_pico


def bound_pico(prompt_tokens_bound: int, max_tokens: int, price: TokenPrice) -> int:
    """The most an attempt can cost, in pico-dollars."""
    return cost_pico(Usage(prompt_tokens_bound, max_tokens), price)


def pico_to_usd(pico: int) -> Decimal:
    return Decimal(pico) / PICO_PER_USD


def cap_pico(amount_usd: Decimal) -> int:
    """A cap in pico-dollars, rounded down so that it is never exceeded."""
    return int((amount_usd * PICO_PER_USD).to_integral_value(rounding=ROUND_FLOOR))


def prompt_token_bound(text_bytes: int, messages: int, media_parts: int = 0) -> int:
    """An upper bound on prompt tokens: byte-level BPE never yields more tokens than bytes."""
    return (
        text_bytes
        + messages * MESSAGE_OVERHEAD_TOKENS
        + REQUEST_OVERHEAD_TOKENS
        + media_parts * MEDIA_PART_TOKENS
    )


def bound_micros(prompt_tokens_bound: int, max_tokens: int, price: TokenPrice) -> int:
    """The most an attempt can cost: every prompt byte a token, and every allowed output token."""
    return cost_micros(Usage(prompt_tokens_bound, max_tokens), price)


def usd(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_USD


def cap_micros(amount_usd: Decimal) -> int:
    """A cap in micro-dollars, rounded down so that it is never exceeded."""
    return int((amount_usd * MICROS_PER_USD).to_integral_value(rounding=ROUND_FLOOR))
