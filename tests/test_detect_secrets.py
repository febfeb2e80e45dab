"""Secrets: vendor key formats, private keys, connection strings, assignments and passwords in prose.

Keys are built here from a fixed pseudo-random alphabet walk, so no real key is
in the repository and every row is a format, not a memorised value.
"""

from __future__ import annotations

import base64
import json
import random

import pytest

from tiergate.detect import Detector, Finding

DETECTOR = Detector()
_RNG = random.Random(77)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def rand(n: int, alphabet: str = ALNUM) -> str:
    while True:
        out = "".join(_RNG.choice(alphabet) for _ in range(n))
        if alphabet != ALNUM or (any(c.isdigit() for c in out) and any(c.isalpha() for c in out)):
            return out


def pem(kind: str, escaped: bool) -> str:
    body = [rand(64, ALNUM + "+/") for _ in range(4)]
    newline = "\\n" if escaped else "\n"
    return newline.join([f"-----BEGIN {kind}-----", *body, f"-----END {kind}-----"])


VENDOR_KEYS = {
    "aws access key": "AKIA" + rand(16, B32),
    "aws session key": "ASIA" + rand(16, B32),
    "google api key": "AIza" + rand(35, ALNUM + "_-"),
    "google oauth": "ya29." + rand(60, ALNUM + "_-"),
    "openai": "sk-proj-" + rand(48, ALNUM + "_-"),
    "anthropic": "sk-ant-api03-" + rand(93, ALNUM + "_-") + "AA",
    "stripe secret": "sk_live_" + rand(24),
    "stripe restricted": "rk_live_" + rand(24),
    "stripe webhook": "whsec_" + rand(32),
    "github classic": "ghp_" + rand(36),
    "github fine-grained": "github_pat_" + rand(22) + "_" + rand(59),
    "gitlab": "glpat-" + rand(20),
    "slack bot": "xoxb-" + rand(12, HEX[:10]) + "-" + rand(13, HEX[:10]) + "-" + rand(24),
    "slack webhook": "https://hooks.slack.com/services/T"
    + rand(8, B32)
    + "/B"
    + rand(8, B32)
    + "/"
    + rand(24),
    "twilio": "SK" + rand(32, HEX),
    "sendgrid": "SG." + rand(22, ALNUM + "_-") + "." + rand(43, ALNUM + "_-"),
    "huggingface": "hf_" + rand(34),
    "npm": "npm_" + rand(36),
    "pypi": "pypi-AgEIcHlwaS5vcmc" + rand(60, ALNUM + "_-"),
    "shopify": "shpat_" + rand(32, HEX),
    "square": "sq0atp-" + rand(22, ALNUM + "_-"),
    "mailgun": "key-" + rand(32, HEX),
    "digitalocean": "dop_v1_" + rand(64, HEX),
    "heroku": "HRKU-" + rand(40, ALNUM + "_-"),
    "discord": "M" + rand(25, ALNUM) + "." + rand(6) + "." + rand(27, ALNUM + "_-"),
    "telegram": "123456789:AA" + rand(33, ALNUM + "_-"),
    "atlassian": "ATATT3" + rand(180, ALNUM + "_-"),
    "vault": "hvs." + rand(90, ALNUM + "_-"),
    "databricks": "dapi" + rand(32, HEX),
    "new relic": "NRAK-" + rand(27, B32),
    "azure ad secret": rand(3, ALNUM) + "8Q~" + rand(34, ALNUM + "_~.-"),
    "grafana": "glsa_" + rand(32) + "_" + rand(8, HEX),
    "linear": "lin_api_" + rand(40),
    "postman": "PMAK-" + rand(24, HEX) + "-" + rand(34, HEX),
    "age": "AGE-SECRET-KEY-1" + rand(58, B32),
}


@pytest.mark.parametrize("vendor", sorted(VENDOR_KEYS))
def test_vendor_key_formats(vendor: str) -> None:
    key = VENDOR_KEYS[vendor]
    assert DETECTOR.scan([f"here you go: {key} thanks"]).kinds == ("credential",)
    assert DETECTOR.scan([key]).kinds == ("credential",)


def test_at_least_25_vendors() -> None:
    assert len(VENDOR_KEYS) >= 25


SERVICE_ACCOUNT = json.dumps(
    {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": rand(40, HEX),
        "private_key": pem("PRIVATE KEY", escaped=False) + "\n",
        "client_email": "svc@demo-project.iam.gserviceaccount.com",
    }
)

CREDENTIALS = [
    pem("RSA PRIVATE KEY", escaped=False),
    pem("OPENSSH PRIVATE KEY", escaped=False),
    pem("EC PRIVATE KEY", escaped=True),
    '{"private_key": "' + pem("PRIVATE KEY", escaped=True) + '"}',
    SERVICE_ACCOUNT,
    "redis://:s3cr3tPw@cache.internal:6379/0",
    "postgres://app:Tr0ub4dor&3@db.prod:5432/orders",
    "mongodb+srv://admin:hunter2hunter2@cluster0.mongodb.net",
    "amqp://svc:Zx81!kk@rabbit:5672/",
    "export PGPASSWORD=Winter2024x",
    "DB_PASSWORD=correct-horse-42",
    "APP_SECRET='q8Zr2VbX9pLm'",
    "GITHUB_TOKEN: 9f3b2a7c1d5e",
    "MYSQL_PWD=hunter2hunter2",
    "aws_secret_access_key = " + rand(40, ALNUM + "/+"),
    "the password is hunter2!",
    "The password for the wifi is Tr0ub4dor",
    'my password is "blue sky"',
    "Das Passwort lautet Sommer2024",
    "Authorization: Basic " + base64.b64encode(b"admin:s3cret").decode(),
    "Authorization: Bearer " + rand(40, ALNUM + "._-"),
    "api key: " + rand(32, HEX),
    "token " + rand(40),
    "Server=db;Database=x;User Id=sa;Password=P@55word!;",
    "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + rand(86, ALNUM + "+/") + "==",
    "https://acme.blob.core.windows.net/c/f?sv=2022-11-02&sig=" + rand(43, ALNUM) + "%3D",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    + base64.urlsafe_b64encode(b'{"sub":"42"}').decode().rstrip("=")
    + "."
    + rand(43, ALNUM + "_-"),
]


@pytest.mark.parametrize("text", CREDENTIALS, ids=[t[:40] for t in CREDENTIALS])
def test_credentials_in_any_form(text: str) -> None:
    assert "credential" in DETECTOR.scan([text]).kinds


NOT_CREDENTIALS = [
    "password: required",
    "the password is required",
    "the password is incorrect, try again",
    "Your password is stored hashed with argon2.",
    "pwd = os.getcwd()",
    "passwd = fallback_getpass(prompt, stream)",
    "password = auth[2]",
    "DB_PASSWORD=${DB_PASSWORD}",
    "DB_PASSWORD=<your password>",
    "SECRET_KEY=changeme",
    "postgres://user:password@localhost/db",
    "redis://localhost:6379/0",
    "token = get_token()",
    "api_key: str = Field(...)",
    "the key-value store uses 16 shards",
    "sk-learn is a typo for scikit-learn",
    "Bearer tokens expire after an hour",
    "request id 550e8400-e29b-41d4-a716-446655440000",
    "commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 fixed it",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
]


@pytest.mark.parametrize("text", NOT_CREDENTIALS)
def test_lookalikes_are_not_credentials(text: str) -> None:
    assert DETECTOR.scan([text]) == Finding(None, ())
