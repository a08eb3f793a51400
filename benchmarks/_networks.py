"""Seeded random mass-action reaction networks, written as model files.

Used by ``bench_compile.py`` and the kernel tests: a network of ``n`` species in
one 1 L compartment, with

* a zero-order synthesis of every fifth species,
* a first-order degradation of every species,
* about ``n`` conversions ``A -> B`` and ``n/2`` reversible bindings
  ``A + B <-> C`` between species drawn at random (uniformly, so the network
  has no locality: the hard case for a fill-reducing LU order),

so there are about 4 reactions per species and every rate law is mass action
``k * [A] (* [B])`` with its own rate constant. Rate constants are drawn
log-uniformly from the seeded generator; they are synthetic, for timing and
correctness checks only, and the file says so in each parameter's source.
"""

from __future__ import annotations

import numpy as np


def network_toml(n_species, seed=0):
    """Text of a model file: a random mass-action network of ``n_species`` species."""
    rng = np.random.default_rng(seed)
    lines = ['[model]', f'name = "mass_action_{n_species}"',
             f'description = "Seeded random mass-action network, {n_species} species (benchmark)."',
             'mechanisms.network = "every reaction of the network"', 'initial_state = "initial"', '',
             '[compartments.cell]', 'volume = "vol"', 'unit = "L"', 'description = "one well-mixed compartment"',
             '', '[parameters.vol]', 'value = 1.0', 'unit = "L"', 'bounds = [0.1, 10.0]',
             'source = "synthetic benchmark network (seeded), not a physiological value"', '']
    reactions = []

    def parameter(name, unit, low, high):
        value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        lines.extend([f'[parameters.{name}]', f'value = {value!r}', f'unit = "{unit}"',
                      f'bounds = [{value / 100!r}, {value * 100!r}]',
                      'source = "synthetic benchmark network (seeded), not a physiological value"', ''])
        return name

    for i in range(n_species):
        lines.extend([f'[species.s{i}]', 'compartment = "cell"', 'unit = "uM"',
                      f'initial = {float(rng.uniform(0.1, 2.0))!r}', ''])
    for i in range(0, n_species, 5):
        reactions.append((f"syn{i}", f"-> s{i}", f"{parameter(f'ks{i}', 'umol/day', 0.1, 10.0)}"))
    for i in range(n_species):
        k = parameter(f"kd{i}", "L/day", 0.01, 1.0)
        reactions.append((f"deg{i}", f"s{i} ->", f"{k} * s{i}"))
    for m in range(n_species):
        a, b = rng.choice(n_species, 2, replace=False)
        k = parameter(f"kc{m}", "L/day", 0.1, 10.0)
        reactions.append((f"conv{m}", f"s{a} -> s{b}", f"{k} * s{a}"))
    for m in range(n_species // 2):
        a, b, c = rng.choice(n_species, 3, replace=False)
        kon = parameter(f"kon{m}", "L/uM/day", 0.1, 10.0)
        koff = parameter(f"koff{m}", "L/day", 0.1, 10.0)
        reactions.append((f"bind{m}", f"s{a} + s{b} -> s{c}", f"{kon} * s{a} * s{b}"))
        reactions.append((f"unbind{m}", f"s{c} -> s{a} + s{b}", f"{koff} * s{c}"))
    for name, equation, rate in reactions:
        lines.extend([f'[reactions.{name}]', f'equation = "{equation}"', f'rate = "{rate}"',
                      'mechanism = "network"', ''])
    return "\n".join(lines)


def write_network(directory, n_species, seed=0):
    """Write ``mass_action_<n>.toml`` into ``directory``; returns its path."""
    from pathlib import Path
    path = Path(directory) / f"mass_action_{n_species}.toml"
    path.write_text(network_toml(n_species, seed), encoding="utf-8")
    return path
