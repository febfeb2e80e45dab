"""What each wire translator costs per request: encode a chat body, decode a whole answer, and
translate a streamed answer event by event, for every protocol, on the recorded fixtures.

Pure CPU (no I/O): the figures are the translators' share of the gateway's overhead.

    python benchmarks/bench_protocols.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tiergate import protocols

FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures"
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
BODY = {
    "model": "auto",
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "What is the weather in Paris? " * 20},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"},
    ],
    "tools": [TOOL],
    "temperature": 0.3,
}
# protocol -> (whole answer, streamed answer)
ANSWERS = {
    "openai": ("openai_chat.json", "openai_chat_stream.sse"),
    "ollama": ("ollama_chat.json", "ollama_chat_stream.jsonl"),
    "anthropic": ("anthropic_messages.json", "anthropic_messages_stream.sse"),
    "azure": ("azure_chat.json", "azure_chat_stream.sse"),
}


def per_call_us(work: Callable[[], object], seconds: float = 0.5) -> float:
    calls = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            work()
        calls += 100
    return elapsed / calls * 1e6


def main() -> None:
    print(f"{'protocol':<10} {'encode µs':>10} {'decode µs':>10} {'stream µs':>10} {'events':>7}")
    for name, (whole, streamed) in ANSWERS.items():
        wire = protocols.get(name)
        payload = (FIXTURES / whole).read_bytes()
        lines = [line for line in (FIXTURES / streamed).read_bytes().split(b"\n") if line.strip()]

        def encode(wire: protocols.WireProtocol = wire) -> object:
            return wire.encode_chat(BODY, model="m", max_tokens=256, stream=False)

        def decode(wire: protocols.WireProtocol = wire, payload: bytes = payload) -> object:
            return wire.decode_chat(payload, model="m", request_id="r", created=1)

        def stream(wire: protocols.WireProtocol = wire, lines: list[bytes] = lines) -> object:
            decoder = wire.ChatStream(model="m", request_id="r", created=1, include_usage=True)
            return [decoder.feed(line) for line in lines]

        print(
            f"{name:<10} {per_call_us(encode):>10.1f} {per_call_us(decode):>10.1f} "
            f"{per_call_us(stream):>10.1f} {len(lines):>7}"
        )


if __name__ == "__main__":
    main()
