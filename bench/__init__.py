"""Measurement side of quakesat: latency, memory, MACs, energy, and the downlink simulation.

Empty until the benchmark issues land; declared now so the package layout is fixed.
"""
