"""quakesat: on-board earthquake detection for radar satellites.

The import package is assembled from the repository's stage folders (see README "Layout"):
``quakesat.models`` (data, simulator, training), ``quakesat.export`` (int8 artifacts),
``quakesat.runtime`` (the flight side: numpy only), ``quakesat.bench`` (measurements).
Importing this root imports none of them.
"""

__version__ = "0.2.0"
"""The one version number of the Python package and the C++ runner (CMakeLists.txt reads it here)."""
