"""The flight side of quakesat: preprocessing, the decision rule, exported models, the
downlink message codec.

Imports numpy and the standard library only; an inference backend (onnxruntime or
ai-edge-litert, the ``runtime`` extra) is imported when a model is opened. Never torch,
scikit-learn, h5py, nor anything from ``quakesat.models`` / ``quakesat.export``. This is what
flies (DESIGN §1).
"""
