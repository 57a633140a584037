"""The subcommands of ``quakesat``, one module per family; :mod:`quakesat.cli` builds the parser
from them and maps errors to exit statuses.

====================  ==============================================================
``data``              ``simulate``, ``data info``, ``data difficulty``
``models``            ``train``, ``evaluate``, ``results``
``export``            ``export``, ``adopt``
``flight``            ``run``, ``archive``, ``decode``
``flight_options``    what ``run`` and ``archive`` share: options, runtime, policy, log
``bench``             ``bench``, ``reliability``
``keys``              ``keygen``, ``sign``
``mission``           ``mission``
``report``            ``report``, ``demo``
``common``            names and error lines every family uses
====================  ==============================================================

Each module's ``add_*`` functions register a subcommand's parser with its handler; heavy
imports happen inside the handlers (:mod:`quakesat.cli` says why).
"""
