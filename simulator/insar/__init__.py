"""Same-track interferometry for the simulator: co-seismic displacement from an elastic
half-space dislocation, its line-of-sight projection, tropospheric and orbital delays,
decorrelation, non-seismic deformation, and complex (SLC) pairs that carry them all.

docs/simulator.md, "Interferometric pairs", gives the physics, the constants and their sources.
"""
