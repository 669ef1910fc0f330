"""The reasoning core and the application around it (see ARCHITECTURE.md)."""

from engine.experta_quiet import install

install()
