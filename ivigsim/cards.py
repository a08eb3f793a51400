"""Model cards: a model described for a reader, generated from its file so it cannot drift."""

from __future__ import annotations

import textwrap


def model_card(spec, check=False):
    """A human-readable description of a model, generated from its file.

    The card ends with the literature targets (``validation/targets.toml``)
    that concern the model: whether each passes or is a recorded expected
    failure, and why.  The test suite runs every target and fails when an
    outcome differs from the one recorded, so the file is the record; with
    ``check=True`` the targets are also simulated now and the outcome shown.
    """
    lines = [f"# {spec.label}", "", textwrap.fill(" ".join(spec.description.split()), 88), "",
             f"file: {spec.path}", "", "## Mechanisms"]
    lines += [f"- {m}: {d}" for m, d in spec.mechanisms.items()]
    lines += ["", "## Species"]
    lines += [f"- {s.name} [{s.unit}] in {s.compartment}: {s.description}" for s in spec.species]
    lines += ["", "## Parameters"]
    lines += [f"- {p.name} = {p.value:g} {p.unit}  (bounds {p.bounds[0]:g} to {p.bounds[1]:g}) — {p.source}"
              for p in spec.parameters]
    for name, pset in spec.parameter_sets.items():
        applied = " (applied)" if name == spec.parameter_set else f" (load as '{spec.name}@{name}')"
        lines += ["", f"## Parameter set '{name}'{applied}", textwrap.fill(" ".join(pset.description.split()), 88)]
        lines += [f"- {p.name} = {p.value:g} {p.unit}  (bounds {p.bounds[0]:g} to {p.bounds[1]:g}) — {p.source}"
                  for p in pset.parameters]
    lines += ["", "## Observables"]
    lines += [f"- {o.name} [{o.unit}]: {o.description}" for o in spec.observables]
    if spec.references:
        lines += ["", "## References"] + [f"- {r}" for r in spec.references]
    lines += _validation_lines(spec.name, check)
    return "\n".join(lines)


def _validation_lines(model_name, check):
    from ivigsim.validation import targets_for_model
    targets = targets_for_model(model_name)
    if not targets:
        return ["", "## Validation targets", "- none in validation/targets.toml concern this model"]
    outcomes = {}
    if check:
        from ivigsim.validation import validate
        outcomes = {row.id: row.outcome for row in validate(ids=[t.id for t in targets])}
    passing = sum(t.expected == "pass" for t in targets)
    lines = ["", f"## Validation targets ({passing} of {len(targets)} pass; the rest are recorded "
                 "expected failures)"]
    for t in targets:
        status = "passes" if t.expected == "pass" else f"expected failure: {' '.join(t.reason.split())}"
        if t.id in outcomes:
            status += f" [checked now: {outcomes[t.id]}]"
        lines.append(f"- {t.id} {' '.join(t.quantity.split())} — {status}")
    return lines
