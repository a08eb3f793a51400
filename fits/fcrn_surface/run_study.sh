#!/usr/bin/env bash
# Every run of the cell-surface FcRn derivation, in order, on models/fcrn_pk.toml; writes the result files of
# fits/fcrn_surface.
# Run from the repository root: bash fits/fcrn_surface/run_study.sh  (6 min on a shared 2-core machine)
set -euo pipefail
D=fits/fcrn_surface
C="python $D/calibrate.py"
# The main fits: rozanolixizumab sets the surface fraction and cycling; the others take them.
$C rozanolixizumab --starts 24
$C nipocalimab --starts 16
$C efgartigimod --starts 12
python $D/profile.py
# Sensitivity: rozanolixizumab's pH 7.4 K_D, and its unidentified haematopoietic capture.
$C rozanolixizumab --starts 24 --fix fcra_kd_surface=5e-05 --out fitted_kd_50pM.toml
$C rozanolixizumab --starts 24 --free fcra_kd_surface --out fitted_kd_free.toml
$C rozanolixizumab --starts 12 --fix fcra_capture_h=1000 --out fitted_capture_h_1000.toml
# Each drug's own surface, and efgartigimod's fluid-phase uptake.
$C nipocalimab --starts 16 --free fcrn_surface_cycling --out fitted_cycling_free.toml
$C nipocalimab --starts 16 --free fcrn_surface_fraction --free fcrn_surface_cycling --out fitted_surface_free.toml
$C efgartigimod --starts 12 --free fcrn_surface_fraction --free fcrn_surface_cycling --out fitted_surface_free.toml
$C efgartigimod --starts 12 --free fcra_uptake --out fitted_uptake_free.toml
# The lumped endothelial capture estimated per drug on the same surface (as fits/<drug> ships it).
$C efgartigimod --starts 12 --free fcra_capture --out fitted_capture_free.toml
$C nipocalimab --starts 16 --free fcra_capture --out fitted_capture_free.toml
# One surface for both antibodies.
python $D/joint.py --starts 16
# TH-02..05 with each set of fits.
python $D/predict.py
python $D/predict.py --fit nipocalimab=fitted_surface_free.toml --fit efgartigimod=fitted_surface_free.toml \
    --out predictions_own_surface.toml
python $D/predict.py --fit rozanolixizumab=fitted_capture_h_1000.toml --fit nipocalimab=fitted_cycling_free.toml \
    --out predictions_brackets.toml
python $D/predict.py --fit rozanolixizumab=fitted_joint.toml --fit nipocalimab=fitted_joint.toml \
    --out predictions_joint.toml
