"""Export side of quakesat: trained models to fp32/int8 ONNX, TFLite and ExecuTorch artifacts
from one format table (skl2onnx for shallow pipelines, the rule file for the log-ratio rule),
the typed manifest with hashes and constants, the fidelity gate, and the onboard calibration
of the change gate and location (docs/export.md).
"""
