"""Views of core objects (text, HTML, tables, figures), provided by the interfaces layer.

A model, a regimen or a result shows itself in a notebook (``__repr__``,
``_repr_html_``), converts itself to a table and plots itself, but the code
that formats and draws lives in :mod:`ivigsim.interfaces`, a layer above this
one.  So that dependencies point one way, core objects look their views up
here by name, and :mod:`ivigsim.interfaces.views` registers them when
``ivigsim`` is imported (which happens before any submodule is used).
"""

from __future__ import annotations

from collections.abc import Callable

from ivigsim.errors import IvigsimError

__all__ = ["register", "view", "registered"]

_VIEWS: dict[str, Callable] = {}


def register(name: str, function: Callable) -> None:
    """Make ``function`` the view called ``name`` (a later registration replaces it)."""
    _VIEWS[name] = function


def registered() -> tuple[str, ...]:
    """The names of the views registered so far."""
    return tuple(sorted(_VIEWS))


def view(name: str) -> Callable:
    """The view called ``name``.

    Raises
    ------
    IvigsimError
        If no view of that name is registered.
    """
    try:
        return _VIEWS[name]
    except KeyError:
        raise IvigsimError(f"no view '{name}' is registered; views come from ivigsim.interfaces.views, "
                           f"which 'import ivigsim' loads") from None
