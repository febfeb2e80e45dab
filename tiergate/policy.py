"""decide(features, config, state) -> Decision: the routing rules of DESIGN.md §2, as a pure function.

Rules 1 (policy), 2 (sensitive) and 4 (budget) only remove providers; rules 3
and 5-8 only pick the tier where the ordered list starts. The list is the
picked tier first, then every remaining provider of a lower tier, highest
first. The reported rule is the picking rule, unless a removing rule took away
what the picking rule chose: then it is that removing rule, first in table order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .config import Config, ProviderConfig, TenantConfig
from .outbound import Outbound
from .pricing import PriceBook, bound_pico
from .types import MODE_MAX_TIER

REMOVING_RULES = ("policy", "sensitive", "budget")
_NONE: frozenset[str] = frozenset()


# Per-request records are plain slotted dataclasses, not frozen: a frozen one pays
# object.__setattr__ for each field (~0.15 µs) on every request. Nothing mutates them.
@dataclass(slots=True)
class Features:
    """What decide() knows of a request. The prompt itself never gets here."""

    classification: str
    task: str = "chat"
    quality: str = "standard"
    complexity: str = "low"
    batch_size: int = 1
    # provider -> the request as that provider would receive it (its model, max tokens and
    # prompt-token bound); a provider missing here, or whose protocol cannot express the
    # request, is not a candidate.
    outbound: Mapping[str, Outbound] = field(default_factory=dict)
    choices: int = 1
    tenant: str | None = None
    pinned: str | None = None  # a provider that the requested model name pins
    pinned_model: str | None = None  # ... and that model
    keep_local: bool = (
        False  # the tenant requires a label and the request has none: stay on premises
    )


@dataclass(slots=True)
class State:
    """A snapshot of what changes between requests; taken before decide() is called."""

    in_flight: Mapping[str, int] = field(default_factory=dict)
    # pico-dollars left under each cap: "provider:<name>", "tenant:<name>", "total"; absent = no cap
    remaining: Mapping[str, int] = field(default_factory=dict)
    down: frozenset[str] = frozenset()  # providers with no usable api_key
    budget_unreachable: bool = False  # the budget store cannot be read: paid providers fail closed


@dataclass(slots=True)
class Candidate:
    provider: ProviderConfig
    model: str
    max_tokens: int  # what is reserved for and sent upstream
    bound_pico: int  # the most this attempt can cost
    # The provider's name, read a dozen times per request: a field, not a property.
    name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.name = self.provider.name


@dataclass(slots=True)
class Decision:
    candidates: tuple[Candidate, ...]
    rule: str
    trace: tuple[str, ...]
    removed: Mapping[str, str] = field(default_factory=dict)  # provider -> removing rule
    # provider -> the bound (pico-dollars) no cap could take
    over_budget: Mapping[str, int] = field(default_factory=dict)
    # routing.escalate_when_down: allowed providers above the picked tier, lowest first, tried
    # (as rule "escalated") only when every candidate failed. Never for sensitive data.
    escalation: tuple[Candidate, ...] = ()


def decide(
    features: Features, config: Config, state: State, prices: PriceBook, *, explain: bool = True
) -> Decision:
    """`explain=False` (the request path) leaves the trace empty: its lines cost more to format
    than the rules cost to apply, and only `tiergate route` shows them."""
    trace: list[str] = []
    removed: dict[str, str] = {}
    over_budget: dict[str, int] = {}
    kept: list[Candidate] = []
    tenant = config.tenant(features.tenant) if features.tenant else None
    sensitive = features.keep_local or features.classification in config.privacy.sensitive

    for provider in config.providers:
        name = provider.name
        if features.pinned and name != features.pinned:
            if explain:
                trace.append(f"{name}: skipped, the request pins provider {features.pinned!r}")
            continue
        why = policy_removal(provider, tenant) if tenant is not None else None
        if why is not None:
            removed[name] = "policy"
            if explain:
                trace.append(why)
            continue
        if sensitive and not (
            provider.on_premises or features.classification in provider.allowed_classifications
        ):
            removed[name] = "sensitive"
            if explain:
                trace.append(
                    f"{name}: removed as sensitive, {features.classification} data stays on premises"
                )
            continue
        if name in state.down:
            if explain:
                trace.append(f"{name}: down, no usable api_key")
            continue
        outbound = features.outbound.get(name)
        if outbound is None or outbound.unsupported:
            why = outbound.unsupported if outbound else "not encoded"
            if explain:
                trace.append(f"{name}: skipped, its protocol cannot express this request ({why})")
            continue
        model, max_tokens = outbound.model, outbound.max_tokens
        price = prices.get(name, model)
        if price.is_free and not price.tiers:
            bound = 0  # costs nothing, however many tokens
        else:
            bound = bound_pico(
                outbound.prompt_tokens,
                max_tokens * features.choices + outbound.output_extra_tokens,
                price,
            )
        if not price.is_free:
            short = _short_cap(provider, tenant, bound, state)
            if short:
                removed[name] = "budget"
                over_budget[name] = bound
                if explain:
                    trace.append(f"{name}: removed by budget, {short}")
                continue
        kept.append(Candidate(provider, model, max_tokens, bound))
        if explain:
            trace.append(
                f"{name}: kept (tier {provider.tier}, model {model}, reserve {bound} pico-USD)"
            )

    pick_rule, pick_tier = _pick(features, config, state, sensitive)
    if explain:
        trace.append(f"pick: rule {pick_rule} -> tier {pick_tier}")
    if features.pinned:
        pick_rule, pick_tier = "pinned", config.provider(features.pinned).tier

    start = [c for c in kept if c.provider.tier <= pick_tier]
    if not start and kept and not features.pinned:
        # Nothing allowed at or below the picked tier: the lowest allowed tier above serves.
        lowest = min(c.provider.tier for c in kept)
        if explain:
            trace.append(f"nothing allowed at or below tier {pick_tier}; tier {lowest} serves")
        start = [c for c in kept if c.provider.tier == lowest]
    # stable: config order within a tier
    ordered = sorted(start, key=lambda c: -c.provider.tier) if len(start) > 1 else start
    rule = pick_rule
    if not ordered or ordered[0].provider.tier != pick_tier:
        lost = {
            removed[p.name] for p in config.providers if p.tier == pick_tier and p.name in removed
        }
        for candidate_rule in REMOVING_RULES:
            if candidate_rule in lost:
                rule = candidate_rule
                break
    if explain and not ordered and not features.pinned:
        trace.append("no candidate left")
    escalation: tuple[Candidate, ...] = ()
    if config.routing.escalate_when_down and not sensitive and not features.pinned and ordered:
        top = ordered[0].provider.tier
        escalation = tuple(
            sorted((c for c in kept if c.provider.tier > top), key=lambda c: c.provider.tier)
        )
        if explain and escalation:
            trace.append(
                "escalate_when_down: if every candidate is down, then "
                + ", ".join(c.name for c in escalation)
            )
    return Decision(tuple(ordered), rule, tuple(trace), removed, over_budget, escalation)


def policy_removal(provider: ProviderConfig, tenant: TenantConfig | None) -> str | None:
    """Rule 1: why `tenant` may not use `provider` (its trace line), or None when it may."""
    if tenant is None:
        return None
    max_tier = MODE_MAX_TIER[tenant.mode]
    if provider.tier > max_tier:
        return f"{provider.name}: removed by policy, tenant {tenant.name!r} is {tenant.mode} (tier <= {max_tier})"
    if tenant.allowed_providers is not None and provider.name not in tenant.allowed_providers:
        return (
            f"{provider.name}: removed by policy, not in tenant {tenant.name!r} allowed_providers"
        )
    return None


def never_candidates(
    config: Config, tenant: TenantConfig | None, down: frozenset[str]
) -> frozenset[str]:
    """Providers that decide() drops before it reads their outbound request (rule 1, or down):
    they need no encoding, and what they would have been sent is never sent, so needs no scan."""
    if tenant is None and not down:
        return _NONE  # rule 1 needs a tenant
    return frozenset(
        p.name for p in config.providers if p.name in down or policy_removal(p, tenant) is not None
    )


def _short_cap(
    provider: ProviderConfig, tenant: TenantConfig | None, bound: int, state: State
) -> str | None:
    """Which cap cannot take `bound` pico-dollars more, if any."""
    if state.budget_unreachable:
        return "the budget store cannot be reached (fail closed)"
    scopes = [f"provider:{provider.name}", "total"]
    if tenant is not None:
        scopes.append(f"tenant:{tenant.name}")
    for scope in scopes:
        left = state.remaining.get(scope)
        if left is not None and bound > left:
            return f"{scope} has {left} pico-USD left, the request may cost up to {bound}"
    return None


def _pick(features: Features, config: Config, state: State, sensitive: bool) -> tuple[str, int]:
    if features.task == "embedding":
        return "embedding", 1
    if features.quality == "critical" and features.complexity == "high":
        return "critical", 3
    # "quality = high" includes critical work that is not complex: it never gets less than high.
    if features.quality in ("high", "critical") or features.batch_size > 10:
        return "quality_or_batch", 2
    if not sensitive and _saturated(config.providers, state.in_flight):
        return "spillover", 2
    return "default", 1


def _saturated(providers: tuple[ProviderConfig, ...], in_flight: Mapping[str, int]) -> bool:
    """Every tier-1 provider (and there is one) is at its max_concurrency."""
    tier1 = False
    for p in providers:
        if p.tier == 1:
            if in_flight.get(p.name, 0) < p.max_concurrency:
                return False
            tier1 = True
    return tier1
