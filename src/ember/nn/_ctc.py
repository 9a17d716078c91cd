"""Connectionist Temporal Classification loss (Graves et al. 2006), as torch computes it on the CPU.

With the extended target l' (blanks around and between the labels, length S = 2L + 1), the
forward variables in log space are

    alpha_0(0) = lp_0(blank),  alpha_0(1) = lp_0(l'_1)
    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if l'_s != l'_{s-2}) + lp_t(l'_s)

and the loss is -logsumexp(alpha_{T-1}(S-1), alpha_{T-1}(S-2)). The backward variables beta run the
same recursion from the end; the gradient torch returns for log_probs is

    (exp(lp_t(c)) - sum_{s: l'_s = c} exp(alpha_t(s) + beta_t(s) + nll - lp_t(c))) * grad

for t below the input length and 0 after it (the exp(lp) term makes it the exact gradient once
log_probs come from log_softmax, as in torch). Both recursions loop over time only: every step
works on the whole batch and all states at once in NumPy.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.nn._reduction import get_enum
from ember.ops.elementwise import where
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["ctc_loss"]

_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


def _logsumexp3(a: Any, b: Any, c: Any) -> Any:
    """log(e^a + e^b + e^c) as torch's kernel computes it: shifted by the max (0 when all are -inf)."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == -xp.inf, m.dtype.type(0), m)
    return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _shift(a: Any, k: int, fill: Any) -> Any:
    """``a`` moved ``k`` states along the last axis (right for k > 0, left for k < 0), ``fill`` coming in."""
    out = xp.full_like(a, fill)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


class _Ctc:
    """The arrays of one ctc_loss call: the forward (alpha, nll) and, on demand, the gradient."""

    def __init__(self, lp: Any, labels: Any, il: Any, tl: Any, blank: int, zero_infinity: bool) -> None:
        n = lp.shape[1]
        self.lp, self.il, self.tl, self.zero_infinity = lp, il, tl, zero_infinity
        self.ext = xp.full((n, 2 * labels.shape[1] + 1), blank, xp.int64)  # l': blank, l_1, blank, l_2, ...
        self.ext[:, 1::2] = labels
        self.lp_ext = lp[:, xp.arange(n)[:, None], self.ext]  # lp_t(l'_s): (T, N, S)
        self.alpha, self.nll = self._forward()

    def _forward(self) -> tuple[Any, Any]:
        lp_ext, ext, il, tl = self.lp_ext, self.ext, self.il, self.tl
        neginf = lp_ext.dtype.type(-xp.inf)
        skip = xp.zeros(ext.shape, bool)
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        alpha = xp.full(lp_ext.shape, neginf)
        if lp_ext.shape[0]:
            alpha[0, :, 0] = lp_ext[0, :, 0]
            if ext.shape[1] > 1:
                alpha[0, :, 1] = xp.where(tl > 0, lp_ext[0, :, 1], neginf)
        with xp.errstate(invalid="ignore"):
            for t in range(1, lp_ext.shape[0]):
                prev = alpha[t - 1]
                alpha[t] = _logsumexp3(prev, _shift(prev, 1, neginf), xp.where(skip, _shift(prev, 2, neginf), neginf)
                                       ) + lp_ext[t]
        rows = xp.arange(len(il))
        last = alpha[xp.maximum(il - 1, 0), rows]  # (N, S)
        l1 = last[rows, 2 * tl]
        l2 = xp.where(tl > 0, last[rows, xp.maximum(2 * tl - 1, 0)], neginf)
        m = xp.maximum(l1, l2)
        m = xp.where(m == neginf, m.dtype.type(0), m)
        log_likelihood = xp.where(tl > 0, xp.log(xp.exp(l1 - m) + xp.exp(l2 - m)) + m, l1)
        log_likelihood = xp.where(il > 0, log_likelihood, xp.where(tl > 0, neginf, lp_ext.dtype.type(0)))
        return alpha, -log_likelihood

    def _beta(self) -> Any:
        lp_ext, ext, il, tl = self.lp_ext, self.ext, self.il, self.tl
        neginf = lp_ext.dtype.type(-xp.inf)
        n, s = ext.shape
        skip = xp.zeros(ext.shape, bool)
        skip[:, :-2] = ext[:, 2:] != ext[:, :-2]
        valid = xp.arange(s)[None, :] <= 2 * tl[:, None]
        beta = xp.full(lp_ext.shape, neginf)
        with xp.errstate(invalid="ignore"):
            for t in range(lp_ext.shape[0] - 1, -1, -1):
                row = xp.full((n, s), neginf)
                if t + 1 < lp_ext.shape[0]:
                    nxt = beta[t + 1]
                    rec = _logsumexp3(nxt, _shift(nxt, -1, neginf), xp.where(skip, _shift(nxt, -2, neginf), neginf))
                    row = xp.where(valid & (t < il - 1)[:, None], rec + lp_ext[t], neginf)
                start = il - 1 == t
                row[start, 2 * tl[start]] = lp_ext[t, start, 2 * tl[start]]
                first = start & (tl > 0)
                row[first, 2 * tl[first] - 1] = lp_ext[t, first, 2 * tl[first] - 1]
                beta[t] = row
        return beta

    def unit_grad(self) -> Any:
        """The gradient of each sample's loss for an upstream gradient of 1, shaped like log_probs."""
        lp, nll = self.lp, self.nll
        n_classes = lp.shape[2]
        with xp.errstate(invalid="ignore", over="ignore"):
            occupancy = xp.exp(self.alpha + self._beta() - self.lp_ext + nll[None, :, None])
            one_hot = (self.ext[:, :, None] == xp.arange(n_classes)).astype(lp.dtype)  # (N, S, C)
            grad = xp.exp(lp) - xp.einsum("tns,nsc->tnc", occupancy, one_hot)
        grad[xp.arange(lp.shape[0])[:, None] >= self.il[None, :]] = 0
        if self.zero_infinity:
            grad[:, nll == xp.inf] = 0
        return grad.astype(lp.dtype, copy=False)


