"""Helpers for differential tests against the torch oracle.

``torch`` is imported by the test modules (``pytest.importorskip("torch")``) and passed in, so
this module imports without torch installed.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import ember


def to_ember(arr: np.ndarray, requires_grad: bool = False) -> ember.Tensor:
    t = ember.tensor(arr.copy())
    return t.requires_grad_() if requires_grad else t


def to_torch(torch: Any, arr: np.ndarray, requires_grad: bool = False) -> Any:
    t = torch.from_numpy(arr.copy())
    return t.requires_grad_() if requires_grad else t


def assert_same(e: Any, t: Any, rtol: float = 1e-5, atol: float = 1e-6, check_dtype: bool = True) -> None:
    """An ember tensor and a torch tensor hold the same values, shape and dtype."""
    assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
    if check_dtype:
        assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", ""), (e.dtype, t.dtype)
    ev = e.detach().numpy().astype(np.float64) if e.dtype.is_floating_point else e.detach().numpy()
    tv = t.detach().numpy().astype(np.float64) if t.dtype.is_floating_point else t.detach().numpy()
    np.testing.assert_allclose(ev, tv, rtol=rtol, atol=atol, equal_nan=True)


def grad_fn_name(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def check_against_torch(
    torch: Any,
    ember_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    arrays: Sequence[np.ndarray],
    *,
    grad: Sequence[bool] | bool = True,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    check_grad_fn: bool = True,
    seed: int = 0,
) -> None:
    """Run both functions on the same inputs; compare outputs, grad_fn names, and (for float
    inputs marked in ``grad``) every input's gradient under a random upstream gradient."""
    flags = [grad] * len(arrays) if isinstance(grad, bool) else list(grad)
    flags = [f and a.dtype.kind == "f" for f, a in zip(flags, arrays)]
    e_in = [to_ember(a, f) for a, f in zip(arrays, flags)]
    t_in = [to_torch(torch, a, f) for a, f in zip(arrays, flags)]
    e_out, t_out = ember_fn(*e_in), torch_fn(*t_in)
    e_outs = e_out if isinstance(e_out, (tuple, list)) else (e_out,)
    t_outs = t_out if isinstance(t_out, (tuple, list)) else (t_out,)
    assert len(e_outs) == len(t_outs)
    rng = np.random.default_rng(seed)
    e_roots, e_grads, t_roots, t_grads = [], [], [], []
    for e, t in zip(e_outs, t_outs):
        assert_same(e, t, rtol, atol)
        if check_grad_fn:
            assert grad_fn_name(e) == grad_fn_name(t)
        assert e.requires_grad == t.requires_grad
        if t.requires_grad:
            g = rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
            e_roots.append(e), e_grads.append(ember.tensor(g))
            t_roots.append(t), t_grads.append(torch.from_numpy(g))
    if not t_roots:
        return
    ember.autograd.backward(e_roots, e_grads)
    torch.autograd.backward(t_roots, t_grads)
    for e, t in zip(e_in, t_in):
        if t.requires_grad:
            if t.grad is None:
                assert e.grad is None
            else:
                assert e.grad is not None
                assert_same(e.grad, t.grad, rtol, atol)


def same_error_calls(ember_call: Callable[[], Any], torch_call: Callable[[], Any]) -> None:
    """``torch_call()`` raises; ``ember_call()`` raises the same type with the same message ("torch." -> "ember.")."""
    import pytest

    with pytest.raises(Exception) as expected:
        torch_call()
    with pytest.raises(type(expected.value)) as got:
        ember_call()
    assert str(got.value) == str(expected.value).replace("torch.", "ember.")


def same_error(fn: Callable[[Any], Any]) -> None:
    """``fn(torch)`` raises; ``fn(ember)`` raises the same type with the same message."""
    import torch

    same_error_calls(lambda: fn(ember), lambda: fn(torch))


def build_pair(make: Callable[[Any], Any], seed: int = 0, *, same_repr: bool = True) -> tuple[Any, Any]:
    """(ember module, torch module), each made by ``make(T)`` after ``manual_seed(seed)``: their
    state dicts agree exactly (so the initialisations draw the same numbers), and so do their reprs."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constructor warnings are compared where they are tested
        torch.manual_seed(seed)
        t = make(torch)
        ember.manual_seed(seed)
        e = make(ember)
    t_state, e_state = t.state_dict(), e.state_dict()
    assert list(t_state) == list(e_state)
    for k in t_state:
        np.testing.assert_array_equal(e_state[k].numpy(), t_state[k].numpy(), err_msg=k)
    if same_repr:
        assert repr(e) == repr(t)
    return e, t
