"""The views of core objects: registered with :mod:`ivigsim.core.views` on import.

Each view imports its module on first use, so registering them costs nothing
at ``import ivigsim`` (no matplotlib, pandas or xarray until a view is shown).
"""

from __future__ import annotations

from ivigsim.core import views

__all__ = ["register_views"]


def _model_repr(spec):
    from ivigsim.interfaces.notebook import clip, short_list
    return clip(f"ModelSpec(name={spec.name!r}, {spec.n_species} species, {len(spec.reactions)} reactions, "
                f"{len(spec.parameters)} parameters, mechanisms: {short_list(spec.mechanisms)}; "
                f"observables: {short_list(spec.observable_names)}; file {spec.path!r})")


def _model_html(spec):
    from ivigsim.interfaces.cards import model_card_html
    return model_card_html(spec, collapsed=True)


def _result_repr(result):
    from ivigsim.interfaces.notebook import result_repr
    return result_repr(result)


def _result_html(result):
    from ivigsim.interfaces.notebook import result_html
    return result_html(result)


def _result_dataframe(result, names=None):
    from ivigsim.interfaces.notebook import result_dataframe
    return result_dataframe(result, names)


def _result_xarray(result, names=None):
    from ivigsim.interfaces.notebook import result_xarray
    return result_xarray(result, names)


def _result_plot(result, outputs=None, ax=None, label=None):
    from ivigsim.interfaces.plotting import plot_outputs
    return plot_outputs(result, outputs, ax=ax, label=label)


def _regimen_repr(regimen):
    from ivigsim.interfaces.regimen_view import regimen_repr
    return regimen_repr(regimen)


def _regimen_html(regimen):
    from ivigsim.interfaces.regimen_view import regimen_html
    return regimen_html(regimen)


def _regimen_plot(regimen, body_weight_kg=70.0, ax=None):
    from ivigsim.interfaces.regimen_view import plot_regimen
    return plot_regimen(regimen, body_weight_kg, ax=ax)


def _progress_bar(total, desc, unit="point", progress=True):
    from ivigsim.interfaces.progress import bar
    return bar(total, desc, unit, progress)


def _experiment_results(name):
    """The view ``name`` of :mod:`ivigsim.interfaces.run_summary`, imported on first use."""
    def show(results, *args, **kwargs):
        from ivigsim.interfaces import run_summary
        return getattr(run_summary, name)(results, *args, **kwargs)
    show.__name__ = name
    return show


def _notebook(name):
    """The view ``name`` of :mod:`ivigsim.interfaces.notebook`, imported on first use."""
    def show(obj):
        from ivigsim.interfaces import notebook
        return getattr(notebook, name)(obj)
    show.__name__ = name
    return show


def _note(message):
    from ivigsim.interfaces.progress import note
    note(message)


VIEWS = {
    "model.repr": _model_repr,
    "model.html": _model_html,
    "result.repr": _result_repr,
    "result.html": _result_html,
    "result.dataframe": _result_dataframe,
    "result.xarray": _result_xarray,
    "result.plot": _result_plot,
    "regimen.repr": _regimen_repr,
    "regimen.html": _regimen_html,
    "regimen.plot": _regimen_plot,
    "progress.note": _note,
    "progress.bar": _progress_bar,
    "experiment_results.repr": _experiment_results("results_repr"),
    "experiment_results.html": _experiment_results("results_html"),
    "experiment_results.summary": _experiment_results("summary_text"),
    "experiment_results.dataframe": _experiment_results("results_dataframe"),
    "experiment_results.xarray": _experiment_results("results_xarray"),
    "experiment_results.plot": _experiment_results("plot_results"),
    "factorial.repr": _notebook("factorial_repr"),
    "factorial.html": _notebook("factorial_html"),
    "in_vitro.repr": _notebook("in_vitro_repr"),
    "in_vitro.html": _notebook("in_vitro_html"),
    "in_vitro_nk.repr": _notebook("in_vitro_nk_repr"),
    "in_vitro_nk.html": _notebook("in_vitro_nk_html"),
    "agents.repr": _notebook("agents_repr"),
    "agents.html": _notebook("agents_html"),
}


def register_views() -> None:
    """Register every view above with :mod:`ivigsim.core.views`."""
    for name, function in VIEWS.items():
        views.register(name, function)


register_views()
