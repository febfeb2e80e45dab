"""Issue 7, as an attacker would try it: every case through the real server and the official clients.

The cases (tests/privacy_cases.py) were written apart from the detector, from the issue's words and
the formats' own specifications. Each positive asks for critical quality and high complexity, so
only the privacy guard keeps it on premises; the verdict is what the cloud fakes received (their
raw bodies, the value as sent and its digits), never a response header (only the class a request is
recorded as is read from one). Hard negatives must reach the cloud, or the guard is just blocking
everything.

A case that still leaks is marked `xfail(strict=True)` with what the detector is missing
(the LEAKS dict below): the suite goes red the moment it starts passing.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import ollama
import openai
import orjson
import pytest

from tiergate.config import parse_config
from tiergate.server import BackgroundServer, create_app
from tiergate.testing import FakeUpstream

from .conftest import Start, Tiers, make_config
from .privacy_cases import (
    FIELD_VALUES,
    HELD_OUT,
    HELD_OUT_NEGATIVES,
    NEGATIVES,
    POSITIVES,
    SPLITS,
    Case,
    needles,
)

CRITICAL = {"quality": "critical", "complexity": "high"}
CRITICAL_HEADERS = {"X-Tiergate-Quality": "critical", "X-Tiergate-Complexity": "high"}

# id -> what the detector is missing. Every entry is a case that reached the cloud at the last run.
# Empty since 04:00 UTC, 2 December 2026: the 18 leaks listed then (2 original cases, 16 of the 56
# held out) were fixed as bug reports, so the held-out cases no longer measure unseen data; that is
# tests/test_detect_apart.py's job now. A new leak found goes here until it is fixed.
LEAKS: dict[str, str] = {}


@dataclass
class Rig:
    tiers: Tiers
    url: str
    client: openai.OpenAI

    def reset(self) -> None:
        for fake in self.tiers.all:
            fake.reset()

    def cloud_count(self) -> int:
        return self.tiers.cloud.count() + self.tiers.openai.count()

    def cloud_saw(self, secret: str) -> list[bytes]:
        """The forms of `secret` that some cloud fake's raw body contains."""
        raws = [r.raw for f in (self.tiers.cloud, self.tiers.openai) for r in f.received]
        return [n for n in needles(secret) if any(n in raw for raw in raws)]

    def assert_kept_local(self, *secrets: str) -> None:
        seen = {s: self.cloud_saw(s) for s in secrets}
        assert not any(seen.values()), f"the cloud received {seen}"
        assert self.cloud_count() == 0, "a cloud fake received the request"
        assert self.tiers.local.count() == 1, "the local tier did not answer it"


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """One gateway in front of three fakes for the whole module; each test resets the fakes."""
    with ExitStack() as stack:
        tiers = Tiers(
            local=stack.enter_context(FakeUpstream(name="local")),
            cloud=stack.enter_context(FakeUpstream(name="cloud")),
            openai=stack.enter_context(FakeUpstream(name="openai")),
        )
        store = tmp_path_factory.mktemp("privacy_cases") / "ledger.db"
        data = orjson.loads(make_config(tiers, store).model_dump_json())
        data["server"]["max_body_bytes"] = 4 * 1024 * 1024  # the 1 MiB pathological bodies
        for provider in data["providers"]:
            provider["timeout_s"] = 30  # 1 MiB bodies on a busy machine: a slow fake is not a leak
        config = parse_config(orjson.dumps(data).decode(), env={})
        server = stack.enter_context(BackgroundServer(create_app(config)))
        client = stack.enter_context(
            openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=30)
        )
        yield Rig(tiers, server.url, client)


def marked(case_id: str, *values: object) -> Any:
    """A parameter with its id, xfail(strict) while LEAKS says it leaks."""
    leak = LEAKS.get(case_id)
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=leak)] if leak else []
    return pytest.param(*values, id=case_id, marks=marks)


def params(cases: list[Case]) -> list[Any]:
    return [marked(c.id, c) for c in cases]


def chat(
    rig: Rig, messages: list[dict[str, Any]], *, hints: dict[str, str] = CRITICAL, **kwargs: Any
) -> Any:
    extra_body = {"tiergate": hints, **kwargs.pop("extra_body", {})}
    raw = rig.client.chat.completions.with_raw_response.create(
        model=kwargs.pop("model", "auto"),
        messages=messages,  # type: ignore[arg-type]
        max_tokens=8,
        extra_body=extra_body,
        **kwargs,
    )
    if kwargs.get("stream"):
        for _ in raw.parse():
            pass
    else:
        raw.parse()
    return raw


