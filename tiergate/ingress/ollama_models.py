"""/api/tags, /api/show and /api/version: the models served here, as Ollama lists them.

"auto" (tiergate routes) comes first, then every configured model with the provider, tier
and whether it is on premises, so an Ollama client's model picker shows where work goes.
Requests to load or unload a model are answered at once: providers load their own.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from tiergate.config import Config
from tiergate.errors import InvalidRequest, NotFound
from tiergate.ingress.ollama import created_at

# The Ollama API level served here; clients compare it to decide which features exist.
OLLAMA_API_VERSION = "0.12.0"


def _entry(name: str, provider: str | None, config: Config, started: float) -> dict[str, Any]:
    found = config.provider(provider) if provider else None
    return {
        "name": name,
        "model": name,
        "modified_at": created_at(int(started)),
        "size": 0,
        "digest": hashlib.sha256(name.encode()).hexdigest(),
        "details": {
            "parent_model": "",
            "format": "",
            "family": "",
            "families": None,
            "parameter_size": "",
            "quantization_level": "",
        },
        "tiergate": {
            "provider": found.name if found else None,
            "tier": found.tier if found else None,
            "on_premises": found.on_premises if found else None,
        },
    }


def tags(config: Config, pins: Mapping[str, str], started: float) -> dict[str, Any]:
    """GET /api/tags: "auto" (tiergate routes) and every configured model with its provider."""
    models = [_entry("auto", None, config, started)]
    models += [_entry(model, provider, config, started) for model, provider in pins.items()]
    return {"models": models}


def show(body: dict[str, Any], config: Config, pins: Mapping[str, str]) -> dict[str, Any]:
    """POST /api/show: what a model can do (capabilities) and where it is served."""
    name = body.get("model") or body.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("model is required: a model name from /api/tags", param="model")
    if name == "auto":
        capabilities = ["completion", "tools", "embedding"]
        info: dict[str, Any] = {"tiergate.routed": True}
    elif name in pins:
        provider = config.provider(pins[name])
        tasks = {task for task, model in provider.models.items() if model == name}
        capabilities = ["completion", "tools"] if tasks != {"embedding"} else []
        if "embedding" in tasks:
            capabilities.append("embedding")
        info = {
            "tiergate.provider": provider.name,
            "tiergate.tier": provider.tier,
            "tiergate.on_premises": provider.on_premises,
        }
    else:
        raise NotFound(
            f"model '{name}' not found; /api/tags lists the models served here", param="model"
        )
    return {
        "modelfile": "",
        "parameters": "",
        "template": "",
        "details": {
            "parent_model": "",
            "format": "",
            "family": "",
            "families": None,
            "parameter_size": "",
            "quantization_level": "",
        },
        "model_info": info,
        "capabilities": capabilities,
    }


def version() -> dict[str, Any]:
    return {"version": OLLAMA_API_VERSION}


def load_reply(body: dict[str, Any], kind: str, pins: Mapping[str, str]) -> dict[str, Any] | None:
    """The answer to a request that only loads a model (`kind` "chat" without messages,
    "generate" without prompt or images), or None when the body asks for an answer."""
    if kind == "chat":
        loads = body.get("messages") in (None, [])
    else:
        loads = body.get("prompt") in (None, "") and body.get("images") in (None, [])
    if not loads:
        return None
    model = body.get("model")
    if model != "auto" and not (isinstance(model, str) and model in pins):
        raise InvalidRequest(
            f'model {model!r:.80} is not served here; use "auto" or one of: {", ".join(pins)}',
            param="model",
        )
    unload = body.get("keep_alive") in (0, "0", "0s", "0m")
    reply: dict[str, Any] = {"model": model, "created_at": created_at(int(time.time()))}
    if kind == "chat":
        reply["message"] = {"role": "assistant", "content": ""}
    else:
        reply["response"] = ""
    return {**reply, "done": True, "done_reason": "unload" if unload else "load"}
