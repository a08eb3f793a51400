"""SBML constructs the importer reads beyond reactions: what it does with each, end to end.

The time courses are checked against the SBML Test Suite's expected values in
tests/sbml_suite; here each construct's import is checked on its own.
"""

from pathlib import Path

import pytest

libsbml = pytest.importorskip("libsbml")

from ivigsim.errors import IvigsimError  # noqa: E402
from ivigsim.sbml.importer import import_sbml_names  # noqa: E402
from ivigsim.spec import load_model_file  # noqa: E402

CASES = Path(__file__).parent / "sbml_suite" / "cases"
SUITE_UNITS = {"time": "s", "substance": "mol", "volume": "L"}


def _import(path, tmp_path):
    text, names = import_sbml_names(path, tmp_path / "m.toml", default_units=SUITE_UNITS)
    return text, names, load_model_file(tmp_path / "m.toml")


def test_level2_file_imports_without_a_spurious_layout_requirement(tmp_path):
    # libSBML adds the layout package when it converts Level 2 to Level 3
    text, _, _ = _import(CASES / "00068" / "00068-sbml-l2v5.xml", tmp_path)
    assert "The SBML package 'layout' (a drawing of the network) was ignored." in text


def test_stoichiometry_math_of_constants_becomes_a_number(tmp_path):
    # 00068: S1 -> (2*p1) S2 with p1 = 1, written as stoichiometryMath
    _, _, spec = _import(CASES / "00068" / "00068-sbml-l2v5.xml", tmp_path)
    (reaction,) = spec.reactions
    assert dict(reaction.products) == {"S2": 2.0}


def test_stoichiometry_that_changes_in_time_is_still_refused(tmp_path):
    doc = libsbml.readSBMLFromFile(str(CASES / "00068" / "00068-sbml-l2v5.xml"))
    doc.setLevelAndVersion(3, 2, False)
    model = doc.getModel()
    p1 = model.getParameter("p1")
    p1.setConstant(False)                         # now a rule could change it: not a number any more
    path = tmp_path / "varying.xml"
    libsbml.writeSBMLToFile(doc, str(path))
    with pytest.raises(IvigsimError, match=r"reaction '.*': the stoichiometry of 'S2' changes in time"):
        import_sbml_names(path, default_units=SUITE_UNITS)


def test_a_point_compartment_without_size_holds_amounts(tmp_path):
    text, names, spec = _import(CASES / "00048" / "00048-sbml-l3v2.xml", tmp_path)
    assert "has 0 dimensions and no size; it counts as size 1" in text
    assert spec.environment(spec.default_parameters())[names["compartment"]] == 1.0
