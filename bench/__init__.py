"""Benchmarks: `python -m bench [--quick] [--json FILE]`; each measure next to a baseline from the same run."""
