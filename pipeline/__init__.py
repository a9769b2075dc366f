"""Pure functions, no I/O: decode -> extract body and metadata -> structure -> compare.

Nothing here imports crawler/, storage/, notifications/ or policywatch/, so the pipeline
can be tested and benchmarked alone.
"""
