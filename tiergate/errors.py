"""The error tree: every failure tiergate reports, with its HTTP status and OpenAI envelope.

```
TiergateError            status_code, type, code, retryable
├── ConfigError          start-up only; CLI exit 2; names the key and the fix
├── InvalidRequest       400 invalid_request
│   ├── BodyTooLarge     413 invalid_request
│   └── MethodNotAllowed 405 invalid_request
├── NotFound             404 not_found
├── StoreUnavailable     503 store_unavailable (the budget store: paid providers fail closed)
├── Unauthorized         401 unauthorized
├── PolicyDenied         403 policy_denied
├── BudgetExhausted      429 budget_exhausted
└── UpstreamError        one failed attempt at one provider
    ├── UpstreamTimeout       retryable
    ├── UpstreamUnavailable   retryable (connection error, 429, 5xx)
    │   ├── UpstreamMalformed     an answer we cannot read (charged: it was sent)
    │   └── UpstreamUnsupported   the protocol cannot express the request (nothing sent)
    └── UpstreamRejected      not retryable (400, 413, 422: the request itself is wrong)
AllProvidersFailed       503 llm_unavailable, keeps every attempt in order
```

Only retryable errors move the router to the next candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


class TiergateError(Exception):
    status_code = 500
    type = "server_error"
    code = "internal_error"
    retryable = False

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def envelope(self) -> dict[str, Any]:
        """OpenAI's error envelope: {"error": {"message", "type", "param", "code"}}."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class ConfigError(TiergateError):
    """A configuration problem, found before anything listens."""

    code = "config_error"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(self.problems)


class InvalidRequest(TiergateError):
    status_code = 400
    type = "invalid_request_error"
    code = "invalid_request"


class BodyTooLarge(InvalidRequest):
    status_code = 413


class Unauthorized(TiergateError):
    status_code = 401
    type = "authentication_error"
    code = "unauthorized"


class PolicyDenied(TiergateError):
    status_code = 403
    type = "permission_error"
    code = "policy_denied"


class BudgetExhausted(TiergateError):
    status_code = 429
    type = "insufficient_quota"
    code = "budget_exhausted"

    def __init__(
        self, message: str, *, param: str | None = None, resets_at: datetime | None = None
    ) -> None:
        super().__init__(message, param=param)
        # When the cap that refused resets (the server turns it into Retry-After); None when
        # nothing will change on its own (e.g. the budget store cannot be written).
        self.resets_at = resets_at


class StoreUnavailable(TiergateError):
    """The budget store cannot be written or read: paid providers count as over budget."""

    status_code = 503
    code = "store_unavailable"


class MethodNotAllowed(InvalidRequest):
    status_code = 405


class NotFound(TiergateError):
    status_code = 404
    type = "invalid_request_error"
    code = "not_found"


class UpstreamError(TiergateError):
    """One attempt at one provider failed."""

    status_code = 502
    type = "server_error"
    code = "upstream_error"
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retry_after_s: float | None = None,
        billable: bool = False,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retry_after_s = retry_after_s
        # The request reached the provider and no clean refusal came back (a timeout, a dropped
        # connection, an answer we could not read): it may have been billed, so it is charged.
        self.billable = billable


class UpstreamTimeout(UpstreamError):
    retryable = True
    kind = "timeout"


class UpstreamUnavailable(UpstreamError):
    retryable = True
    kind = "unavailable"


class UpstreamMalformed(UpstreamUnavailable):
    """An answer that is not what the protocol promises, or larger than tiergate reads."""

    kind = "malformed"


class UpstreamUnsupported(UpstreamUnavailable):
    """The provider's protocol cannot express the request: nothing was sent, the next may serve it."""

    kind = "unsupported"


class UpstreamRejected(UpstreamError):
    """The provider said the request itself is wrong (400, 413, 422): another provider would say so too."""

    status_code = 400
    type = "invalid_request_error"
    code = "invalid_request"
    kind = "rejected"


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    provider: str
    kind: str
    message: str
    status: int | None = None


class AllProvidersFailed(TiergateError):
    status_code = 503
    type = "server_error"
    code = "llm_unavailable"

    def __init__(self, attempts: list[FailedAttempt], *, reason: str = "") -> None:
        if attempts:
            tried = "; ".join(f"{a.provider}: {a.kind} ({a.message})" for a in attempts)
            message = f"No provider could serve the request. Tried, in order: {tried}"
        else:
            message = f"No provider could serve the request: {reason or 'no candidate left'}"
        super().__init__(message)
        self.attempts = attempts