def _ctc_rule(F: Any, grad: Any, saved: _Ctc) -> Any:
    return F.unsqueeze(F.unsqueeze(grad, 0), -1) * saved.unit_grad()


_CtcLoss = node_class("CtcLossBackward0", _ctc_rule)


def _lengths(input_lengths: Any, target_lengths: Any) -> tuple[Any, Any]:
    if isinstance(input_lengths, Tensor) and isinstance(target_lengths, Tensor):
        for name, t in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
            if t._data.dtype.kind not in "iu":
                raise RuntimeError(f"{name} must be integral")
        return input_lengths._data.astype(xp.int64).reshape(-1), target_lengths._data.astype(xp.int64).reshape(-1)
    if isinstance(input_lengths, Sequence) and isinstance(target_lengths, Sequence) and not (
            isinstance(input_lengths, Tensor) or isinstance(target_lengths, Tensor)):
        return xp.asarray(input_lengths, xp.int64).reshape(-1), xp.asarray(target_lengths, xp.int64).reshape(-1)
    raise TypeError(f"ctc_loss() received an invalid combination of arguments - got (Tensor, Tensor, "
                    f"{type(input_lengths).__name__}, {type(target_lengths).__name__}, int, int, bool)")


def _padded_labels(targets: Tensor, il: Any, tl: Any, n: int, blank: int) -> Any:
    """The targets as an (N, max target length) array, blank past each target's length."""
    t = targets._data.astype(xp.int64)
    if t.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {t.ndim}-dimensional tensor for argument #2 "
                           f"'targets'{_WHERE}")
    for b in range(n):
        if tl[b] < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {tl[b]}{_WHERE}")
    max_len = int(tl.max()) if n else 0
    if t.ndim == 1:
        if t.shape[0] != int(tl.sum()):
            raise RuntimeError(f"Expected tensor to have size {int(tl.sum())} at dimension 0, but got size "
                               f"{t.shape[0]} for argument #2 'targets'{_WHERE}")
        index = (xp.cumsum(tl) - tl)[:, None] + xp.arange(max_len)
        labels = t[xp.minimum(index, max(t.shape[0] - 1, 0))] if t.shape[0] else xp.zeros(index.shape, xp.int64)
    else:
        if t.shape[0] != n:
            raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size {t.shape[0]} for "
                               f"argument #2 'targets'{_WHERE}")
        if t.shape[1] < max_len:
            raise RuntimeError(f"Expected tensor to have size at least {max_len} at dimension 1, but got size "
                               f"{t.shape[1]} for argument #2 'targets'{_WHERE}")
        labels = t[:, :max_len]
    return xp.where(xp.arange(max_len) < tl[:, None], labels, blank)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of ``log_probs`` (T, N, C), or (T, C) unbatched, against ``targets``: padded (N, S)
    or concatenated (sum(target_lengths),). 'mean' divides each loss by its target length (at
    least 1) before averaging; ``zero_infinity`` zeroes infinite losses and their gradients."""
    enum = get_enum(reduction)
    il, tl = _lengths(input_lengths, target_lengths)
    is_batched = log_probs.dim() == 3
    lp_t = log_probs if is_batched else log_probs.unsqueeze(1)
    lp = lp_t._data
    if lp.dtype.kind != "f":
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{log_probs.dtype.scalar_name}'")
    if lp.size == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument #1 "
                           f"'log_probs'{_WHERE}")
    n, n_classes = lp.shape[1], lp.shape[2]
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    if il.size != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    labels = _padded_labels(targets, il, tl, n, blank)
    for b in range(n):
        if il[b] < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {il[b]}{_WHERE}")
        if il[b] > lp.shape[0]:
            raise RuntimeError(f"Expected input_lengths to have value at most {lp.shape[0]}, but got value {il[b]}"
                               f"{_WHERE}")
    saved = _Ctc(lp, labels, il, tl, blank, zero_infinity)
    res = Tensor._make(saved.nll)
    if lp_t._requires_grad and grad_state.enabled:
        attach(res, _CtcLoss, (lp_t,), {"saved": saved})
    if zero_infinity:
        res = where(res == float("inf"), Tensor._make(xp.zeros((), lp.dtype)), res)
    if enum == 1:
        return (res / Tensor._make(xp.maximum(tl, 1).astype(lp.dtype))).mean()
    if enum == 2:
        return res.sum()
    return res if is_batched else res.squeeze(0)
