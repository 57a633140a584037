"""Training side of quakesat: the QuakeSet reader, the SAR simulator, models and metrics."""
