"""The reasoning core and the application around it (see ARCHITECTURE.md). Importing it first makes
experta importable wherever Tripod is installed, and quiet (``engine/experta_import.py``)."""

from engine.experta_import import install

install()
