"""Sensitive data in ANY field of the request stays on premises: judged by what the cloud fakes received.

The gateway encodes the request for every provider first and scans every key and value of
what it would send, so a field nobody listed (metadata, user, stop, prediction, tool_choice,
a legacy function_call, an object where text belongs, an unknown key) is scanned like the
messages. Every request asks for critical quality and high complexity, so without the scan
it would go to openai.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import orjson
import pytest

from .conftest import Start, Tiers, sdk

CRITICAL = {"quality": "critical", "complexity": "high"}
# Values the detector must catch in any field; each is valid (checksums) and plainly personal.
VALUES = {
    "email": "jane.roe@example.org",
    "card": "4111 1111 1111 1111",
    "ssn": "SSN 536-90-4412",
}
PLAIN = "the quarterly roadmap"

Placement = Callable[[str], dict[str, Any]]


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


PLACEMENTS: dict[str, Placement] = {
    "user": lambda v: {"messages": _user("Hello."), "user": v},
    "metadata": lambda v: {"messages": _user("Hello."), "metadata": {"customer": v}},
    "metadata_key": lambda v: {"messages": _user("Hello."), "metadata": {v: "1"}},
    "stop": lambda v: {"messages": _user("Hello."), "stop": [v]},
    "prediction": lambda v: {
        "messages": _user("Hello."),
        "prediction": {"type": "content", "content": v},
    },
    "tool_choice": lambda v: {
        "messages": _user("Hello."),
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
        "tool_choice": {"type": "function", "function": {"name": "lookup", "note": v}},
    },
    "legacy_function_call": lambda v: {
        "messages": [
            {"role": "user", "content": "Look it up."},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "lookup", "arguments": orjson.dumps({"q": v}).decode()},
            },
            {"role": "function", "name": "lookup", "content": "done"},
        ]
    },
    "message_name": lambda v: {
        "messages": [{"role": "user", "content": "Hello.", "name": v.replace(" ", "-")}]
    },
    "unknown_top_level_key": lambda v: {"messages": _user("Hello."), "x_customer": v},
    "unknown_message_key": lambda v: {
        "messages": [{"role": "user", "content": "Hello.", "annotations": [{"note": v}]}]
    },
    "tool_schema_description": lambda v: {
        "messages": _user("Hello."),
        "tools": [
            {"type": "function", "function": {"name": "f", "description": v, "parameters": {}}}
        ],
    },
    "response_format_schema": lambda v: {
        "messages": _user("Hello."),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": {"type": "object", "default": v}},
        },
    },
    "split_across_messages": lambda v: {
        "messages": [
            {"role": "user", "content": f"Part one: {v[: len(v) // 2]}"},
            {"role": "user", "content": f"{v[len(v) // 2 :]} end."},
        ]
    },
    "number_value": lambda v: {
        "messages": _user("Hello."),
        "metadata": {"card": int("".join(c for c in v if c.isdigit()) or "0")},
    },
}


def cloud_received(tiers: Tiers, value: str) -> bool:
    needles = [value.encode(), orjson.dumps(value)[1:-1]]
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) >= 9:
        needles.append(digits.encode())
    return any(
        needle in r.raw
        for f in (tiers.cloud, tiers.openai)
        for r in f.received
        for needle in needles
    )


def create(url: str, body: dict[str, Any], *, stream: bool = False) -> Any:
    client = sdk(base_url=url + "/v1", api_key="unused", max_retries=0)
    extra = {k: v for k, v in body.items() if k != "messages"}
    extra["tiergate"] = CRITICAL
    if stream:
        raw = client.chat.completions.with_raw_response.create(
            model="auto", messages=body["messages"], extra_body=extra, stream=True
        )
        for _ in raw.parse():
            pass
        return raw.headers
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=body["messages"], extra_body=extra
    )
    raw.parse()
    return raw.headers


@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
def test_a_value_in_any_field_stays_local(gateway: Start, tiers: Tiers, placement: str) -> None:
    url = gateway()
    for kind, value in VALUES.items():
        if placement == "number_value" and kind != "card":
            continue  # a bare number is a card by its checksum; an SSN needs its words
        if placement == "message_name" and kind != "email":
            continue  # a name is one token: no spaces, so no "SSN 536-…" phrase
        headers = create(url, PLACEMENTS[placement](value))
        assert headers["x-tiergate-provider"] == "local", (placement, kind)
        assert headers["x-tiergate-classification"] == "pii", (placement, kind)
    assert tiers.cloud_received() == 0
    for value in VALUES.values():
        assert not cloud_received(tiers, value)


@pytest.mark.parametrize(
    ("message", "param"),
    [
        (
            {"role": "user", "content": [{"type": "text", "text": {"value": VALUES["ssn"]}}]},
            "messages[0].content[0].text",
        ),
        ({"role": "user", "content": "Hello.", "name": {"who": VALUES["ssn"]}}, "messages[0].name"),
    ],
)
def test_an_object_where_text_belongs_is_refused(
    gateway: Start, tiers: Tiers, message: dict[str, Any], param: str
) -> None:
    client = sdk(base_url=gateway() + "/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="auto", messages=[message])  # type: ignore[list-item]
    assert caught.value.body["param"] == param  # type: ignore[index]
    assert sum(f.count() for f in tiers.all) == 0


@pytest.mark.parametrize("placement", ["metadata", "stop", "unknown_top_level_key", "user"])
def test_a_plain_value_in_the_same_field_still_goes_to_the_cloud(
    gateway: Start, tiers: Tiers, placement: str
) -> None:
    """The control: the scan is why the values above stayed local, not the field itself."""
    headers = create(gateway(), PLACEMENTS[placement](PLAIN))
    assert headers["x-tiergate-provider"] == "openai"
    assert tiers.openai.count() == 1


@pytest.mark.parametrize("placement", ["metadata", "stop", "prediction", "unknown_top_level_key"])
def test_streams_scan_every_field_too(gateway: Start, tiers: Tiers, placement: str) -> None:
    headers = create(gateway(), PLACEMENTS[placement](VALUES["email"]), stream=True)
    assert headers["x-tiergate-provider"] == "local"
    assert tiers.cloud_received() == 0


def test_embeddings_scan_every_field(gateway: Start, tiers: Tiers) -> None:
    client = sdk(base_url=gateway() + "/v1", api_key="unused", max_retries=0)
    for extra in (
        {"user": VALUES["email"]},
        {"x_note": VALUES["card"]},
        {"metadata": {"k": VALUES["ssn"]}},
    ):
        raw = client.embeddings.with_raw_response.create(
            model="auto",
            input=["quarterly roadmap"],
            extra_body={**extra, "tiergate": {"quality": "critical"}},
        )
        raw.parse()
        assert raw.headers["x-tiergate-provider"] == "local"
    assert tiers.cloud_received() == 0


def test_a_pin_to_the_cloud_with_a_value_in_metadata_is_refused(
    gateway: Start, tiers: Tiers
) -> None:
    client = sdk(base_url=gateway() + "/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(
            model="gpt-4o",
            messages=_user("Hello."),
            extra_body={"metadata": {"customer": VALUES["email"]}},
        )
    assert caught.value.status_code == 403
    assert tiers.cloud_received() == 0


def test_with_the_local_tier_down_nothing_goes_to_the_cloud(gateway: Start, tiers: Tiers) -> None:
    tiers.local.behaviour = "fail-503"
    client = sdk(base_url=gateway() + "/v1", api_key="unused", max_retries=0)
    for placement in ("metadata", "stop", "user", "unknown_top_level_key"):
        with pytest.raises(openai.InternalServerError) as caught:
            client.chat.completions.create(
                model="auto",
                messages=PLACEMENTS[placement](VALUES["ssn"])["messages"],
                extra_body={
                    **{
                        k: v
                        for k, v in PLACEMENTS[placement](VALUES["ssn"]).items()
                        if k != "messages"
                    },
                    "tiergate": CRITICAL,
                },
            )
        assert caught.value.status_code == 503
    assert tiers.cloud_received() == 0


def test_price_changing_fields_are_refused_naming_the_field(gateway: Start, tiers: Tiers) -> None:
    client = sdk(base_url=gateway() + "/v1", api_key="unused", max_retries=0)
    for extra, field in (
        ({"service_tier": "priority"}, "service_tier"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"audio": {"voice": "alloy", "format": "wav"}}, "audio"),
        ({"web_search_options": {}}, "web_search_options"),
    ):
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="auto", messages=_user("Hi."), extra_body=extra)
        assert caught.value.body["param"] == field  # type: ignore[index]
    assert sum(f.count() for f in tiers.all) == 0
