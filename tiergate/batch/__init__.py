"""`tiergate batch run`: OpenAI batch input files through the gateway, provider Batch APIs included.

Modules: ``runner`` (the run: every line through Gateway.prepare, then a provider's Batch API
or the router), ``remote`` (a provider's Files and Batches API; batch prices), ``state`` (the
resumable per-line state, a SQLite file next to the output), ``results`` (the output lines),
``progress`` (the bar on stderr).
"""

from .runner import BatchFileError, Options, Summary, read_input, run

__all__ = ["BatchFileError", "Options", "Summary", "read_input", "run"]
