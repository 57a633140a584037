"""The flight side of quakesat: preprocessing and the downlink message codec.

Imports numpy and the standard library only: never torch, scikit-learn, h5py, nor anything
from ``quakesat.models`` / ``quakesat.export``. This is what flies (DESIGN §1).
"""
