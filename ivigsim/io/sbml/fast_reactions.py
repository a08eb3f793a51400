"""SBML fast reactions (Level 2 and Level 3 Version 1 ``fast="true"``), reduced to quasi-equilibrium.

SBML's semantics: fast reactions are infinitely fast compared with the others,
so the species they change are at their equilibrium at every instant (the
kinetic law of each fast reaction is zero), while the slow reactions move the
quantities that the fast ones conserve. The reduction, done on the SBML
document before it is read:

1. The fast species are the non-boundary species that fast reactions change;
   ``N`` is their stoichiometry matrix in the fast reactions (amounts per
   reaction extent). Each vector ``l`` with ``l N = 0`` is a conserved pool
   ``P = sum_i l_i n_i`` of the fast species' amounts ``n_i``, which the fast
   reactions leave unchanged.
2. Each pool becomes a new species (an amount, in the compartment of its first
   member). It starts from the pool of the initial values and each slow
   reaction changes it by ``sum_i l_i`` times its stoichiometry of species
   ``i``, so the slow dynamics of the pools are exact.
3. The fast species are solved from the equilibrium conditions (each fast
   kinetic law = 0) and the pool definitions together
   (:mod:`ivigsim.core.algebraic`), and become boundary species set by the
   assignment rules of that solution. The fast reactions are removed.

This is exact in the limit the SBML describes, and it starts at equilibrium:
at time 0 a fast species already has its equilibrium value.

Refused, with the reaction named: fast reactions whose stoichiometries are
linearly dependent (their equilibrium conditions would overdetermine the
species), a fast species that an event or a rule sets, that lies in a
compartment whose size changes, or whose stoichiometry is not a number known
at import; conversion factors; a fast reaction whose rate the model's math
uses; an initial value that depends on a fast species; equilibrium conditions
without a unique explicit solution (``A + B <-> C`` by mass action is
quadratic in the species), and a solution that divides by something that can
change during the run or is zero (then the fast reactions do not determine
their species: ``k * A`` with a ``k`` that an event sets to 0).
"""

from __future__ import annotations

from ivigsim.core import algebraic as solver
from ivigsim.core.expressions import BinOp, Num, Sym, evaluate
from ivigsim.errors import IvigsimError
from ivigsim.io.sbml.algebraic import RawMath, check_divisor, determined_otherwise, names_in


def reduce_fast_reactions(imp):
    """Replace the fast reactions of ``imp.model`` by pools, slow reactions and assignment rules.

    Parameters
    ----------
    imp : the importer
        ``imp.fast_reactions`` holds the ids of the fast reactions (read
        before the conversion to Level 3 Version 2, which has no ``fast``);
        ``imp.model`` is changed in place and notes say what was done.

    Raises
    ------
    IvigsimError
        When the fast reactions cannot be reduced; the message names the
        file, the reaction and why.
    """
    import sympy

    m = imp.model
    fast = [r for r in m.getListOfReactions() if r.getId() in getattr(imp, "fast_reactions", ())]
    if not fast:
        return
    label = ", ".join(r.getId() for r in fast)
    reading = RawMath(imp)
    _refuse_unreducible(imp, fast, label)
    stoich = {r.getId(): _net_stoichiometry(imp, r, label) for r in m.getListOfReactions()}
    species = [s.getId() for s in m.getListOfSpecies()
               if any(s.getId() in stoich[r.getId()] for r in fast) and not s.getBoundaryCondition()]
    if not species:
        # only boundary species: the fast reactions change nothing, at any speed
        _remove(m, fast)
        imp.notes.append(f"The fast reaction(s) {label} change only boundary species and were left out.")
        return
    _refuse_fast_species(imp, species, label)
    matrix = sympy.Matrix([[stoich[r.getId()].get(s, 0) for r in fast] for s in species])
    if matrix.rank() < len(fast):
        imp.fail("fast reaction", label, "the stoichiometries of the fast reactions are linearly dependent, so "
                                         "their equilibrium conditions overdetermine the species")
    pools = [_integral(v) for v in matrix.T.nullspace()]
    pool_ids = [_new_id(m, f"fast_pool_{k + 1}") for k in range(len(pools))]
    equations = []
    for r in fast:
        local = {p.getId(): Num(p.getValue()) for p in r.getKineticLaw().getListOfLocalParameters()}
        equations.append(reading.read(r.getKineticLaw().getMath(), imp.where("fast reaction", r.getId()), local))
    for pid, weights in zip(pool_ids, pools):
        total = _weighted(imp, species, weights, _amount)
        equations.append(BinOp("-", total, Sym(pid)))
    try:
        solution = solver.solve(equations, species)
    except solver.Unsolvable as exc:
        imp.fail("fast reaction", label, f"its equilibrium cannot be solved for {_listed(species)}: {exc}")
    fixed = determined_otherwise(imp) | set(pool_ids)
    check_divisor(imp, "fast reaction", label, species, solution.determinant, fixed)
    for pid, weights in zip(pool_ids, pools):
        _add_pool(imp, reading, pid, species, weights, stoich, fast)
    for a in reversed(range(m.getNumInitialAssignments())):
        if m.getInitialAssignment(a).getSymbol() in species:
            m.removeInitialAssignment(a)          # the pool starts from it; the equilibrium holds from t = 0
    for s in species:
        m.getSpecies(s).setBoundaryCondition(True)
        reading.write_assignment(s, solution.values[s])
    _remove(m, fast)
    members = ["; ".join(_pool_text(species, w) for w in pools)]
    imp.notes.append(f"The fast reaction(s) {label} are taken at equilibrium at every instant (SBML's fast "
                     f"semantics): {', '.join(species)} are solved from their kinetic laws = 0 and the "
                     f"conserved pool(s) {', '.join(pool_ids)} = {members[0]}, which the slow reactions change.")


