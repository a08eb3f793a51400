"""A model's rates, right-hand side, sparse Jacobian and observables as one graph.

:func:`model_graph` builds them without any n x n pass: the right-hand side of
species ``i`` is ``sum_k N[i, k] v_k / V_i`` over the reactions that change
it, and its Jacobian row holds only the species that those rate laws (and
``V_i``) read, found from the rate-law dependency graph. Each of those
entries is differentiated on the shared graph (:mod:`ivigsim.core.kernel.graph`),
so the cost grows with the number of structural non-zeros.

:func:`jacobian_pattern` is the small function the rest of the kernel calls
for the structure alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivigsim.core.expressions import Sym, symbols
from ivigsim.core.kernel.delays import clock_states
from ivigsim.core.kernel.graph import Converter, Graph
from ivigsim.core.rules import delays


@dataclass(frozen=True)
class ModelGraph:
    """Node ids of a model's outputs in ``graph``.

    ``jacobian`` maps each structural non-zero ``(i, j)`` (row-major order) to
    the node of d rhs[i] / d y[j]; entries absent from it are exactly zero.
    """

    graph: Graph
    rates: tuple
    rhs: tuple
    jacobian: dict
    observables: tuple


def model_graph(spec):
    """The :class:`ModelGraph` of ``spec`` (``p``: parameters, then mechanism switches)."""
    g = Graph()
    n_par = len(spec.parameters)
    names = {s.name: g.y(i) for i, s in enumerate(spec.species)}
    names.update({q.name: g.p(j) for j, q in enumerate(spec.parameters)})
    names.update({c.name: c.volume for c in spec.compartments})      # converted on first use
    switch = {m: g.p(n_par + k) for k, m in enumerate(spec.mechanisms)}
    names.update(switch)              # a mechanism's name in a rate law is its 0/1 switch
    convert = Converter(g, names)

    rates = tuple(g.op("mul", switch[r.mechanism], convert(r.rate)) for r in spec.reactions)
    terms = [[] for _ in spec.species]
    index = {s.name: i for i, s in enumerate(spec.species)}
    for k, reaction in enumerate(spec.reactions):
        net = {}
        for name, c in reaction.reactants:
            net[index[name]] = net.get(index[name], 0.0) - c
        for name, c in reaction.products:
            net[index[name]] = net.get(index[name], 0.0) + c
        for i, c in net.items():
            if c != 0.0:
                terms[i].append(g.op("mul", g.const(c), rates[k]))
    rhs = tuple(g.op("div", g.sum(terms[i]), convert(Sym(s.compartment)))
                for i, s in enumerate(spec.species))
    jacobian = {(i, j): g.derivative(rhs[i], j) for i, j in sorted(jacobian_pattern(spec))}
    observables = tuple(
        g.op("mul", g.const(o.factor), convert(o.expression)) if o.factor != 1.0 else convert(o.expression)
        for o in spec.observables)
    return ModelGraph(graph=g, rates=rates, rhs=rhs, jacobian=jacobian, observables=observables)



def jacobian_pattern(spec):
    """Structural non-zeros ``{(i, j)}`` of the Jacobian, from the rate-law dependency graph.

    Entry (i, j) is in it when a rate law that changes species ``i`` (or the
    volume of its compartment) reads species ``j``: a superset of the entries
    that are non-zero for some state and parameters, found from the names each
    expression reads, in time linear in the size of the rate laws.
    """
    index = {s.name: i for i, s in enumerate(spec.species)}
    volumes = {c.name: c.volume for c in spec.compartments}
    found = {}

    def reads(name_or_node, seen=()):
        """Species read by an expression, through the compartment volumes it names."""
        out = set()
        for name in symbols(name_or_node):
            if name in index:
                out.add(index[name])
            elif name in volumes and name not in seen:
                if name not in found:
                    found[name] = reads(volumes[name], (*seen, name))
                out |= found[name]
        return out

    # delay(x, tau) reads x's states at t - tau: a function of the time, which a clock holds
    now = set(clock_states(spec)[:1]) if spec.uses_delay else set()
    pattern = set()
    for reaction in spec.reactions:
        read = reads(reaction.rate) | (now if delays(reaction.rate) else set())
        net = {}
        for name, c in (*((n, -c) for n, c in reaction.reactants), *reaction.products):
            net[index[name]] = net.get(index[name], 0.0) + c
        for i, c in net.items():
            if c != 0.0:
                row = read | reads(Sym(spec.species[i].compartment))
                pattern.update((i, j) for j in row)
    return pattern
