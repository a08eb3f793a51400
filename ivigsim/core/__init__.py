"""One run: the model language, its compiled kernel, the solvers, regimens and ``simulate``.

Nothing here knows of sweeps, files of results, plots or the command line.
"""