# -- every positive stays on premises ------------------------------------------------------------


@pytest.mark.parametrize("case", params(POSITIVES))
def test_a_positive_stays_local(rig: Rig, case: Case) -> None:
    rig.reset()
    chat(rig, [{"role": "user", "content": case.text}])
    rig.assert_kept_local(case.secret)


# the class each kind must be recorded as (hints.py: hipaa > pii > legal > confidential)
CLASS_OF = {
    "card": "pii",
    "iban": "pii",
    "ssn": "pii",
    "phone": "pii",
    "email": "pii",
    "health": "hipaa",
    "legal": "legal",
    "confidential": "confidential",
}


def _class_cases() -> list[tuple[Case, str]]:
    """Up to 10 caught cases per kind, spread over the kind (the breadth is tested above)."""
    by_kind: dict[str, list[tuple[Case, str]]] = {}
    for c in POSITIVES:
        if c.id in LEAKS or c.id == "key-jwt-bearer":  # a JWT carries an e-mail: pii wins
            continue
        cls = CLASS_OF.get(c.category) or ("confidential" if c.id.startswith("key-") else None)
        if cls:
            by_kind.setdefault(c.category, []).append((c, cls))
    return [pair for pairs in by_kind.values() for pair in pairs[:: max(1, len(pairs) // 10)]]


CLASS_CASES = _class_cases()


@pytest.mark.parametrize(
    ("case", "expected"), [marked(f"class-{c.id}", c, cls) for c, cls in CLASS_CASES]
)
def test_the_recorded_class_is_the_kinds_class(rig: Rig, case: Case, expected: str) -> None:
    """Health data is hipaa, privilege legal, markers and keys confidential, the rest pii."""
    rig.reset()
    raw = chat(rig, [{"role": "user", "content": case.text}])
    assert raw.headers["x-tiergate-classification"] == expected


# -- held out: fresh wording and values, written after the detector was fitted to the cases above --


@pytest.mark.parametrize("case", params(HELD_OUT))
def test_a_held_out_positive_stays_local(rig: Rig, case: Case) -> None:
    rig.reset()
    chat(rig, [{"role": "user", "content": case.text}])
    rig.assert_kept_local(case.secret)


@pytest.mark.parametrize("case", params(HELD_OUT_NEGATIVES))
def test_a_held_out_negative_reaches_the_cloud(rig: Rig, case: Case) -> None:
    rig.reset()
    chat(rig, [{"role": "user", "content": case.text}])
    assert rig.tiers.local.count() == 0, "held back on premises"
    assert rig.tiers.openai.count() == 1


# -- hard negatives still reach the cloud ----------------------------------------------------------


@pytest.mark.parametrize("case", params(NEGATIVES))
def test_a_hard_negative_reaches_the_cloud(rig: Rig, case: Case) -> None:
    rig.reset()
    chat(rig, [{"role": "user", "content": case.text}])
    assert rig.tiers.local.count() == 0, "held back on premises"
    assert rig.tiers.openai.count() == 1
    assert case.secret.encode() in rig.tiers.openai.received[0].raw


# -- a value split across two messages or two content parts ------------------------------------


def halves(value: str) -> tuple[str, str]:
    middle = len(value) // 2
    return value[:middle], value[middle:]


@pytest.mark.parametrize("kind", [marked(f"split-messages-{k}", k) for k in sorted(SPLITS)])
def test_a_value_split_across_two_messages_stays_local(rig: Rig, kind: str) -> None:
    rig.reset()
    first, second = halves(SPLITS[kind])
    chat(
        rig,
        [
            {"role": "user", "content": f"Here it comes in two pieces: {first}"},
            {"role": "user", "content": second},
        ],
    )
    rig.assert_kept_local(SPLITS[kind], first, second)


@pytest.mark.parametrize("kind", [marked(f"split-parts-{k}", k) for k in sorted(SPLITS)])
def test_a_value_split_across_two_content_parts_stays_local(rig: Rig, kind: str) -> None:
    rig.reset()
    first, second = halves(SPLITS[kind])
    chat(
        rig,
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"Store this: {first}"},
                    {"type": "text", "text": second},
                ],
            }
        ],
    )
    rig.assert_kept_local(SPLITS[kind], first, second)


