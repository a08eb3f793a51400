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

    @classmethod
    def unknown(cls, kind, name, known, model_name):
        """The error for a name the model does not have, with the closest known name as a hint."""
        import difflib
        hint = difflib.get_close_matches(name, known, n=1)
        more = f" Did you mean '{hint[0]}'?" if hint else ""
        return cls(f"model '{model_name}' has no {kind} '{name}'.{more} "
                   f"Known: {', '.join(known)}")


class SolverError(IvigsimError, RuntimeError):
    """The numerical integration failed; carries the status code and solver statistics."""

    def __init__(self, message, status, stats=None):
        self.status = status
        self.stats = stats or {}
        super().__init__(message)
