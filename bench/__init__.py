"""Atelier benchmarks: `python -m bench <engine> [--quick]` prints one JSON object.

Numbers and the machine they came from are kept in bench/RESULTS.md; tests never time things.
"""
