"""intake.check_chat checks only the optional fields a body sets; the problem it names must not
depend on the order of the body's keys, and a null stays "not set"."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tiergate import intake
from tiergate.errors import InvalidRequest

BASE: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
BAD = {"stream": "yes", "temperature": 9, "n": 0, "service_tier": "flex", "audio": {}}


def test_the_first_problem_named_is_the_same_in_any_key_order() -> None:
    named = set()
    for order in itertools.permutations(BAD):
        body = {**BASE, **{key: BAD[key] for key in order}}
        with pytest.raises(InvalidRequest) as caught:
            intake.check_chat(body)
        named.add(caught.value.param)
    assert named == {"stream"}


@pytest.mark.parametrize("key", sorted(BAD))
def test_each_bad_field_alone_is_named(key: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        intake.check_chat({**BASE, key: BAD[key]})
    assert caught.value.param == key


def test_nulls_are_not_set() -> None:
    intake.check_chat({**BASE, **dict.fromkeys(BAD)})
