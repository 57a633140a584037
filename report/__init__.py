"""The top floor of quakesat: ``quakesat report``, one self-contained HTML page built from the
records the other commands write (run, mission, bench, export, demo).

It reads every producer's output and is imported by none of them; only the CLI and the demo
call it (:func:`quakesat.report.build.write_report`).
"""