def _remove(m, fast):
    """Remove the fast reactions, and the rules and initial assignments of their stoichiometries."""
    refs = _reference_ids(fast)
    for k in reversed(range(m.getNumRules())):
        if m.getRule(k).getVariable() in refs:
            m.removeRule(k)
    for k in reversed(range(m.getNumInitialAssignments())):
        if m.getInitialAssignment(k).getSymbol() in refs:
            m.removeInitialAssignment(k)
    for r in fast:
        m.removeReaction(r.getId())


def _reference_ids(reactions):
    return {ref.getId() for r in reactions for ref in list(r.getListOfReactants()) + list(r.getListOfProducts())
            if ref.isSetId()}


def _refuse_unreducible(imp, fast, label):
    m = imp.model
    if m.isSetConversionFactor():
        imp.fail("fast reaction", label, "the model has a conversion factor, which the reduction of fast "
                                         "reactions does not support")
    ids = {r.getId() for r in fast}
    for r in fast:
        if not r.isSetKineticLaw() or not r.getKineticLaw().isSetMath():
            imp.fail("fast reaction", r.getId(), "it has no kinetic law, so its equilibrium is not defined")
    for _, ast in _all_math(m):
        used = names_in(ast) & ids
        if used:
            imp.fail("fast reaction", sorted(used)[0], "the model's math uses its rate, which is not defined "
                                                       "once it is taken at equilibrium")
    refs = _reference_ids(fast)
    for owner, ast in _all_math(m):
        used = names_in(ast) & refs
        if used and owner not in refs:
            imp.fail("fast reaction", label, f"the model's math uses the stoichiometry '{sorted(used)[0]}' of a "
                                             f"fast reaction, which has no role once it is taken at equilibrium")


def _all_math(m):
    """(the id a rule or initial assignment sets, or None; its math) for all the model's math."""
    for r in m.getListOfRules():
        yield r.getVariable(), r.getMath()
    for a in m.getListOfInitialAssignments():
        yield a.getSymbol(), a.getMath()
    for r in m.getListOfReactions():
        if r.isSetKineticLaw():
            yield None, r.getKineticLaw().getMath()
    for ev in m.getListOfEvents():
        for part in (ev.getTrigger(), ev.getDelay(), ev.getPriority()):
            if part is not None and part.isSetMath():
                yield None, part.getMath()
        for ea in ev.getListOfEventAssignments():
            yield None, ea.getMath()


def _net_stoichiometry(imp, reaction, label):
    """Species id -> net stoichiometry (products minus reactants) of a reaction, as exact numbers."""
    import sympy

    net = {}
    for sign, refs in ((-1, reaction.getListOfReactants()), (1, reaction.getListOfProducts())):
        for ref in refs:
            value, sid = _stoichiometry_value(imp, ref), ref.getSpecies()
            if value is None or net.get(sid, 0) is None:
                net[sid] = None              # not a number at import: refused if a fast species has it
            else:
                net[sid] = net.get(sid, 0) + sign * sympy.Rational(repr(float(value)))
    return net


def _stoichiometry_value(imp, ref):
    """A species reference's stoichiometry if it is a number known at import, else None."""
    m = imp.model
    ref_id = ref.getId() if ref.isSetId() else None
    if ref_id is not None and _event_assigned(m, ref_id):
        return None
    if ref_id is None or ref_id not in imp.rules_or_assigned():
        return ref.getStoichiometry() if ref.isSetStoichiometry() else None
    math = imp.constant_math(ref_id)
    if math is None:
        return None
    values = {p.getId(): p.getValue() for p in m.getListOfParameters() if p.isSetValue()}
    values.update({c.getId(): c.getSize() for c in m.getListOfCompartments() if c.isSetSize()})
    try:
        return float(evaluate(RawMath(imp).read(math, imp.where("stoichiometry", ref_id)), values))
    except (IvigsimError, KeyError, ArithmeticError):
        return None


def _event_assigned(m, sbml_id):
    return any(ea.getVariable() == sbml_id for ev in m.getListOfEvents() for ea in ev.getListOfEventAssignments())