# -- every field of the request (the issue's first list) ----------------------------------------


def _user(text: str = "Hello.") -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def _tool(description: str = "Look a record up", **properties: Any) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": description,
            "parameters": {"type": "object", "properties": properties or {"q": {"type": "string"}}},
        },
    }


def _call(arguments: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup", "arguments": arguments},
            }
        ],
    }


# placement -> (value) -> keyword arguments of client.chat.completions.create
FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "user": lambda v: {"messages": _user(), "user": v},
    "safety_identifier": lambda v: {"messages": _user(), "safety_identifier": v},
    "prompt_cache_key": lambda v: {"messages": _user(), "prompt_cache_key": v},
    "metadata_value": lambda v: {"messages": _user(), "metadata": {"customer": v}},
    "metadata_key": lambda v: {"messages": _user(), "metadata": {v: "1"}},
    "stop_string": lambda v: {"messages": _user(), "stop": v},
    "stop_list": lambda v: {"messages": _user(), "stop": ["\n\n", v]},
    "prediction_string": lambda v: {
        "messages": _user(),
        "prediction": {"type": "content", "content": v},
    },
    "prediction_parts": lambda v: {
        "messages": _user(),
        "prediction": {"type": "content", "content": [{"type": "text", "text": v}]},
    },
    "tool_choice_extra_key": lambda v: {
        "messages": _user(),
        "tools": [_tool()],
        "tool_choice": {"type": "function", "function": {"name": "lookup", "hint": v}},
    },
    "tool_description": lambda v: {"messages": _user(), "tools": [_tool(v)]},
    "tool_parameter_description": lambda v: {
        "messages": _user(),
        "tools": [_tool(q={"type": "string", "description": v})],
    },
    "tool_parameter_enum": lambda v: {
        "messages": _user(),
        "tools": [_tool(q={"type": "string", "enum": ["none", v]})],
    },
    "tool_parameter_default": lambda v: {
        "messages": _user(),
        "tools": [_tool(q={"type": "string", "default": v})],
    },
    "tool_parameter_name": lambda v: {
        "messages": _user(),
        "tools": [_tool(**{v: {"type": "string"}})],
    },
    "response_format_description": lambda v: {
        "messages": _user(),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "out", "description": v, "schema": {"type": "object"}},
        },
    },
    "response_format_schema_const": lambda v: {
        "messages": _user(),
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "out",
                "schema": {"type": "object", "properties": {"x": {"const": v}}},
            },
        },
    },
    "legacy_functions_description": lambda v: {
        "messages": _user(),
        "functions": [{"name": "lookup", "description": v, "parameters": {"type": "object"}}],
    },
    "legacy_assistant_function_call": lambda v: {
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
    "tool_call_arguments": lambda v: {
        "messages": [
            {"role": "user", "content": "Look it up."},
            _call(orjson.dumps({"q": v}).decode()),
            {"role": "tool", "tool_call_id": "call_1", "content": "found"},
        ],
        "tools": [_tool()],
    },
    "tool_result": lambda v: {
        "messages": [
            {"role": "user", "content": "Look it up."},
            _call("{}"),
            {"role": "tool", "tool_call_id": "call_1", "content": v},
        ],
        "tools": [_tool()],
    },
    "tool_result_parts": lambda v: {
        "messages": [
            {"role": "user", "content": "Look it up."},
            _call("{}"),
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": v}]},
        ],
        "tools": [_tool()],
    },
    "assistant_refusal": lambda v: {
        "messages": [
            {"role": "user", "content": "Hi."},
            {"role": "assistant", "content": None, "refusal": v},
            {"role": "user", "content": "Why?"},
        ]
    },
    "assistant_parts": lambda v: {
        "messages": [
            {"role": "user", "content": "Hi."},
            {"role": "assistant", "content": [{"type": "text", "text": v}]},
            {"role": "user", "content": "Go on."},
        ]
    },
    "developer_message": lambda v: {
        "messages": [{"role": "developer", "content": v}, {"role": "user", "content": "Go."}]
    },
    "system_parts": lambda v: {
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": v}]},
            {"role": "user", "content": "Go."},
        ]
    },
    "message_name": lambda v: {
        "messages": [{"role": "user", "content": "Hello.", "name": v.replace(" ", "_")}]
    },
    "unknown_top_level_key": lambda v: {"messages": _user(), "extra_body": {"x_customer": v}},
    "unknown_nested_top_level": lambda v: {
        "messages": _user(),
        "extra_body": {"x_trace": {"tags": [{"who": v}]}},
    },
    "unknown_message_key": lambda v: {
        "messages": [{"role": "user", "content": "Hello.", "annotations": [{"note": v}]}]
    },
    "unknown_part_key": lambda v: {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi.", "cache": v}]}]
    },
}


