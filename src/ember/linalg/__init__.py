"""ember.linalg: torch.linalg's functions (re-exports only)."""
from __future__ import annotations

from ember.ops.decompositions import LinAlgError, cholesky, det, inv, qr, solve
from ember.ops.decompositions import linalg_slogdet as slogdet
from ember.ops.diagonals import linalg_diagonal as diagonal
from ember.ops.linalg import matmul
from ember.ops.linalg_norms import linalg_cross as cross
from ember.ops.linalg_norms import linalg_norm as norm
from ember.ops.linalg_norms import matrix_norm, vector_norm
from ember.ops.spectral import eigh, eigvalsh, pinv, svd, svdvals

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
           "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm"]
