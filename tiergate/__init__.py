"""tiergate: an LLM execution gateway. Local Ollama first; cloud only when the task needs it and the data may leave."""

from .config import Config, load_config, parse_config
from .errors import (
    AllProvidersFailed,
    BudgetExhausted,
    ConfigError,
    InvalidRequest,
    PolicyDenied,
    TiergateError,
    Unauthorized,
    UpstreamError,
)
from .policy import Candidate, Decision, Features, State, decide
from .server import create_app

__version__ = "0.1.0"

__all__ = [
    "AllProvidersFailed",
    "BudgetExhausted",
    "Candidate",
    "Config",
    "ConfigError",
    "Decision",
    "Features",
    "InvalidRequest",
    "PolicyDenied",
    "State",
    "TiergateError",
    "Unauthorized",
    "UpstreamError",
    "__version__",
    "create_app",
    "decide",
    "load_config",
    "parse_config",
]
