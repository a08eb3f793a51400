"""A model's expressions evaluated for many points at once: one array per symbol.

The points of a sweep chunk share a model and a regimen but differ in some
parameters (a body weight, swept values), and so in the compartment volumes,
dose conversions and initial values that read them. Evaluating those
expressions point by point is Python work per point; here they are evaluated
on whole columns.

Bit-identity with one run. :func:`ivigsim.core.expressions.evaluate` computes
in Python floats. An expression built only of numbers, symbols, ``+``, ``-``,
``*``, ``/`` and negation is evaluated here with the same operations in the
same order on float64 arrays; IEEE 754 rounds each of them the same way in
NumPy as in Python, so every element equals the value one run computes. Any
other expression (a power, a function call: ``math.pow`` and ``numpy.power``
need not round alike) is evaluated point by point with ``evaluate``.

Where one run would stop with an error (a division by zero) or compute a
value that is not finite, the point is marked invalid instead; the caller
sends it through the per-point path, which reports that error.
"""

from __future__ import annotations

import numpy as np

from ivigsim.core.expressions import BinOp, ExpressionError, Neg, Num, Sym, evaluate, symbols


def is_arithmetic(node):
    """Whether ``node`` uses only numbers, symbols, + - * / and negation (see the module docstring)."""
    if isinstance(node, (Num, Sym)):
        return True
    if isinstance(node, Neg):
        return is_arithmetic(node.operand)
    if isinstance(node, BinOp):
        return node.op in "+-*/" and is_arithmetic(node.left) and is_arithmetic(node.right)
    return False


def evaluate_columns(node, env, m):
    """Value of ``node`` at each of ``m`` points, and whether one run would compute it without error.

    Parameters
    ----------
    node : expression node
    env : mapping of str to float or ndarray of shape (m,)
        Value of every symbol of ``node``, the same at every point (a float)
        or per point (an array).
    m : int
        Number of points.

    Returns
    -------
    values : ndarray, shape (m,)
    valid : ndarray of bool, shape (m,)
        False where one run would raise (division by zero, a function
        outside its domain) or where some step of the arithmetic is not finite.
    """
    missing = sorted(symbols(node) - set(env))
    if missing:
        raise ExpressionError(f"undefined symbol {missing[0]!r}")
    valid = np.ones(m, dtype=bool)
    if is_arithmetic(node):
        with np.errstate(all="ignore"):
            values = _arithmetic(node, env, valid)
        return np.broadcast_to(np.asarray(values, dtype=np.float64), (m,)).copy(), valid
    values = np.empty(m)
    for k in range(m):
        point = {name: float(env[name] if np.ndim(env[name]) == 0 else env[name][k]) for name in symbols(node)}
        try:
            values[k] = evaluate(node, point)
        except ExpressionError:
            values[k] = np.nan
            valid[k] = False
    return values, valid & np.isfinite(values)


def _arithmetic(node, env, valid):
    """The arithmetic of ``evaluate``, on float64 scalars and arrays; clears ``valid`` where a step is not finite."""
    if isinstance(node, Num):
        return np.float64(node.value)
    if isinstance(node, Sym):
        value = np.asarray(env[node.name], dtype=np.float64)
    elif isinstance(node, Neg):
        value = -_arithmetic(node.operand, env, valid)
    else:
        a = _arithmetic(node.left, env, valid)
        b = _arithmetic(node.right, env, valid)
        if node.op == "+":
            value = a + b
        elif node.op == "-":
            value = a - b
        elif node.op == "*":
            value = a * b
        else:
            valid &= b != 0.0              # evaluate raises on a division by zero
            value = a / b
    valid &= np.isfinite(value)
    return value


def environment_columns(spec, values):
    """Parameters and compartment volumes of ``m`` points, as :meth:`ModelSpec.environment` gives one.

    Parameters
    ----------
    spec : ModelSpec
    values : ndarray, shape (m, n_parameters)
        Parameter values per point, in declaration order.

    Returns
    -------
    env : dict of str to ndarray, shape (m,)
    valid : ndarray of bool, shape (m,)
        False where a volume could not be computed, is not finite or is not positive
        (one run refuses those points).
    """
    m = values.shape[0]
    env = {name: values[:, j] for j, name in enumerate(spec.parameter_names)}
    species = {name: i for i, name in enumerate(spec.species_names)}
    valid = np.ones(m, dtype=bool)
    for c in spec.compartments:
        node = c.volume
        if isinstance(node, Sym) and node.name in species:     # a compartment that events resize
            node = spec.species[species[node.name]].initial
        volume, ok = evaluate_columns(node, env, m)
        env[c.name] = volume
        valid &= ok & (volume > 0)
    return env, valid
