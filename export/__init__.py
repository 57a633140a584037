"""Export side of quakesat: turns trained checkpoints into int8 artifacts and a manifest.

Empty until the export issue lands; declared now so the package layout is fixed.
"""
