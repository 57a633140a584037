"""Scoring: the QuakeSet paper's metrics, trained models and exported artifacts on a split,
the difficulty check of a file, and the paper-shaped result tables."""
