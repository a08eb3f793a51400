"""The objective of a fit problem: simulated observables, residuals, likelihood and their gradients.

The objective is PEtab's negative log-likelihood of the data, priors included,
so its value can be compared with other PEtab tools:

* normal noise: ``0.5 log(2 pi sigma^2) + 0.5 ((h(y) - h(m)) / sigma)^2`` per datum,
* Laplace noise: ``log(2 sigma) + |h(y) - h(m)| / sigma``,

where ``h`` is the observable's transformation (lin, log or log10), ``y`` the
simulated and ``m`` the measured value; a log-transformed datum also adds
``log(m)`` (``log(m ln 10)`` for log10), the Jacobian of the transformation.

Simulations go through :class:`ivigsim.analysis.fitting.simulator.Simulator`: one run
per distinct simulation (conditions with the same regimen, body weight and
clamped parameters share it, each read at its own times), prepared once, untreated steady states warm-started from the
previous parameter vector's, and every integration of a condition in one call
to the compiled batch driver (:mod:`ivigsim.core.solvers.batch`). Sensitivities are
forward finite differences on the estimation scale: the base point and every
perturbed parameter vector of a condition are integrated together, each from
its own untreated steady state (found by the chord method from the base one).

An objective remembers the steady states of the parameter vectors it saw, so
one optimisation should use its own copy (:meth:`Objective.fork`): the
numbers then depend on that optimisation's own sequence of evaluations only.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ivigsim.core.expressions import Sym, evaluate
from ivigsim.analysis.fitting.simulator import Simulator, shared_cache_retry
from ivigsim.core.simulation import execute

#: Forward-difference step on the estimation scale (absolute on log scales, relative on lin).
FD_STEP = 1e-4
_LN10 = math.log(10.0)


class Objective:
    """Negative log-likelihood of a :class:`~ivigsim.analysis.fitting.problem.FitProblem` and its pieces.

    ``x`` is always the vector of estimated parameters on their estimation
    scale, in ``problem.estimated`` order. ``warm_start=False`` finds every
    steady state by the cold route (integration, then Newton).
    """

    def __init__(self, problem, warm_start=True):
        self.problem = problem
        spec = problem.spec
        self.estimated = problem.estimated
        self.names = tuple(p.name for p in self.estimated)
        self.lower = np.array([float(p.to_scale(p.lower)) for p in self.estimated])
        self.upper = np.array([float(p.to_scale(p.upper)) for p in self.estimated])
        self.fixed = {p.name: p.nominal for p in problem.parameters
                      if not p.estimate and not p.is_noise}
        self.model_rows = [k for k, p in enumerate(self.estimated) if not p.is_noise]
        data = problem.measurements
        self.n_data = len(data)
        observables = {o.name: o for o in problem.observables}
        self.observables = [observables[o] for o in data.observable]
        self.transform = np.array([("lin", "log", "log10").index(o.transformation) for o in self.observables])
        self.laplace = np.array([o.noise_distribution == "laplace" for o in self.observables])
        m = data.value
        with np.errstate(divide="ignore"):
            self.h_data = _transform(m, self.transform)
            self.log_jacobian = np.where(self.transform == 1, np.log(np.where(m > 0, m, 1.0)),
                                         np.where(self.transform == 2, np.log(np.where(m > 0, m, 1.0) * _LN10),
                                                  0.0))
        self.sigma_fixed = np.array([n if isinstance(n, float) else np.nan for n in data.noise])
        all_names = [p.name for p in problem.parameters]
        self.sigma_param = np.array([all_names.index(n) if isinstance(n, str) else -1 for n in data.noise])
        self.estimated_sigma = any(p.is_noise for p in self.estimated)
        self.has_prior = any(p.prior_type for p in self.estimated)
        self.least_squares = not (self.estimated_sigma or self.has_prior or self.laplace.any())
        # Conditions that describe the same simulation (same regimen, body weight and clamps,
        # differing only in what is measured when) are simulated once, at the union of their
        # times: the first of them stands for the group.
        groups = {}
        for c in problem.conditions:
            rows = np.flatnonzero(np.array(data.condition) == c.name)
            if rows.size:
                key = (c.regimen.kind, repr(sorted(c.regimen.arguments.items())), c.body_weight_kg, c.clamps)
                groups.setdefault(key, (c, []))[1].append(rows)
        self.by_condition = []
        for c, parts in groups.values():
            rows = np.concatenate(parts)
            times = np.unique(data.time[rows])
            self.by_condition.append((c, rows, times, np.searchsorted(times, data.time[rows])))
        self.spec = spec
        self.simulator = Simulator(problem, warm_start)
        # Name tuples of the model, looked up once (the spec builds them on every access).
        self.parameter_names = spec.parameter_names
        self.parameter_set = frozenset(self.parameter_names)
        self.parameter_index = {name: i for i, name in enumerate(self.parameter_names)}
        self.species_names = spec.species_names
        self.observable_names = spec.observable_names

    def fork(self):
        """This objective with its own warm-start memory: one per optimisation (thread)."""
        new = copy.copy(self)
        new.simulator = self.simulator.fork()
        return new

    # ------------------------------------------------------------------ parameters
    def values(self, x):
        """Name -> value in its unit, for every parameter of the problem (estimated ones from ``x``)."""
        out = {p.name: p.nominal for p in self.problem.parameters}
        for p, xi in zip(self.estimated, np.asarray(x, dtype=float)):
            out[p.name] = float(p.from_scale(xi))
        return out

    def _overrides(self, values, condition):
        params = {name: values[name] for name in values if name in self.parameter_set}
        params.update((column, values[v] if isinstance(v, str) else v) for column, v in condition.clamps)
        return params

    def sigmas(self, values):
        names = [p.name for p in self.problem.parameters]
        sigma = self.sigma_fixed.copy()
        use = self.sigma_param >= 0
        sigma[use] = [values[names[k]] for k in self.sigma_param[use]]
        return sigma

    # ------------------------------------------------------------------ simulation
    def _prepare(self, condition, params, times):
        return self.simulator.full_prepare(condition, params, times)

    def _observe(self, rows, states, observables, p_values):
        """Simulated value of each measurement row from one trajectory at the condition's times."""
        out = np.empty(len(rows))
        for k, (row, t_index) in enumerate(rows):
            node = self.observables[row].node
            if isinstance(node, Sym) and node.name in self.observable_names:
                out[k] = observables[t_index, self.observable_names.index(node.name)]
            elif isinstance(node, Sym) and node.name in self.species_names:
                out[k] = states[t_index, self.species_names.index(node.name)]
            else:
                env = dict(zip(self.parameter_names, p_values))
                env.update(zip(self.species_names, states[t_index]))
                env.update(zip(self.observable_names, observables[t_index]))
                out[k] = evaluate(node, env)
        return out

    def simulate(self, x):
        """Simulated (untransformed) value of every measurement, shape (n_data,)."""
        values = self.values(x)
        sim = np.empty(self.n_data)
        simulator = self.simulator
        for condition, rows, times, t_index in self.by_condition:
            run = simulator.prepare(condition, self._overrides(values, condition), times)
            states = simulator.trajectory(run, condition)
            observables = simulator.observables(run, states)
            sim[rows] = self._observe(list(zip(rows, t_index)), states, observables, run.values)
        return sim

    def curves(self, x, condition):
        """``(t, {observable id: values})``: the model's curves of one condition on a fine time grid."""
        values = self.values(x)
        run = self._prepare(condition, self._overrides(values, condition), None)
        result = shared_cache_retry(execute, run)
        n_t = len(result.t)
        p_values = np.fromiter(result.parameters.values(), float, len(self.spec.parameter_names))
        curves = {}
        for observable in self.problem.observables:
            row = self.observables.index(observable) if observable in self.observables else None
            if row is None:
                continue
            curves[observable.name] = self._observe([(row, t) for t in range(n_t)], result.states,
                                                    result.observables, p_values)
        return result.t, curves

    def _acts_on(self, name, condition):
        """Whether parameter ``name`` of parameters.tsv enters the simulation of ``condition``."""
        clamped = {column for column, _ in condition.clamps}
        if name in self.parameter_set:
            return name not in clamped
        return any(value == name for _, value in condition.clamps)

    def sensitivities(self, x):
        """``(sim, S)``: simulated values (n_data,) and ``d sim / d x`` (n_data, n_estimated)."""
        x = np.asarray(x, dtype=float)
        steps = np.zeros(len(x))
        for k in self.model_rows:
            h = FD_STEP * (1.0 if self.estimated[k].scale != "lin" else max(abs(x[k]), 1e-12))
            steps[k] = h if x[k] + h <= self.upper[k] else -h
        sim = np.empty(self.n_data)
        sens = np.zeros((self.n_data, len(x)))
        for condition, rows, times, t_index in self.by_condition:
            # Only parameters this condition's simulation depends on get a row; the others
            # (a clamped parameter, another condition's own parameter) have zero sensitivity.
            active = [k for k in self.model_rows if self._acts_on(self.estimated[k].name, condition)]
            points = [x] + [x + steps[k] * np.eye(len(x))[k] for k in active]
            values = [self.values(xk) for xk in points]
            observed = self._batch(condition, rows, times, t_index, values)
            sim[rows] = observed[0]
            for j, k in enumerate(active):
                sens[rows, k] = (observed[j + 1] - observed[0]) / steps[k]
        return sim, sens

    def _batch(self, condition, rows, times, t_index, values):
        simulator = self.simulator
        base = simulator.prepare(condition, self._overrides(values[0], condition), times)
        runs = [base] + [simulator.prepare(condition, self._overrides(v, condition), times) for v in values[1:]]
        states = simulator.batch(runs, condition)
        pairs = list(zip(rows, t_index))
        observed = []
        for k, run in enumerate(runs):
            obs = simulator.observables(run, states[k])
            observed.append(self._observe(pairs, states[k], obs, run.values))
        return observed

    # ------------------------------------------------------------------ objective
    def residuals(self, x, sim=None):
        """Weighted residuals ``(h(y) - h(m)) / sigma`` (least-squares mode)."""
        sim = self.simulate(x) if sim is None else sim
        return (_transform(sim, self.transform) - self.h_data) / self.sigmas(self.values(x))

    def constant(self, x):
        """``nll(x) - 0.5 * sum(residuals(x)**2)`` in least-squares mode (sigma and transformation terms)."""
        sigma = self.sigmas(self.values(x))
        return float(np.sum(0.5 * np.log(2 * np.pi * sigma ** 2) + self.log_jacobian))

    def residual_jacobian(self, x):
        sim, sens = self.sensitivities(x)
        scale = _transform_slope(sim, self.transform) / self.sigmas(self.values(x))
        return sens * scale[:, None]

    def nll(self, x, sim=None):
        """PEtab negative log-likelihood (priors included) at ``x``."""
        sim = self.simulate(x) if sim is None else sim
        return self._nll(x, sim)[0]

    def nll_and_gradient(self, x):
        sim, sens = self.sensitivities(x)
        value, d_dsim, d_dsigma, prior_grad = self._nll(x, sim, need_gradient=True)
        grad = sens.T @ d_dsim + prior_grad
        values = self.values(x)
        names = [p.name for p in self.problem.parameters]
        for k, p in enumerate(self.estimated):
            if p.is_noise:
                use = self.sigma_param == names.index(p.name)
                grad[k] += d_dsigma[use].sum() * _value_slope(p, values[p.name])
        return value, grad

    def _nll(self, x, sim, need_gradient=False):
        values = self.values(x)
        sigma = self.sigmas(values)
        d = _transform(sim, self.transform) - self.h_data
        normal = ~self.laplace
        terms = np.where(normal, 0.5 * np.log(2 * np.pi * sigma ** 2) + 0.5 * (d / sigma) ** 2,
                         np.log(2 * sigma) + np.abs(d) / sigma) + self.log_jacobian
        value = float(terms.sum())
        prior_value, prior_grad = 0.0, np.zeros(len(self.estimated))
        for k, p in enumerate(self.estimated):
            if p.prior_type:
                v, g = _prior(p, float(np.asarray(x)[k]), values[p.name])
                prior_value += v
                prior_grad[k] = g
        value += prior_value
        if not need_gradient:
            return value, None, None, None
        slope = _transform_slope(sim, self.transform)
        d_dh = np.where(normal, d / sigma ** 2, np.sign(d) / sigma)
        d_dsigma = np.where(normal, 1 / sigma - d ** 2 / sigma ** 3, 1 / sigma - np.abs(d) / sigma ** 2)
        return value, d_dh * slope, d_dsigma, prior_grad


def _transform(y, kind):
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(y > 0, y, np.nan)
        return np.where(kind == 0, y, np.where(kind == 1, np.log(safe), np.log10(safe)))


def _transform_slope(y, kind):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(kind == 0, 1.0, np.where(kind == 1, 1.0 / y, 1.0 / (y * _LN10)))


def _value_slope(p, value):
    """d value / d x on the parameter's estimation scale."""
    return {"lin": 1.0, "log": value, "log10": value * _LN10}[p.scale]


def _prior(p, x, value):
    """(negative log prior density, its derivative in x) of one parameter."""
    on_scale = p.prior_type.startswith("parameterScale")
    v, dv = (x, 1.0) if on_scale else (value, _value_slope(p, value))
    a, b = p.prior_parameters
    kind = p.prior_type.removeprefix("parameterScale").lower()
    if kind == "uniform":
        return math.log(b - a), 0.0
    if kind == "normal":
        return 0.5 * math.log(2 * math.pi * b * b) + 0.5 * ((v - a) / b) ** 2, (v - a) / b ** 2 * dv
    return math.log(2 * b) + abs(v - a) / b, math.copysign(1.0, v - a) / b * dv   # laplace
