"""gradcheck / gradgradcheck: they pass on correct derivatives (as torch's do on the same
functions) and fail on deliberately wrong ones (a node registered with a wrong rule, next to a
torch.autograd.Function with the same mistake)."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd.node import node_class
from ember.ops.registry import attach

torch = pytest.importorskip("torch")

from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError  # noqa: E402

from ember.autograd.gradcheck import GradcheckError  # noqa: E402


def _inputs(L, arrays, grad=True):
    return tuple(L.tensor(a, dtype=L.float64, requires_grad=grad and a.dtype.kind == "f") for a in arrays)


RNG = np.random.default_rng(7)
A = RNG.uniform(0.5, 1.5, (2, 3))
B = RNG.uniform(-1.0, 1.0, (2, 3))
C = RNG.uniform(-1.0, 1.0, (3, 2))
V = RNG.uniform(0.2, 1.0, (3,))

CORRECT = {
    "exp": (lambda L, a: a.exp(), [A]),
    "tanh_sigmoid": (lambda L, a: a.tanh() * a.sigmoid(), [B]),
    "log_sqrt": (lambda L, a: a.log() + a.sqrt(), [A]),
    "mul_broadcast": (lambda L, a, v: a * v, [A, V]),
    "div_broadcast": (lambda L, a, v: v / a, [A, V]),
    "pow_tensor": (lambda L, a, b: a ** b, [A, B]),
    "pow_scalar": (lambda L, a: a ** 3, [B]),
    "matmul": (lambda L, a, c: a @ c, [A, C]),
    "matvec": (lambda L, a, v: a @ v, [A, V]),
    "sum_dim": (lambda L, a: a.sum(1, keepdim=True) * a, [A]),
    "mean": (lambda L, a: a.mean(0), [B]),
    "max_dim": (lambda L, a: a.max(1)[0], [B]),
    "amax": (lambda L, a: a.amax(0), [B]),
    "reshape_t": (lambda L, a: a.reshape(3, 2).t() * 2, [A]),
    "index": (lambda L, a: a[1, 1:], [A]),
    "where_clamp": (lambda L, a: L.where(a > 0, a, a * a).clamp(-0.5, 0.5), [B]),
    "relu_abs": (lambda L, a: a.relu() + a.abs(), [B]),
    "two_outputs": (lambda L, a, b: (a * b, a.exp()), [A, B]),
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_gradcheck_passes_where_torchs_passes(name):
    fn, arrays = CORRECT[name]
    assert torch.autograd.gradcheck(lambda *xs: fn(torch, *xs), _inputs(torch, arrays))
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), _inputs(ember, arrays))


@pytest.mark.parametrize("name", ["exp", "tanh_sigmoid", "log_sqrt", "mul_broadcast", "div_broadcast", "pow_scalar",
                                  "matmul", "sum_dim", "mean", "two_outputs"])
def test_gradgradcheck_passes_where_torchs_passes(name):
    fn, arrays = CORRECT[name]
    assert torch.autograd.gradgradcheck(lambda *xs: fn(torch, *xs), _inputs(torch, arrays))
    assert ember.autograd.gradgradcheck(lambda *xs: fn(ember, *xs), _inputs(ember, arrays))


def test_gradcheck_with_inputs_that_do_not_require_grad():
    def run(L):
        a, v = _inputs(L, [A, V])
        v.requires_grad_(False)
        return L.autograd.gradcheck(lambda a, v, k: a * v * k, (a, v, 3.0))

    assert run(torch) and run(ember)


def test_gradcheck_single_tensor_input_not_in_a_tuple():
    (a,) = _inputs(ember, [A])
    (ta,) = _inputs(torch, [A])
    assert torch.autograd.gradcheck(torch.tanh, ta)
    assert ember.autograd.gradcheck(ember.tanh, a)


# -- deliberately wrong derivatives ---------------------------------------------------------
# exp whose rule is off by a factor 2
_BadExp = node_class("BadExpBackward", lambda F, grad, result: grad * result * 2)


def bad_exp(x):
    out = ember.Tensor._make(np.exp(x.detach().numpy()))
    if x.requires_grad and ember.is_grad_enabled():
        attach(out, _BadExp, (x,), {"result": out.detach().numpy()})
    return out


class TorchBadExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result * 2


# mul whose rule for the second input is wrong (uses b instead of a); the first is right
_BadMul = node_class("BadMulBackward", lambda F, grad, b: grad * b, lambda F, grad, b: grad * b)


def bad_mul(a, b):
    out = ember.Tensor._make(a.detach().numpy() * b.detach().numpy())
    if (a.requires_grad or b.requires_grad) and ember.is_grad_enabled():
        attach(out, _BadMul, (a, b), {"b": b})
    return out


class TorchBadMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        (b,) = ctx.saved_tensors
        return grad * b, grad * b


def test_wrong_derivative_raises_gradcheck_error():
    (x,) = _inputs(ember, [B])
    (tx,) = _inputs(torch, [B])
    with pytest.raises(TorchGradcheckError) as t_err:
        torch.autograd.gradcheck(TorchBadExp.apply, (tx,))
    with pytest.raises(GradcheckError) as e_err:
        ember.autograd.gradcheck(bad_exp, (x,))
    assert type(e_err.value).__name__ == type(t_err.value).__name__ == "GradcheckError"
    assert isinstance(e_err.value, RuntimeError) and isinstance(t_err.value, RuntimeError)
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]


def test_wrong_derivative_returns_false_without_raising():
    (x,) = _inputs(ember, [B])
    (tx,) = _inputs(torch, [B])
    assert torch.autograd.gradcheck(TorchBadExp.apply, (tx,), raise_exception=False) is False
    assert ember.autograd.gradcheck(bad_exp, (x,), raise_exception=False) is False


def test_wrong_derivative_of_second_input_is_reported_for_that_input():
    a, b = _inputs(ember, [A, B])
    ta, tb = _inputs(torch, [A, B])
    with pytest.raises(TorchGradcheckError) as t_err:
        torch.autograd.gradcheck(TorchBadMul.apply, (ta, tb))
    with pytest.raises(GradcheckError) as e_err:
        ember.autograd.gradcheck(bad_mul, (a, b))
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]
    # with the second input held constant, only the (correct) first rule is checked
    b.requires_grad_(False)
    tb.requires_grad_(False)
    assert torch.autograd.gradcheck(TorchBadMul.apply, (ta, tb))
    assert ember.autograd.gradcheck(bad_mul, (a, b))


def test_wrong_derivative_inside_a_larger_function_is_caught():
    (x,) = _inputs(ember, [A])
    (tx,) = _inputs(torch, [A])
    assert torch.autograd.gradcheck(lambda x: (TorchBadExp.apply(x.sin()) * x).sum(), (tx,),
                                    raise_exception=False) is False
    assert ember.autograd.gradcheck(lambda x: (bad_exp(x.sin()) * x).sum(), (x,), raise_exception=False) is False


# exp whose first derivative is right but whose backward is not differentiable (it detaches)
def _detached_rule(F, grad, x):
    return grad * F.exp(x.detach() if isinstance(x, ember.Tensor) else x)


_DetachedExp = node_class("DetachedExpBackward", _detached_rule)


def detached_exp(x):
    out = ember.Tensor._make(np.exp(x.detach().numpy()))
    if x.requires_grad and ember.is_grad_enabled():
        attach(out, _DetachedExp, (x,), {"x": x})
    return out


class TorchDetachedExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.exp()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.detach().exp()


def test_gradgradcheck_catches_a_wrong_second_derivative():
    (x,) = _inputs(ember, [B])
    (tx,) = _inputs(torch, [B])
    assert torch.autograd.gradcheck(TorchDetachedExp.apply, (tx,))
    assert ember.autograd.gradcheck(detached_exp, (x,))
    assert torch.autograd.gradgradcheck(TorchDetachedExp.apply, (tx,), raise_exception=False) is False
    assert ember.autograd.gradgradcheck(detached_exp, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError):
        ember.autograd.gradgradcheck(detached_exp, (x,))


def test_gradcheck_leaves_inputs_unchanged():
    (x,) = _inputs(ember, [B])
    before = x.detach().numpy().copy()
    ember.autograd.gradcheck(lambda x: x.tanh() * x, (x,))
    ember.autograd.gradcheck(bad_exp, (x,), raise_exception=False)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None
