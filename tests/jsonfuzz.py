"""Hypothesis strategies for request bodies, and a gateway that lives for a whole fuzz module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tiergate.server import BackgroundServer, create_app
from tiergate.testing import FakeUpstream

from .conftest import Tiers, make_config

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
models = st.sampled_from(["auto", "llama3.2:3b", "gpt-4o", "bge-m3", "no-such-model", ""])
hint_objects = st.fixed_dictionaries(
    {},
    optional={
        "classification": st.sampled_from(["public", "internal", "pii", "secret"]) | json_values,
        "quality": st.sampled_from(["standard", "high", "critical", "best"]) | json_values,
        "complexity": st.sampled_from(["low", "high"]) | json_values,
        "batch_size": st.integers(-2, 20) | json_values,
    },
)


hint_headers = st.dictionaries(
    st.sampled_from([
        "x-tiergate-classification", "x-tiergate-task", "x-tiergate-quality",
        "x-tiergate-complexity", "x-tiergate-batch-size",
    ]),
    st.sampled_from(["public", "pii", "high", "critical", "low", "3", "0", "chat", ""])
    | st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=10),
    max_size=3,
)  # fmt: skip


def either(specific: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, now and then any JSON value at all."""
    return st.one_of(*[specific] * 8, json_values)


def bodies(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Any]:
    """Plausible objects (the required fields and any of the optional ones); the same with one
    field replaced, removed or added by any JSON value; and now and then not an object at all."""
    plausible = st.fixed_dictionaries(required, optional=optional)
    keys = st.sampled_from([*required, *optional, "unknown_field"])
    replaced = st.builds(
        lambda body, key, value: {**body, key: value}, plausible, keys, json_values
    )
    removed = st.builds(
        lambda body, key: {k: v for k, v in body.items() if k != key}, plausible, keys
    )
    return st.one_of(plausible, plausible, plausible, replaced, replaced, removed, json_values)


@contextmanager
def fuzz_gateway(store: Path) -> Iterator[tuple[str, Tiers]]:
    """A real gateway over three FakeUpstream tiers, for a module's worth of examples."""
    with ExitStack() as stack:
        tiers = Tiers(
            local=stack.enter_context(FakeUpstream(name="local")),
            cloud=stack.enter_context(FakeUpstream(name="cloud")),
            openai=stack.enter_context(FakeUpstream(name="openai")),
        )
        server = stack.enter_context(BackgroundServer(create_app(make_config(tiers, store))))
        yield server.url, tiers
