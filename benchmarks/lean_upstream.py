"""An upstream for load tests that costs next to nothing: one canned chat completion.

FakeUpstream (aiohttp) spends ~70 µs of CPU a request. On a 2-core machine the load
generator and the upstream share the cores with the servers under test, so every µs they
spend is taken from what `--workers 2` can show. This one parses the request with httptools
on uvloop and answers every request with the bytes FakeUpstream sends for the benchmark's
prompt (the same usage, so the paid path prices the same tokens), keep-alive included.

    python benchmarks/lean_upstream.py PORT
"""

from __future__ import annotations

import asyncio
import sys
from typing import cast

import httptools
import uvloop

BODY = (
    b'{"id":"chatcmpl-lean00000001","object":"chat.completion","created":1796186894,'
    b'"model":"bench-model","system_fingerprint":"fp_fake","service_tier":"default",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"simulated reply from '
    b'bench word5 word6 word7 word8 word9 word10 word11 word12","refusal":null,'
    b'"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":15,'
    b'"completion_tokens":12,"total_tokens":27,"prompt_tokens_details":{"cached_tokens":0,'
    b'"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,'
    b'"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}'
)
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


class Upstream(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.parser = httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_complete(self) -> None:
        self.transport.write(RESPONSE)
        if not self.parser.should_keep_alive():
            self.transport.close()


async def main(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Upstream, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1])))
