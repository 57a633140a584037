"""Allow ``python -m quakesat`` as an alias of the ``quakesat`` console script."""

from quakesat.cli import main

raise SystemExit(main())
