"""torch.norm: the Frobenius (or any vector p-) norm, or the nuclear norm, built on linalg's norms
exactly as torch.functional.norm builds it."""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.ops.linalg_norms import matrix_norm, vector_norm
from ember.ops.registry import register
from ember.tensor import Tensor

__all__ = ["norm"]


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None,
         dtype: dtypes.dtype | None = None) -> Tensor:
    """The ``p``-norm over ``dim`` (all dims when None): 'fro' (the 2-norm of the entries), 'nuc'
    (over two dims), or any number (a vector norm)."""
    dims = [dim] if isinstance(dim, int) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dims, keepdim, dtype=dtype)
        return matrix_norm(input, p, list(range(input._data.ndim)) if dims is None else dims, keepdim, dtype=dtype)
    return vector_norm(input, 2.0 if p is None else p, dims, keepdim, dtype=dtype)


register(norm)
