"""Export side of quakesat: trained models to fp32/int8 ONNX and TFLite (skl2onnx for shallow
pipelines), a manifest with hashes and constants, and a fidelity gate (docs/export.md).
"""
