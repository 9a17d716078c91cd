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
sort = _make("sort", "values", "indices")
topk = _make("topk", "values", "indices")
kthvalue = _make("kthvalue", "values", "indices")
median = _make("median", "values", "indices")
nanmedian = _make("nanmedian", "values", "indices")
mode = _make("mode", "values", "indices")
cummax = _make("cummax", "values", "indices")
cummin = _make("cummin", "values", "indices")
aminmax = _make("aminmax", "min", "max")
slogdet = _make("slogdet", "sign", "logabsdet")
linalg_slogdet = _make("linalg_slogdet", "sign", "logabsdet")
linalg_eigh = _make("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_qr = _make("linalg_qr", "Q", "R")
linalg_svd = _make("linalg_svd", "U", "S", "Vh")