@pytest.mark.parametrize(
    ("placement", "value"),
    [marked(f"{p}-{v}", p, v) for p in sorted(FIELDS) for v in sorted(FIELD_VALUES)],
)
def test_a_value_in_any_chat_field_stays_local(rig: Rig, placement: str, value: str) -> None:
    rig.reset()
    secret = FIELD_VALUES[value]
    kwargs = FIELDS[placement](secret)
    chat(rig, kwargs.pop("messages"), **kwargs)
    rig.assert_kept_local(secret)


@pytest.mark.parametrize("placement", [marked(f"tier2-{p}", p) for p in sorted(FIELDS)])
def test_a_value_in_any_chat_field_stays_local_when_the_hosted_ollama_would_serve_it(
    rig: Rig, placement: str
) -> None:
    """quality=high picks tier 2, the hosted Ollama: its wire format carries the fields elsewhere."""
    rig.reset()
    secret = FIELD_VALUES["email"]
    kwargs = FIELDS[placement](secret)
    chat(rig, kwargs.pop("messages"), hints={"quality": "high"}, **kwargs)
    rig.assert_kept_local(secret)


# Content only a cloud provider can take (the local Ollama can't fetch a remote image or read an
# unknown part type): with a value in it, no provider may serve it: a 403, and nothing is sent.
CLOUD_ONLY_CONTENT: dict[str, Callable[[str], dict[str, Any]]] = {
    "remote_image_url": lambda v: {
        "type": "image_url",
        "image_url": {"url": "https://crm.example/u/" + quote(v) + "/a.png"},
    },
    "unknown_part_type": lambda v: {"type": "input_text", "text": v},
}


@pytest.mark.parametrize("part", sorted(CLOUD_ONLY_CONTENT))
def test_a_value_in_cloud_only_content_is_refused_and_sent_nowhere(rig: Rig, part: str) -> None:
    rig.reset()
    content = [
        {"type": "text", "text": "Describe it."},
        CLOUD_ONLY_CONTENT[part](FIELD_VALUES["email"]),
    ]
    with pytest.raises(openai.PermissionDeniedError):
        chat(rig, [{"role": "user", "content": content}])
    assert sum(f.count() for f in rig.tiers.all) == 0


def test_a_card_as_a_json_number_stays_local(rig: Rig) -> None:
    rig.reset()
    card = SPLITS["card"].replace(" ", "")
    chat(rig, _user(), metadata={"n": card}, extra_body={"x_card": int(card)})
    rig.assert_kept_local(card)


@pytest.mark.parametrize(
    ("message", "param"),
    [
        (
            {"role": "user", "content": [{"type": "text", "text": {"v": FIELD_VALUES["ssn"]}}]},
            "messages[0].content[0].text",
        ),
        (
            {"role": "user", "content": "Hi.", "name": {"v": FIELD_VALUES["email"]}},
            "messages[0].name",
        ),
    ],
)
def test_an_object_where_text_belongs_is_a_400_naming_it(
    rig: Rig, message: dict[str, Any], param: str
) -> None:
    rig.reset()
    with pytest.raises(openai.BadRequestError) as caught:
        chat(rig, [message])
    assert caught.value.body["param"] == param  # type: ignore[index]
    assert sum(f.count() for f in rig.tiers.all) == 0


EMBEDDING_FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "input_string": lambda v: {"input": v},
    "input_list": lambda v: {"input": ["the quarterly roadmap", v]},
    "user": lambda v: {"input": "the quarterly roadmap", "user": v},
    "unknown_key": lambda v: {"input": "the quarterly roadmap", "extra_body": {"x_owner": v}},
    "metadata": lambda v: {"input": "the quarterly roadmap", "extra_body": {"metadata": {"o": v}}},
}


