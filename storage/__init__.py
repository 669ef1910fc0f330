"""Storage: case files in and out, owner-only atomic writes, and the record store (SQL)."""
