"""One error hierarchy for everything a user can get wrong.

Every user-facing failure is an `LlmcostError`: a one-paragraph message saying what was found,
plus a hint saying what to do next. The CLI catches them once (`llmcost.cli.app`), prints them
without a traceback (unless `--debug`) and exits with `exit_code`.
"""

from __future__ import annotations


class LlmcostError(Exception):
    """A failure the user can act on."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class UsageError(LlmcostError):
    """Options that do not make sense together or cannot be parsed (exit code 2)."""

    exit_code = 2


class InputFileError(LlmcostError):
    """A file given on the command line cannot be read at all."""


class NotACallLogError(InputFileError):
    """A readable file that holds no recognisable call records. `reason` says why in a few
    words (for the list of files a run left alone)."""

    def __init__(self, message: str, hint: str | None = None, reason: str | None = None) -> None:
        super().__init__(message, hint)
        self.reason = reason or message


class StoreError(LlmcostError):
    """The DuckDB store cannot be opened or is not an llmcost store."""


class StoreInUseError(StoreError):
    """Another process holds the store's write lock."""


class StoreWriteError(StoreError):
    """The store cannot be written: no permission, or no space left (what happened says which)."""


class StoreDamagedError(StoreError):
    """The store file is damaged (a corrupt block, an unreadable version); it can be rebuilt from
    the logs."""


class PricingError(LlmcostError):
    """The price book or an overlay is invalid."""


class ConfigError(LlmcostError):
    """llmcost.yaml is invalid (a configuration error: exit code 2, as a usage error)."""

    exit_code = 2


class Interrupted(LlmcostError):
    """Ctrl-C (exit code 130, as shells expect); a load in progress is rolled back and says so."""

    exit_code = 130
