"""The teaching demo: why a 2 g/kg course lowers an autoantibody, why slow
infusion matters, and what IVIG costs.

* :func:`demo` opens an interactive matplotlib window (sliders, mechanism
  check boxes, reset) over three linked panels;
* :func:`demo_html` writes the same lesson as one self-contained web page,
  over a precomputed grid of settings;
* :class:`Lesson` is the computation both share.

Names are imported on first use, so ``import ivigsim.interfaces.demo`` (and the CLI's
``demo`` command, until it runs) loads nothing heavy.
"""

__all__ = ["demo", "demo_html", "Lesson", "LessonSettings", "LessonResult", "LessonWindow",
           "NoDisplayError", "CONTROLS", "MECHANISMS"]

_WHERE = {
    "demo": "widgets", "LessonWindow": "widgets", "NoDisplayError": "widgets",
    "demo_html": "html",
    "Lesson": "lesson", "LessonSettings": "lesson", "LessonResult": "lesson",
    "CONTROLS": "lesson", "MECHANISMS": "lesson",
}


def __getattr__(name):
    if name in _WHERE:
        import importlib
        return getattr(importlib.import_module(f"ivigsim.interfaces.demo.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'ivigsim.interfaces.demo' has no attribute {name!r}")
