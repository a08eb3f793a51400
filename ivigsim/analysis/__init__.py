"""What is computed from runs: metrics, factorials, comparisons, validation, fitting, regression."""
