"""The rule base, one module per chain segment. ``engine`` is imported first: it keeps experta's
logging quiet from experta's first import on (``engine/experta_import.py``)."""

import engine  # noqa: F401
