"""The public ``run_experiment``: a sweep's results, then its figures and ``report.html``.

The results layer (:func:`ivigsim.sweep.run.run_experiment`) writes the tables,
the trajectories and the provenance and publishes nothing. This facade, which
``iv.run_experiment`` and ``ivigsim run`` call, hands it :func:`publish_run`,
so a run directory holds the figures and the report as well. They are written
into the run's staging folder and moved in with the tables, before
``provenance.json`` marks the run finished.
"""

from __future__ import annotations

from ivigsim.sweep import run as _results

__all__ = ["run_experiment", "publish_run"]


def publish_run(experiment, spec, results, directory):
    """Draw the experiment's figures into ``directory/figures`` and write ``directory/report.html``.

    Parameters
    ----------
    experiment : Experiment
        The experiment that was run.
    spec : ModelSpec
        The model it ran on.
    results : ExperimentResults
        The finished results, provenance included.
    directory : Path
        Where to write (the run's staging folder).
    """
    from ivigsim.interfaces.experiment_plots import draw_experiment_plots
    from ivigsim.interfaces.report import write_report
    draw_experiment_plots(experiment, results, directory / "figures")
    write_report(experiment, spec, results, directory / "report.html")


def run_experiment(path, out=None, workers=None, scheduler=None, resume=False, progress=True,
                   chunk_size=None, executor=None, model=None, parameters=None, overwrite=False):
    """Run every point of an experiment file and write the results, figures and report.

    The run directory holds ``metrics.csv``, ``trajectories.nc``,
    ``provenance.json`` (:func:`ivigsim.sweep.run.run_experiment`), and
    ``figures/`` and ``report.html`` (:func:`publish_run`).

    Parameters
    ----------
    path : str or Path
        The experiment file (``experiments/*.toml``), or a shipped experiment's name.
    out : str or Path, optional
        Output directory; default ``results/<experiment name>``. It must be new
        or empty, unless ``resume`` or ``overwrite``.
    workers : int, optional
        Threads for the in-process executor (default: all cores).
    scheduler : str, optional
        Address of a dask.distributed scheduler (``tcp://host:8786``) to run on a cluster.
    resume : bool
        Finish an interrupted run in ``out`` without redoing finished chunks;
        refused when the experiment file or the model changed since it started.
    progress : bool
        Show a progress bar on standard error.
    chunk_size : int, optional
        Points per chunk (the unit of work and of storage).
    executor : Executor, optional
        An executor of :mod:`ivigsim.sweep.executors` to run the chunks on.
    model : str, optional
        Run the experiment on this model (name or path) instead of the file's.
    parameters : mapping of str to float, optional
        Fixed parameter overrides on top of the file's ``[parameters]``.
    overwrite : bool
        Write into a non-empty ``out``, replacing the results of an earlier run.

    Returns
    -------
    ExperimentResults

    Raises
    ------
    RunInterrupted
        On Ctrl-C or SIGTERM: queued chunks are cancelled, finished ones kept,
        and the message says how to resume.
    """
    return _results.run_experiment(path, out=out, workers=workers, scheduler=scheduler, resume=resume,
                                   progress=progress, chunk_size=chunk_size, executor=executor, model=model,
                                   parameters=parameters, overwrite=overwrite, publish=publish_run)