@pytest.mark.parametrize("value", sorted(FIELD_VALUES))
@pytest.mark.parametrize("placement", sorted(EMBEDDING_FIELDS))
def test_a_value_in_any_embeddings_field_stays_local(rig: Rig, placement: str, value: str) -> None:
    rig.reset()
    secret = FIELD_VALUES[value]
    kwargs = EMBEDDING_FIELDS[placement](secret)
    extra_body = {"tiergate": CRITICAL, **kwargs.pop("extra_body", {})}
    rig.client.embeddings.create(model="auto", extra_body=extra_body, **kwargs)
    rig.assert_kept_local(secret)


def test_embedding_token_ids_cannot_be_scanned_so_they_are_a_400(rig: Rig) -> None:
    """Token ids are text the provider decodes; the gateway can't read them, so it refuses them."""
    rig.reset()
    with pytest.raises(openai.BadRequestError) as caught:
        rig.client.embeddings.create(
            model="auto",
            input=[[73, 1097, 1578, 13, 22, 16, 18]],
            extra_body={"tiergate": CRITICAL},
        )
    assert caught.value.body["param"] == "input"  # type: ignore[index]
    assert sum(f.count() for f in rig.tiers.all) == 0


# -- streams, pins, the Responses API and Ollama's own API ---------------------------------------

ONE_PER_CATEGORY = list({c.category: c for c in reversed(POSITIVES) if c.id not in LEAKS}.values())[
    ::-1
]


@pytest.mark.parametrize("case", params(ONE_PER_CATEGORY))
def test_a_stream_stays_local(rig: Rig, case: Case) -> None:
    rig.reset()
    chat(rig, _user(case.text), stream=True)
    rig.assert_kept_local(case.secret)


@pytest.mark.parametrize("case", params(ONE_PER_CATEGORY))
def test_a_public_label_does_not_let_detected_data_out(rig: Rig, case: Case) -> None:
    """The caller's label is one input; the most restrictive of label and detector wins."""
    rig.reset()
    chat(rig, _user(case.text), hints={**CRITICAL, "classification": "public"})
    rig.assert_kept_local(case.secret)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-oss:120b"])
@pytest.mark.parametrize("case", params(ONE_PER_CATEGORY[::3]))
def test_a_pin_to_a_cloud_model_is_refused(rig: Rig, case: Case, model: str) -> None:
    rig.reset()
    with pytest.raises(openai.PermissionDeniedError):
        chat(rig, _user(case.text), model=model)
    assert sum(f.count() for f in rig.tiers.all) == 0


def test_a_pin_to_the_local_model_is_served_there(rig: Rig) -> None:
    rig.reset()
    case = ONE_PER_CATEGORY[0]
    chat(rig, _user(case.text), model="llama3.2:3b")
    rig.assert_kept_local(case.secret)


# placement -> (keyword arguments of client.responses.create, what happens to the value): the
# Responses ingress forwards input and instructions (scanned) and does not forward the rest, so
# a value there never leaves and the clean request may go to the cloud without it.
RESPONSES_FIELDS: dict[str, tuple[Callable[[str], dict[str, Any]], str]] = {
    "input_string": (lambda v: {"input": v}, "kept_local"),
    "input_messages": (lambda v: {"input": [{"role": "user", "content": v}]}, "kept_local"),
    "instructions": (lambda v: {"input": "Go.", "instructions": v}, "kept_local"),
    "metadata": (lambda v: {"input": "Go.", "metadata": {"who": v}}, "not_forwarded"),
    "user": (lambda v: {"input": "Go.", "user": v}, "not_forwarded"),
    "unknown_key": (lambda v: {"input": "Go.", "extra_body": {"x_note": v}}, "not_forwarded"),
}


@pytest.mark.parametrize("placement", sorted(RESPONSES_FIELDS))
def test_the_responses_api_never_sends_a_value_to_the_cloud(rig: Rig, placement: str) -> None:
    rig.reset()
    secret = FIELD_VALUES["ssn"]
    make, outcome = RESPONSES_FIELDS[placement]
    kwargs = make(secret)
    extra_body = {"tiergate": CRITICAL, **kwargs.pop("extra_body", {})}
    rig.client.responses.create(model="auto", max_output_tokens=16, extra_body=extra_body, **kwargs)
    if outcome == "kept_local":
        rig.assert_kept_local(secret)
    else:
        assert rig.cloud_saw(secret) == []
        assert rig.tiers.openai.count() == 1 and rig.tiers.local.count() == 0


