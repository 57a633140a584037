"""The models and their training: networks (MobileNetV2, multi-head, QuakeLite) in plain torch,
the paper's shallow scikit-learn baselines, the log-ratio rule, and ``quakesat train``."""
