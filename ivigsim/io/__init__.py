"""Files in and out: SBML import and export, and atomic writes."""
