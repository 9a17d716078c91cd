"""Op-table rows for the nn family (see op_table.py: each call to `row`/`variants` adds rows)."""
from __future__ import annotations