def _refuse_fast_species(imp, species, label):
    m = imp.model
    set_by_rules = {r.getVariable() for r in m.getListOfRules()}
    for sid in species:
        s = m.getSpecies(sid)
        if sid in set_by_rules or _event_assigned(m, sid):
            imp.fail("fast reaction", label, f"it changes '{sid}', which a rule or an event also sets; the "
                                             f"reduction to equilibrium does not support that")
        if s.isSetConversionFactor():
            imp.fail("fast reaction", label, f"'{sid}' has a conversion factor, which the reduction of fast "
                                             f"reactions does not support")
        c = s.getCompartment()
        if c in set_by_rules or _event_assigned(m, c) or not m.getCompartment(c).getConstant():
            imp.fail("fast reaction", label, f"'{sid}' is in compartment '{c}', whose size may change; the "
                                             f"reduction to equilibrium needs a constant size")
    for r in m.getListOfReactions():
        for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
            if ref.getSpecies() in species and _stoichiometry_value(imp, ref) is None:
                imp.fail("fast reaction", label, f"the stoichiometry of '{ref.getSpecies()}' in reaction "
                                                 f"'{r.getId()}' is not a number known at import")
    for a in m.getListOfInitialAssignments():
        used = sorted(names_in(a.getMath()) & set(species))
        if used:
            imp.fail("initial assignment", a.getSymbol(), f"it uses {', '.join(used)}, whose value at the start "
                                                          f"fast reactions change")


def _integral(vector):
    """A null-space vector scaled to the smallest whole numbers, first nonzero entry positive."""
    import sympy

    scale = sympy.ilcm(*[sympy.fraction(sympy.nsimplify(v))[1] for v in vector])
    ints = [sympy.nsimplify(v) * scale for v in vector]
    divisor = sympy.igcd(*[int(v) for v in ints if v != 0])
    ints = [int(v) // divisor for v in ints]
    first = next(v for v in ints if v != 0)
    return [v if first > 0 else -v for v in ints]


def _new_id(m, base):
    name, n = base, 2
    while m.getElementBySId(name) is not None:
        name, n = f"{base}_{n}", n + 1
    return name


def _amount(imp, sid):
    """The amount of a species in SBML math terms (its id is a concentration unless hasOnlySubstanceUnits)."""
    s = imp.model.getSpecies(sid)
    return Sym(sid) if s.getHasOnlySubstanceUnits() else BinOp("*", Sym(sid), Sym(s.getCompartment()))


def _weighted(imp, species, weights, term):
    total = None
    for sid, w in zip(species, weights):
        if w == 0:
            continue
        part = term(imp, sid)
        part = part if w == 1 else BinOp("*", Num(float(w)), part)
        total = part if total is None else BinOp("+", total, part)
    return total


def _initial_amount(imp, sid):
    """The amount of a species at the start, before the fast reactions equilibrate it."""
    m = imp.model
    s = m.getSpecies(sid)
    size = Sym(s.getCompartment())
    for a in m.getListOfInitialAssignments():
        if a.getSymbol() == sid:
            node = RawMath(imp).read(a.getMath(), imp.where("initial assignment", sid))
            return node if s.getHasOnlySubstanceUnits() else BinOp("*", node, size)
    if s.isSetInitialAmount():
        return Num(s.getInitialAmount())
    if s.isSetInitialConcentration():
        return BinOp("*", Num(s.getInitialConcentration()), size)
    imp.fail("species", sid, "it has no initial value, so the pool of its fast reactions has none")


def _add_pool(imp, reading, pid, species, weights, stoich, fast):
    """The pool species: its initial amount, and its stoichiometry in every slow reaction."""
    m = imp.model
    first = species[next(k for k, w in enumerate(weights) if w != 0)]
    member = m.getSpecies(first)
    pool = m.createSpecies()
    pool.setId(pid)
    pool.setName(f"the pool {_pool_text(species, weights)}, conserved by the fast reactions")
    pool.setCompartment(member.getCompartment())
    pool.setHasOnlySubstanceUnits(True)
    pool.setBoundaryCondition(False)
    pool.setConstant(False)
    pool.setInitialAmount(0.0)
    if member.isSetSubstanceUnits():
        pool.setSubstanceUnits(member.getSubstanceUnits())
    start = m.createInitialAssignment()
    start.setSymbol(pid)
    start.setMath(reading.ast(_weighted(imp, species, weights, _initial_amount)))
    fast_ids = {r.getId() for r in fast}
    for r in m.getListOfReactions():
        if r.getId() in fast_ids:
            continue
        change = sum((w * stoich[r.getId()].get(s, 0) for s, w in zip(species, weights)), 0)
        if change == 0:
            continue
        ref = r.createProduct() if change > 0 else r.createReactant()
        ref.setSpecies(pid)
        ref.setStoichiometry(float(abs(change)))
        ref.setConstant(True)


def _listed(names, most=8):
    """Names for a message: all of them, or the first few and how many there are."""
    return ", ".join(names) if len(names) <= most else f"{', '.join(names[:most])}, ... ({len(names)} in all)"


def _pool_text(species, weights):
    terms = [(sid if w == 1 else f"{w}*{sid}") for sid, w in zip(species, weights) if w != 0]
    return " + ".join(terms)