OLLAMA_CALLS: dict[str, Callable[[ollama.Client, str], object]] = {
    "chat_content": lambda c, v: c.chat(model="auto", messages=[{"role": "user", "content": v}]),
    "chat_system": lambda c, v: c.chat(
        model="auto",
        messages=[{"role": "system", "content": v}, {"role": "user", "content": "Go."}],
    ),
    "chat_options_stop": lambda c, v: c.chat(
        model="auto", messages=[{"role": "user", "content": "Go."}], options={"stop": [v]}
    ),
    "chat_format_schema": lambda c, v: c.chat(
        model="auto",
        messages=[{"role": "user", "content": "Go."}],
        format={"type": "object", "description": v, "properties": {}},
    ),
    "chat_tool_description": lambda c, v: c.chat(
        model="auto", messages=[{"role": "user", "content": "Go."}], tools=[_tool(v)]
    ),
    "chat_stream": lambda c, v: list(
        c.chat(model="auto", messages=[{"role": "user", "content": v}], stream=True)
    ),
    "generate_prompt": lambda c, v: c.generate(model="auto", prompt=v),
    "generate_system": lambda c, v: c.generate(model="auto", prompt="Go.", system=v),
    "embed_input": lambda c, v: c.embed(model="auto", input=["a clean line", v]),
}


@pytest.mark.parametrize("case", params(ONE_PER_CATEGORY[:4]))
@pytest.mark.parametrize("call", sorted(OLLAMA_CALLS))
def test_ollamas_own_api_keeps_a_value_local(rig: Rig, call: str, case: Case) -> None:
    rig.reset()
    with ollama.Client(host=rig.url, headers=CRITICAL_HEADERS, timeout=30) as client:
        OLLAMA_CALLS[call](client, case.text)
    rig.assert_kept_local(case.secret)


# -- with the local tier down, nothing goes to the cloud -----------------------------------------


def test_with_the_local_tier_down_every_category_is_a_503_and_the_cloud_sees_nothing(
    gateway: Start, tiers: Tiers
) -> None:
    tiers.local.behaviour = "fail-503"
    url = gateway()
    with openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=30) as client:
        for case in ONE_PER_CATEGORY:
            for stream in (False, True):
                with pytest.raises(openai.InternalServerError) as caught:
                    response = client.chat.completions.create(
                        model="auto",
                        messages=_user(case.text),  # type: ignore[arg-type]
                        stream=stream,
                        extra_body={"tiergate": CRITICAL},
                    )
                    if stream:
                        list(response)  # type: ignore[arg-type]
                assert caught.value.status_code == 503, case.id
            with pytest.raises(openai.InternalServerError):
                client.embeddings.create(
                    model="auto", input=case.text, extra_body={"tiergate": CRITICAL}
                )
    assert tiers.cloud_received() == 0


# -- pathological input: linear time, never freezing the gateway --------------------------------

MIB = 1024 * 1024


