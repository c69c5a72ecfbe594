"""Benchmarks: measurements recorded in BENCHMARKS.md, never timed tests.

Each module is runnable with `python -m bench.<name>`; see bench/README.md.
"""
