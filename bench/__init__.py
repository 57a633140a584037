"""Measurement side of quakesat: pytest-benchmark suites (``bench/suites``: latency per artifact
and per flight-runtime stage) and instruction counts of the C++ runner
(``bench/instruction_counts.py``); docs/benchmarks.md has the numbers.
"""
