"""The SAR simulator: Sentinel-1-like bitemporal scenes with co-seismic change, written in the
published QuakeSet schema (docs/simulator.md)."""
