"""Many runs: experiment files, their points, the ensemble executor and the results store.

Layered in this order, each knowing only those before it: experiment types and reader,
points (samplers), work (the ensemble), executors, results (store).
"""
