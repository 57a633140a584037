"""The mission layer: what a radar satellite running quakesat would have told the ground, and when.

A scenario (:mod:`quakesat.mission.scenario`) names an orbit, an instrument, ground
stations, a downlink, the onboard configuration and an earthquake catalogue. The orbit and
the station passes come from skyfield/sgp4 (:mod:`~quakesat.mission.orbit`,
:mod:`~quakesat.mission.contacts`); the swath decides which events are imaged and when
(:mod:`~quakesat.mission.swath`); imaged events become tiles simulated with the simulator's
physics beside a sampled stream of event-free tiles (:mod:`~quakesat.mission.tiles`); every
tile runs through the real flight runtime, Python or the C++ runner
(:mod:`~quakesat.mission.onboard`); the onboard queue is released under the link budget at
each contact (:mod:`~quakesat.mission.downlink`); the ground decodes what arrived, and
:mod:`~quakesat.mission.report` turns it into time-to-alert figures, false alerts, bytes and
energy, beside the ground-processing route and seismic-network alerts. Ground side: it
imports the runtime, never the other way.
"""
