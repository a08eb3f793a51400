"""Model cards: a model described for a reader, generated from its file so it cannot drift."""

from __future__ import annotations

import textwrap


def model_card(spec):
    """A human-readable description of a model, generated from its file."""
    lines = [f"# {spec.name}", "", textwrap.fill(" ".join(spec.description.split()), 88), "",
             f"file: {spec.path}", "", "## Mechanisms"]
    lines += [f"- {m}: {d}" for m, d in spec.mechanisms.items()]
    lines += ["", "## Species"]
    lines += [f"- {s.name} [{s.unit}] in {s.compartment}: {s.description}" for s in spec.species]
    lines += ["", "## Parameters"]
    lines += [f"- {p.name} = {p.value:g} {p.unit}  (bounds {p.bounds[0]:g} to {p.bounds[1]:g}) — {p.source}"
              for p in spec.parameters]
    lines += ["", "## Observables"]
    lines += [f"- {o.name} [{o.unit}]: {o.description}" for o in spec.observables]
    if spec.references:
        lines += ["", "## References"] + [f"- {r}" for r in spec.references]
    return "\n".join(lines)
