"""Data side of quakesat: the QuakeSet reader (``earthquakes.h5``, real or simulated), file
inspection, and the file's bitemporal pairs as flight-runtime tiles. h5py, numpy."""