def _fill(unit: str) -> str:
    return (unit * (MIB // len(unit) + 1))[:MIB]


NEAR_MATCHES: dict[str, str] = {
    "parens-and-digits": "(1",
    "digits-and-spaces": "1 ",
    "digits-and-dashes": "12-",
    "one-long-number": "0123456789",
    "plus-signs-and-digits": "+1 (",
    "dotted-numbers": "1.",
    "at-signs": "a@",
    "dotted-words": "a.",
    "base64-run": "QUFB",
    "percent-run": "%4",
    "html-entity-run": "&#4",
    "pem-headers-without-end": "-----BEGIN PRIVATE KEY-----\nMIIE",
    "key-words-without-values": "password: token= api_key ",
    "near-cards": "4111 1111 1111 111, ",
    "near-phones": "+1 (415) 555-01 ext. ",
    "near-ibans": "DE00 0000 0000 0000 00 ",
    "zero-width-run": "1\u200b",
}
NEAR_CARD_ROWS = _fill(NEAR_MATCHES["near-cards"])


def _answer(rig: Rig, text: str) -> None:
    """One chat with no hints (default rule: the local tier), under a 60 s deadline."""
    raw = rig.client.with_options(timeout=60).chat.completions.with_raw_response.create(
        model="auto", messages=_user(text), max_tokens=8
    )
    assert raw.parse().choices[0].message.content
    assert raw.http_response.status_code == 200
    assert rig.tiers.local.count() == 1


def test_a_1_mib_run_of_open_parens_is_answered(rig: Rig) -> None:
    """The issue's own example: 40,000 '(' took 7 s; 1 MiB of them must finish."""
    rig.reset()
    _answer(rig, _fill("("))


def test_a_1_mib_body_of_every_near_match_is_answered(rig: Rig) -> None:
    """A stripe of each near-match family (about 60 KiB each), 1 MiB in all."""
    rig.reset()
    stripe = MIB // len(NEAR_MATCHES)
    _answer(rig, "".join(_fill(unit)[:stripe] for unit in NEAR_MATCHES.values()))


def test_small_requests_are_answered_while_a_1_mib_body_is_scanned(rig: Rig) -> None:
    """Half '(' runs, half numeric rows of near-cards (the slowest family measured)."""
    rig.reset()
    big_text = _fill("(")[: MIB // 2] + NEAR_CARD_ROWS[: MIB // 2]

    async def run() -> tuple[Any, list[Any]]:
        async with openai.AsyncOpenAI(
            base_url=rig.url + "/v1", api_key="unused", max_retries=0
        ) as client:

            async def small(i: int) -> Any:
                await asyncio.sleep(0.25 * i)  # spread over the big one's scan
                return await client.with_options(timeout=30).chat.completions.create(
                    model="auto", messages=_user(f"Say hello number {i}."), max_tokens=8
                )

            big = client.with_options(timeout=60).chat.completions.create(
                model="auto", messages=_user(big_text), max_tokens=8
            )
            answers = await asyncio.gather(big, *(small(i) for i in range(12)))
            return answers[0], list(answers[1:])

    big, smalls = asyncio.run(run())
    assert big.choices[0].message.content
    assert len(smalls) == 12
    assert all(s.choices[0].message.content for s in smalls)
    assert rig.tiers.local.count() == 13


PROSE = (
    "The scheduler retries a failed job three times before it gives up. "
    "Each worker reads its queue in batches and writes a summary line to the log. "
    "When the cache is cold the first request is slower, which the dashboard shows. "
)


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_value_deep_in_a_large_body_stays_local(rig: Rig, where: str) -> None:
    """One e-mail address in 512 KiB of prose: the scan covers the whole body, not a prefix."""
    rig.reset()
    secret = "ingrid.solberg@telenor-example.no"
    filler = _fill(PROSE)[: MIB // 2]
    at = {"start": 100, "middle": len(filler) // 2, "end": len(filler) - 100}[where]
    at = filler.rindex(" ", 0, at)
    chat(rig, _user(f"{filler[:at]} write to {secret} {filler[at:]}"))
    rig.assert_kept_local(secret)


def test_a_base64_attachment_of_a_csv_with_ssns_stays_local(rig: Rig) -> None:
    """A mail attachment: 48 KiB of base64 whose CSV rows carry an SSN each, the last row at the end."""
    rig.reset()
    rows = ["name,ssn,plan"]
    for i in range(900):
        s = SPLITS["ssn"] if i == 899 else f"{100 + i % 500:03d}-{10 + i % 80:02d}-{1000 + i:04d}"
        rows.append(f"Member {i},{s},gold")
    blob = base64.b64encode("\n".join(rows).encode()).decode()
    chat(rig, _user(f"Attachment members.csv (base64):\n{blob}"))
    assert rig.cloud_count() == 0
    assert rig.tiers.local.count() == 1


def test_the_cases_have_the_breadth_the_issue_asks_for() -> None:
    """The breadth the issue asks for: at least 20 phone regions, 25 key vendors, every issuer."""
    regions = {
        c.id.split("-")[1][:2]
        for c in POSITIVES
        if c.category == "phone" and c.id.split("-")[1][:2].isupper()
    }
    vendors = {c.id.split("-")[1] for c in POSITIVES if c.id.startswith("key-")}
    assert len(regions) >= 20, regions
    assert len(vendors) >= 25, vendors
    assert {"mir2200", "mir2204", "amex34", "jcb", "unionpay16", "discover644"} <= {
        c.id.split("-")[1] for c in POSITIVES if c.category == "card"
    }
