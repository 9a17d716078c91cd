"""Named tuples that ops return (``ember.return_types.max(values=..., indices=...)``)."""
from __future__ import annotations

from typing import Any


class _ReturnType(tuple):
    _fields: tuple[str, ...] = ()

    def __new__(cls, *values: Any) -> Any:
        return super().__new__(cls, values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"ember.return_types.{type(self).__name__}(\n{body})"


def _make(name: str, *fields: str) -> type[_ReturnType]:
    return type(name, (_ReturnType,), {"_fields": fields, "__slots__": ()})


max = _make("max", "values", "indices")  # noqa: A001
min = _make("min", "values", "indices")  # noqa: A001
