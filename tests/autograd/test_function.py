"""ember.autograd.Function against torch.autograd.Function: the same class body runs on both."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import ember
from helpers import assert_same

torch = pytest.importorskip("torch")


def make_functions(L):
    """The same user-defined Functions written against library ``L``."""

    class Exp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    class ScaledMul(L.autograd.Function):  # a non-tensor argument and two outputs
        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            return a * b * scale, a + b

        @staticmethod
        def backward(ctx, grad_prod, grad_sum):
            a, b = ctx.saved_tensors
            return grad_prod * b * ctx.scale + grad_sum, grad_prod * a * ctx.scale + grad_sum, None

    class Cube(L.autograd.Function):  # new-style: forward without ctx, then setup_context
        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    class ArgMax(L.autograd.Function):  # a float output marked non-differentiable
        @staticmethod
        def forward(ctx, x):
            idx = (x > 0).double()
            values = x * 2
            ctx.mark_non_differentiable(idx)
            return values, idx

        @staticmethod
        def backward(ctx, grad, grad_idx):
            return grad * 2

    class Identity(L.autograd.Function):  # returns its input as is
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    return Exp, ScaledMul, Cube, ArgMax, Identity


A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
B = np.array([[1.0, 2.0, -0.5], [0.3, -1.2, 0.8]])


def _both(run):
    out = []
    for L in (ember, torch):
        a = L.tensor(A.copy(), requires_grad=True)
        b = L.tensor(B.copy(), requires_grad=True)
        out.append((run(L, make_functions(L), a, b), a, b))
    return out


@pytest.mark.parametrize("case", ["exp", "scaled_mul", "cube", "identity", "chain"])
def test_function_values_grads_and_names_match_torch(case):
    def run(L, fns, a, b):
        Exp, ScaledMul, Cube, _, Identity = fns
        if case == "exp":
            y = Exp.apply(a)
        elif case == "scaled_mul":
            p, s = ScaledMul.apply(a, b, 3.0)
            y = p * s
        elif case == "cube":
            y = Cube.apply(a)
        elif case == "identity":
            y = Identity.apply(a) * 2
        else:
            y = Exp.apply(Cube.apply(a) * b).sin()
        (y * L.tensor(B)).sum().backward()
        return y

    (ey, ea, eb), (ty, ta, tb) = _both(run)
    assert_same(ey, ty)
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert_same(ea.grad, ta.grad)
    if tb.grad is None:
        assert eb.grad is None
    else:
        assert_same(eb.grad, tb.grad)


def test_node_name_needs_input_grad_and_next_functions():
    seen = []
    for L in (ember, torch):
        Exp, ScaledMul, *_ = make_functions(L)
        a = L.tensor(A.copy(), requires_grad=True)
        b = L.tensor(B.copy())
        p, _ = ScaledMul.apply(a, b, 2.0)
        fn = p.grad_fn
        seen.append((type(fn).__name__, fn.needs_input_grad,
                     [type(f).__name__ if f is not None else None for f, _ in fn.next_functions]))
    assert seen[0] == seen[1]


def test_non_differentiable_output_and_double_backward():
    for L in (ember, torch):
        _, _, Cube, ArgMax, _ = make_functions(L)
        x = L.tensor(A.copy(), requires_grad=True)
        values, idx = ArgMax.apply(x)
        assert values.requires_grad and not idx.requires_grad
    e = ember.tensor(A.copy(), requires_grad=True)
    cube = make_functions(ember)[2]
    (g,) = ember.autograd.grad(cube.apply(e).sum(), e, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), e)
    np.testing.assert_allclose(gg.numpy(), 6 * A)  # d2/dx2 of x^3 is 6x


def test_saved_tensors_freed_after_backward_and_version_checked():
    messages = []
    for L in (ember, torch):
        Exp = make_functions(L)[0]
        x = L.tensor(A.copy(), requires_grad=True)
        y = Exp.apply(x)
        y.sum().backward(retain_graph=False)
        with pytest.raises(RuntimeError) as freed:
            _ = y.grad_fn.saved_tensors
        y2 = Exp.apply(x)
        y2.add_(1)
        with pytest.raises(RuntimeError) as modified:
            y2.sum().backward()
        messages.append((str(freed.value), str(modified.value).replace("torch.", "ember.")))
    assert messages[0] == messages[1]


def test_wrong_number_of_gradients_raises_torchs_error():
    messages = []
    for L in (ember, torch):
        class Bad(L.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, grad):
                return grad

        a = L.tensor(A.copy(), requires_grad=True)
        with pytest.raises(RuntimeError) as err:
            Bad.apply(a, a).sum().backward()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_graph_of_a_function_is_freed_by_refcounting():
    Exp = make_functions(ember)[0]
    gc.disable()
    try:
        x = ember.tensor(A.copy(), requires_grad=True)
        y = Exp.apply(x)
        node = weakref.ref(y.grad_fn)
        y.sum().backward()
        del y
        assert node() is None
    finally:
        gc.enable()


def test_once_differentiable_backward_records_nothing():
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    x = ember.tensor(A.copy(), requires_grad=True)
    (g,) = ember.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.grad_fn is None
    np.testing.assert_allclose(g.numpy(), 2 * A)
