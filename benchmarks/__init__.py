"""Benchmarks of the kit against the tutorial's way, run with ``python -m benchmarks``."""
