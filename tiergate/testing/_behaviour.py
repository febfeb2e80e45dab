"""Behaviours: parse names such as ``fail-503`` and choose the one each request gets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tiergate.testing._wire import texts

BEHAVIOUR_HEADER = "x-fake-behaviour"
ALLOWED = (
    "expected ok, slow, slow-<seconds>, fail-<status>, retry-after-<seconds>, hang, "
    "cut-stream, malformed, no-usage, drop, long-<bytes> or words-<n>"
)

_DIRECTIVE = re.compile(r"\[\[fake:([A-Za-z0-9_.\-]+)\]\]")
_BEHAVIOUR = re.compile(
    r"(?P<kind>ok|hang|cut-stream|malformed|no-usage|drop)"
    r"|slow(?:-(?P<slow>\d+(?:\.\d+)?))?"
    r"|fail-(?P<fail>[45]\d\d)"
    r"|retry-after-(?P<retry>\d+)"
    r"|words-(?P<words>\d+)"
    r"|long-(?P<long>\d+)"
)


@dataclass(frozen=True, slots=True)
class Fault:
    """A parsed behaviour: ``kind`` plus its number (seconds, status or words), if any."""

    kind: str
    number: float | None = None


def parse_behaviour(text: str) -> Fault | None:
    """Parse a behaviour name such as ``fail-503``; None when it is not one."""
    match = _BEHAVIOUR.fullmatch(text.strip())
    if match is None:
        return None
    for kind in ("slow", "fail", "retry", "words", "long"):
        if (value := match.group(kind)) is not None:
            return Fault({"retry": "retry-after"}.get(kind, kind), float(value))
    return Fault(match.group("kind") or "slow")


def choose(header: str, body: Any, default: str) -> str:
    """The behaviour named by the header, else the request's last directive, else its
    ``fake:`` model, else ``default``."""
    if header := header.strip():
        return header
    directives = [m for text in texts(body) for m in _DIRECTIVE.findall(text)]
    if directives:
        return str(directives[-1])
    model = body.get("model") if isinstance(body, dict) else None
    if isinstance(model, str) and model.startswith("fake:") and parse_behaviour(model[5:]):
        return model[5:]
    return default
