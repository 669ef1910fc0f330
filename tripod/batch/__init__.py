"""``tripod batch``: many case files assessed in worker processes, written to one folder."""
