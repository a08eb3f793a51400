"""A malformed model file is refused with the file, the key and what was expected."""

import re

import pytest

from conftest import DATA
from ivigsim.errors import ModelFileError
from ivigsim.core.spec import load_model_file

VALID = (DATA / "one_compartment.toml").read_text()


def write(tmp_path, text, name="model.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def load_with(tmp_path, old, new):
    assert old in VALID, old
    return load_model_file(write(tmp_path, VALID.replace(old, new, 1)))


def test_valid_file_loads(tmp_path):
    spec = load_model_file(write(tmp_path, VALID))
    assert spec.species_names == ("drug", "eliminated")
    assert spec.stoichiometry().tolist() == [[-1.0], [1.0]]


# (what to replace, with what, the key the message must name, words it must contain)
CASES = [
    ('rate = "k_el * drug * central"', 'rate = "k_elim * drug * central"',
     "reactions.elimination.rate", "undefined symbol 'k_elim' (did you mean 'k_el'?)"),
    ('rate = "k_el * drug * central"', 'rate = "k_el * drug"',
     "reactions.elimination.rate", "amount per day"),
    ('rate = "k_el * drug * central"', 'rate = "k_el * drug * central * 1000 / 1000 + drug"',
     "reactions.elimination.rate", "inconsistent units"),
    ('rate = "k_el * drug * central"', 'rate = "__import__(\'os\').system(\'echo\')"',
     "reactions.elimination.rate", "allowed functions"),
    ('rate = "k_el * drug * central"', 'rate = "k_el * drug * central if drug > 0 else 0"',
     "reactions.elimination.rate", ""),
    ('value = 0.1\nunit = "1/day"', 'value = nan\nunit = "1/day"',
     "parameters.k_el.value", "finite"),
    ('value = 0.1\nunit = "1/day"', 'value = "fast"\nunit = "1/day"',
     "parameters.k_el.value", "expected a number"),
    ('value = 0.1\nunit = "1/day"', 'value = 20.0\nunit = "1/day"',
     "parameters.k_el.value", "outside its bounds"),
    ('unit = "1/day"', 'unit = "1/fortnight"', "parameters.k_el.unit", "fortnight"),
    ('bounds = [0.0, 10.0]\nsource = "test value"', 'bounds = [0.0, 10.0]\nsource = ""',
     "parameters.k_el.source", "needs a source"),
    ('bounds = [0.0, 10.0]', 'bounds = [10.0, 0.0]', "parameters.k_el.bounds", "above"),
    ('bounds = [0.0, 10.0]\nsource = "test value"', 'bounds = [0.0, 10.0]\nsorce = "test value"',
     "parameters.k_el.source", "required"),
    ('equation = "drug -> eliminated"', 'equation = "drug -> gone"',
     "reactions.elimination.equation", "unknown species 'gone'"),
    ('equation = "drug -> eliminated"', 'equation = "drug <-> eliminated"',
     "reactions.elimination.equation", "irreversible"),
    ('mechanism = "elimination"', 'mechanism = "magic"',
     "reactions.elimination.mechanism", "not declared"),
    ('[species.eliminated]', '[species.k_el]', "species.k_el", "already used"),
    ('compartment = "central"\nunit = "uM"\ninitial = "c0"',
     'compartment = "centre"\nunit = "uM"\ninitial = "c0"', "species.drug.compartment", "unknown compartment"),
    ('[observables.concentration]\nexpression = "drug * mw"\nunit = "mg/L"',
     '[observables.concentration]\nexpression = "drug * mw"\nunit = "mg"',
     "observables.concentration.expression", "cannot be shown in mg"),
    ('[doses.ivig]\niv = "drug"', '[doses.ivig]\niv = "drugs"', "doses.ivig.iv", "unknown species"),
    ('bounds = [0.0, 10.0]\nsource = "test value"', 'bounds = [0.0, 10.0]\nsource = "test value"\nci95 = [0.2, 0.3]\n'
     'fitted_in = "fits/x"', "parameters.k_el.ci95", "excludes the value 0.1"),
    ('bounds = [0.0, 10.0]\nsource = "test value"', 'bounds = [0.0, 10.0]\nsource = "test value"\nci95 = 0.2',
     "parameters.k_el.ci95", "expected [low, high]"),
    ('bounds = [0.0, 10.0]\nsource = "test value"', 'bounds = [0.0, 10.0]\nsource = "test value"\nci95 = [0.05, 0.2]',
     "parameters.k_el.fitted_in", "needs the fit problem"),
    ('bounds = [0.0, 10.0]\nsource = "test value"', 'bounds = [0.0, 10.0]\nsource = "test value"\nfitted_in = 3',
     "parameters.k_el.fitted_in", "expected text"),
]


@pytest.mark.parametrize("old,new,key,words", CASES)
def test_each_defect_names_file_and_key(tmp_path, old, new, key, words):
    with pytest.raises(ModelFileError) as info:
        load_with(tmp_path, old, new)
    message = str(info.value)
    assert str(tmp_path / "model.toml") in message
    assert f"[{key}]" in message, message
    assert words in message, message


def test_fitted_parameter_keeps_its_interval_and_fit_problem(tmp_path):
    spec = load_with(tmp_path, 'bounds = [0.0, 10.0]\nsource = "test value"',
                     'bounds = [0.0, 10.0]\nsource = "test value"\nci95 = [0.05, 0.2]\nfitted_in = "fits/x"')
    k_el = spec.parameters[spec.parameter_index("k_el")]
    assert k_el.ci95 == (0.05, 0.2) and k_el.fitted_in == "fits/x"
    plain = load_model_file(write(tmp_path, VALID, "plain.toml"))
    assert plain.parameters[plain.parameter_index("k_el")].ci95 is None


def test_dangling_species_is_refused(tmp_path):
    text = VALID.replace("[parameters.body_weight]",
                         '[species.orphan]\ncompartment = "central"\nunit = "uM"\n\n[parameters.body_weight]')
    with pytest.raises(ModelFileError, match=re.escape("[species.orphan]") + ".*no reaction"):
        load_model_file(write(tmp_path, text))


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="not valid TOML"):
        load_model_file(write(tmp_path, VALID + "\n[model\n"))
    with pytest.raises(ModelFileError, match="file not found"):
        load_model_file(tmp_path / "absent.toml")


def test_duplicate_table_is_refused(tmp_path):
    text = VALID + '\n[parameters.k_el]\nvalue = 1.0\nunit = "1/day"\nbounds = [0, 2]\nsource = "x"\n'
    with pytest.raises(ModelFileError, match="not valid TOML"):
        load_model_file(write(tmp_path, text))


def test_mixed_scale_rate_law_reports_the_factor(tmp_path):
    # A rate constant per hour used as if per day: dimensionally right, 24x off in scale.
    with pytest.raises(ModelFileError, match=r"0\.0416667 x the expected|24 x the expected"):
        load_with(tmp_path, 'unit = "1/day"', 'unit = "1/h"')
