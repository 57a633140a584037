"""Ground side of quakesat: decoding the downlink stream, and running the flight runtime over
tiles on the ground (``quakesat run``). Imports the runtime; never imported by it."""
