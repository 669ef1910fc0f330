"""The ``tripod`` command line (typer), one module per group of commands.

These modules do without ``from __future__ import annotations``: typer reads the signature of every
command at each start (``tripod --help`` as well as ``tripod assess``), and annotations kept as text
would be evaluated afresh each time, twice per command (about a seventh of ``tripod --help``'s
instructions). Evaluated once, when the module is imported, they cost almost nothing; a name
imported only for type checking is written in quotes.
"""
