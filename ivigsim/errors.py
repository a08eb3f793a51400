"""Exceptions raised at ivigsim's public edges.

Each says what was wrong in words a biologist can act on; file errors name the
file and the key.
"""


class IvigsimError(Exception):
    """Base class of every error ivigsim raises on purpose."""


class ModelFileError(IvigsimError, ValueError):
    """A model file is malformed: names the file, the key and what was expected."""

    def __init__(self, path, key, message):
        self.path = str(path)
        self.key = key
        self.reason = message
        where = f"{self.path}: [{key}]" if key else self.path
        super().__init__(f"{where}: {message}")


class ParameterError(IvigsimError, ValueError):
    """A parameter override or input value is refused (unknown name, NaN, out of bounds)."""


class SolverError(IvigsimError, RuntimeError):
    """The numerical integration failed; carries the status code and solver statistics."""

    def __init__(self, message, status, stats=None):
        self.status = status
        self.stats = stats or {}
        super().__init__(message)
