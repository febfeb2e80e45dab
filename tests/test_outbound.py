"""Encode first, then scan and count: properties of tiergate.outbound over generated request bodies.

For any request the gateway accepts, every string (key or value, numbers too) of every body a
provider would receive is in what the detector reads, and the bound is at least the bytes of
every such string: nothing leaves unscanned or uncounted, whatever the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tiergate import intake
from tiergate.config import Config, parse_config
from tiergate.errors import InvalidRequest
from tiergate.outbound import Request, encode_all, scan_texts, strings

CONFIG = """
store: sqlite:///{store}
providers:
  - {{name: local, protocol: ollama, base_url: "http://127.0.0.1:9", tier: 1, on_premises: true,
      models: {{default: "llama3.2:3b", embedding: bge-m3}}}}
  - {{name: cloud, protocol: ollama, base_url: "http://127.0.0.1:9", api_key: k, tier: 2,
      models: {{default: "gpt-oss:120b"}}, prices: {{default: {{input_per_mtok: 1, output_per_mtok: 1}}}}}}
  - {{name: openai, protocol: openai, base_url: "http://127.0.0.1:9/v1", api_key: k, tier: 3,
      models: {{default: gpt-4o}}, prices: {{default: {{input_per_mtok: 2.5, output_per_mtok: 10}}}}}}
"""


def config(tmp: Path) -> Config:
    return parse_config(CONFIG.format(store=tmp / "x.db"), env={})


text = st.text(min_size=0, max_size=20)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)
extra_fields = st.dictionaries(
    st.sampled_from(
        ["user", "metadata", "stop", "prediction", "tool_choice", "x_unknown", "seed", "logit_bias"]
    )
    | text,
    json_values,
    max_size=4,
)
content = st.one_of(
    text,
    st.lists(
        st.fixed_dictionaries({"type": st.just("text"), "text": text}, optional={"x": json_values}),
        min_size=1,
        max_size=3,
    ),
)
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant"]), "content": content},
    optional={"name": text, "x_note": json_values},
)
chat_bodies = st.builds(
    lambda messages, extra: {**extra, "model": "auto", "messages": messages},
    st.lists(message, min_size=1, max_size=4),
    extra_fields,
)


def _accepted(body: dict[str, Any]) -> bool:
    try:
        intake.check_chat(body)
    except InvalidRequest:
        return False
    return True


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=chat_bodies, stream=st.booleans())
def test_every_string_sent_is_scanned_and_counted(
    tmp_path: Path, body: dict[str, Any], stream: bool
) -> None:
    assume(_accepted(body))
    request = Request(endpoint="chat", body=body, task="chat", stream=stream, max_tokens=None)
    outbound = encode_all(config(tmp_path), request)
    scanned = "\n".join(scan_texts([o.body for o in outbound.values() if o.body], request))
    for o in outbound.values():
        if o.body is None:
            continue
        sent = orjson.loads(o.payload)
        total = 0
        for s in strings(sent):
            assert s in scanned, (o.provider, s)
            total += len(s.encode())
        assert o.prompt_tokens >= total


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    inputs=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4), extra=extra_fields
)
def test_every_embeddings_string_sent_is_scanned(
    tmp_path: Path, inputs: list[str], extra: dict[str, Any]
) -> None:
    body = {**extra, "model": "auto", "input": inputs}
    try:
        intake.check_embeddings(body)
    except InvalidRequest:
        assume(False)
    request = Request(
        endpoint="embeddings", body=body, task="embedding", stream=False, max_tokens=None
    )
    outbound = encode_all(config(tmp_path), request)
    scanned = "\n".join(scan_texts([o.body for o in outbound.values() if o.body], request))
    for o in outbound.values():
        for s in strings(orjson.loads(o.payload)):
            assert s in scanned
