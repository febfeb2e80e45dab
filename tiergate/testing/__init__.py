"""FakeUpstream: a real loopback HTTP server that speaks the Ollama, OpenAI, Anthropic and Azure
OpenAI wire formats for tests.

One instance answers every protocol on one port: Ollama's native API under ``/api/*``
(``url`` is its base_url), the OpenAI API under ``/v1/*`` (``openai_base_url``),
Anthropic's Messages API at ``/v1/messages`` (base_url ``url``; it checks ``x-api-key`` and
``anthropic-version``) and Azure deployments at ``/openai/deployments/{name}/...`` (base_url
``url``; it checks ``api-key`` and ``api-version``). OpenAI's Responses API is at
``/v1/responses`` (a response object, or its typed events ending in response.completed with
the usage; an unknown parameter or a max_output_tokens under 16 is a 400, as at OpenAI).
The official ``ollama`` and ``openai`` clients parse its answers, sync and streaming.
Like a real upstream, it answers a missing or wrongly-typed field with a 400 in that
protocol's error format, never a 500.

Each request's behaviour is chosen, first match wins, from: the ``x-fake-behaviour``
header; the last ``[[fake:BEHAVIOUR]]`` directive in the request's text (message
contents or embeddings input; the last one, because chat histories carry earlier
turns); a model named ``fake:BEHAVIOUR``; the instance's ``behaviour``. Behaviours:
``ok``, ``slow`` / ``slow-<seconds>``, ``fail-<status>``, ``retry-after-<seconds>``,
``hang``, ``cut-stream``, ``malformed``, ``no-usage``, ``drop`` (the connection closes
after the request arrived), ``long-<bytes>`` (the first token is that many bytes, so a
streamed line is that long) and ``words-<n>``.

Token accounting is deliberately simple so tests can predict it: one token per
reply word; a prompt costs ceil(utf8_bytes / 4) + 3 per message, plus 3; an
embeddings input costs ceil(utf8_bytes / 4). ``served_prompt_tokens`` and
``served_completion_tokens`` are the upstream's own ledger: they grow only for
answers sent in full. A cut stream, a hang, a failure or a malformed body adds
nothing; a ``no-usage`` answer still adds what it served, because a real provider
bills tokens whether or not the response says so.

OpenAI's Files and Batches API is there too (``/v1/files``, ``/v1/batches``): a batch
completes ``batch_delay_s`` after its creation, each line with its own behaviour
(``fake.batches.batch_runs`` counts the runs of each custom_id).

Modules: ``_behaviour`` (names and choice), ``_checks`` (the 400s), ``_wire`` (pure
payloads and token accounting), ``_anthropic``, ``_azure`` and ``_responses`` (those APIs'
checks and payloads), ``_batches`` (Files and Batches), ``_loopback`` (start, stop, kill,
revive) and ``_upstream`` (FakeUpstream itself).
"""

from tiergate.testing._behaviour import BEHAVIOUR_HEADER, Fault, parse_behaviour
from tiergate.testing._upstream import FakeUpstream, Received

__all__ = ["BEHAVIOUR_HEADER", "FakeUpstream", "Fault", "Received", "parse_behaviour"]
