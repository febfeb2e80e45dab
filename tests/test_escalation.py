"""routing.escalate_when_down: up the tiers when everything at or below is down, never for sensitive data."""

from __future__ import annotations

from pathlib import Path

import openai
import orjson
import pytest

from tiergate.config import parse_config
from tiergate.server import BackgroundServer, create_app

from .conftest import Tiers, make_config, sdk


def start(tiers: Tiers, tmp_path: Path, *, escalate: bool) -> BackgroundServer:
    data = make_config(tiers, tmp_path / "ledger.db").model_dump(mode="json")
    data["routing"] = {"escalate_when_down": escalate}
    return BackgroundServer(create_app(parse_config(orjson.dumps(data).decode(), env={})))


def ask(url: str, text: str, **hints: str) -> dict[str, str]:
    client = sdk(base_url=url + "/v1", api_key="unused", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "user", "content": text}],
        extra_body={"tiergate": hints} if hints else None,
    )
    raw.parse()
    return dict(raw.headers)


def test_a_public_request_goes_up_when_the_local_tier_is_down(tiers: Tiers, tmp_path: Path) -> None:
    tiers.local.behaviour = "fail-503"
    with start(tiers, tmp_path, escalate=True) as server:
        headers = ask(server.url, "Plan the week.", classification="public")
        assert (headers["x-tiergate-provider"], headers["x-tiergate-tier"]) == ("ollama_cloud", "2")
        assert headers["x-tiergate-rule"] == "escalated"
        assert headers["x-tiergate-attempts"] == "local,ollama_cloud"
        # sensitive data never escalates: the cloud fakes receive nothing
        before = tiers.cloud_received()
        for text, hints in (
            ("Write to jane.roe@example.org.", {}),
            ("Plan the week.", {"classification": "pii"}),
        ):
            with pytest.raises(openai.InternalServerError) as caught:
                ask(server.url, text, **hints)
            assert caught.value.status_code == 503
        assert tiers.cloud_received() == before


def test_without_the_option_the_local_tier_down_is_a_503(tiers: Tiers, tmp_path: Path) -> None:
    tiers.local.behaviour = "fail-503"
    with (
        start(tiers, tmp_path, escalate=False) as server,
        pytest.raises(openai.InternalServerError),
    ):
        ask(server.url, "Plan the week.", classification="public")
    assert tiers.cloud_received() == 0


def test_escalation_stays_within_budgets(tiers: Tiers, tmp_path: Path) -> None:
    tiers.local.behaviour = "fail-503"
    data = make_config(tiers, tmp_path / "ledger.db", cloud_budget=0, openai_budget=0).model_dump(
        mode="json"
    )
    data["routing"] = {"escalate_when_down": True}
    config = parse_config(orjson.dumps(data).decode(), env={})
    with BackgroundServer(create_app(config)) as server, pytest.raises(openai.InternalServerError):
        ask(server.url, "Plan the week.", classification="public")
    assert tiers.cloud_received() == 0
