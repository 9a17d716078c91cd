"""The backward engine, compared side by side with torch: accumulation, retain_graph, freed
graphs, ``inputs=``, ``autograd.grad``, double backward, graph structure, hooks, detach, deep
graphs, aliasing of ``.grad``, and that a finished graph is freed by reference counting alone.

Each scenario is written once as ``scenario(L)`` where ``L`` is ``torch`` or ``ember`` and runs on
both; results are compared with :func:`_same`.
"""
from __future__ import annotations

import gc
import time
import weakref

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = pytest.mark.parametrize("L", [torch, ember], ids=["torch", "ember"])


def _np(t):
    return None if t is None else t.detach().numpy().copy()


def _same(a, b, rtol=1e-6, atol=1e-7):
    """Nested results from the two libraries agree (tensors by value, shape and dtype)."""
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), (a, b)
        for x, y in zip(a, b, strict=True):
            _same(x, y, rtol, atol)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k], rtol, atol)
    elif isinstance(a, torch.Tensor):
        assert isinstance(b, ember.Tensor), (a, b)
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype).replace("torch.", "") == str(b.dtype).replace("ember.", "")
        np.testing.assert_allclose(_np(b).astype(np.float64), _np(a).astype(np.float64), rtol=rtol, atol=atol)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    else:
        assert a == b, (a, b)


def both(scenario, **kw):
    """Run ``scenario`` on torch and on ember and compare what they return."""
    _same(scenario(torch), scenario(ember), **kw)


def _freed_outcome(L, fn):
    """``(fn(L), 'raised' or 'ok')`` after a second backward through the graph ``fn`` builds."""
    x = L.tensor([0.5, 1.5, 2.5], requires_grad=True)
    y = fn(L, x)
    y.backward()
    try:
        y.backward()
    except RuntimeError as e:
        assert "backward through the graph a second time" in str(e)
        return "raised"
    return "ok"


# -- accumulation, zero_, retain_graph, freed graphs ----------------------------------------
def test_grad_accumulates_in_place_across_backward_calls():
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        first = x.grad
        snapshot = _np(first)
        (x * 3).sum().backward()
        # torch accumulates in place: the same .grad object, now holding the sum
        return snapshot, x.grad, first is x.grad

    both(scenario)


def test_grad_zero_then_accumulate_again():
    def scenario(L):
        x = L.tensor([1.0, -2.0], requires_grad=True)
        (x * x).sum().backward()
        g = x.grad
        x.grad.zero_()
        zeroed = _np(x.grad)
        (x * 5).sum().backward()
        return zeroed, x.grad, g is x.grad

    both(scenario)


def test_grad_set_to_none_then_backward_makes_a_fresh_grad():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).sum().backward()
        old = x.grad
        x.grad = None
        (x * 3).sum().backward()
        return x.grad, old, old is x.grad

    both(scenario)


def test_retain_graph_allows_second_backward():
    def scenario(L):
        x = L.tensor([0.5, 1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        once = _np(x.grad)
        y.backward()
        return once, x.grad

    both(scenario)


def test_retain_graph_three_times_then_freed():
    def scenario(L):
        x = L.tensor([0.5, 1.0], requires_grad=True)
        y = (x.tanh() * x).sum()
        for _ in range(3):
            y.backward(retain_graph=True)
        y.backward()
        try:
            y.backward()
            outcome = "ok"
        except RuntimeError:
            outcome = "raised"
        return x.grad, outcome

    both(scenario)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x: (x * x).sum(),
        lambda L, x: (x + 2).sum(),
        lambda L, x: (x - 2).sum(),
        lambda L, x: (2 - x).sum(),
        lambda L, x: (x * 2).sum(),
        lambda L, x: (x / 2).sum(),
        lambda L, x: (-x).sum(),
        lambda L, x: x.sum(),
        lambda L, x: x.mean(),
        lambda L, x: x.exp().sum(),
        lambda L, x: x.tanh().sum(),
        lambda L, x: x.sigmoid().sum(),
        lambda L, x: x.log().sum(),
        lambda L, x: (x ** 2).sum(),
        lambda L, x: x.view(3, 1).t().sum(),
        lambda L, x: x.reshape(1, 3).transpose(0, 1).sum(),
        lambda L, x: x.unsqueeze(0).squeeze(0).sum(),
        lambda L, x: x[1:].sum(),
        lambda L, x: x[0],
        lambda L, x: x.clone().sum(),
        lambda L, x: x.expand(2, 3).sum(),
        lambda L, x: x.max(),
        lambda L, x: x.max(0)[0],
        lambda L, x: (x @ x),
        lambda L, x: x.relu().sum(),
        lambda L, x: x.abs().sum(),
        lambda L, x: x.sum() + x.sum(),
    ],
    ids=["mul_self", "add_scalar", "sub_scalar", "rsub_scalar", "mul_scalar", "div_scalar", "neg", "sum", "mean",
         "exp", "tanh", "sigmoid", "log", "pow", "view_t", "reshape_transpose", "unsqueeze_squeeze", "slice",
         "select", "clone", "expand", "max_all", "max_dim", "dot", "relu", "abs", "sum_twice"],
)
def test_second_backward_errors_exactly_when_torch_does(fn):
    # torch raises only when a node of the graph saved a tensor (a Python-number operand counts:
    # torch saves it as a wrapped tensor); graphs that saved none can be walked again
    assert _freed_outcome(ember, fn) == _freed_outcome(torch, fn)


def test_second_backward_without_saved_tensors_accumulates_again():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 2).sum()
        y.backward()
        y.backward()
        return x.grad

    both(scenario)


def test_autograd_grad_twice_through_freed_graph_raises_and_retain_graph_allows():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        (g1,) = L.autograd.grad(y, x, retain_graph=True)
        (g2,) = L.autograd.grad(y, x)
        try:
            L.autograd.grad(y, x)
            outcome = "ok"
        except RuntimeError:
            outcome = "raised"
        return g1, g2, outcome, x.grad is None

    both(scenario)


# -- backward arguments ---------------------------------------------------------------------
def test_backward_non_scalar_with_gradient():
    def scenario(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * x + x
        y.backward(L.tensor([[1.0, -1.0], [0.5, 2.0]]))
        return x.grad

    both(scenario)


def test_backward_gradient_of_other_dtype_is_cast():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.backward(L.tensor([1.0, 2.0], dtype=L.float64))
        return x.grad

    both(scenario)


def test_autograd_backward_multiple_roots():
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a, b = x * x, x.exp()
        L.autograd.backward([a, b.sum()], [L.ones(3), None])
        return x.grad

    both(scenario)


def test_backward_inputs_leaf_only_that_leaf_accumulates():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, -1.0], requires_grad=True)
        (x * w).sum().backward(inputs=[x])
        gx = _np(x.grad)
        (x * w).sum().backward(inputs=w)
        return gx, x.grad, w.grad

    both(scenario)


def test_backward_inputs_non_leaf_gets_grad():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        (h * h).sum().backward(inputs=[h])
        return h.grad, x.grad is None, h.retains_grad

    both(scenario)


def test_backward_inputs_non_leaf_and_leaf_together():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        (h * x).sum().backward(inputs=[h, x])
        return h.grad, x.grad

    both(scenario)


def test_backward_inputs_accumulates_into_existing_grad():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        g = x.grad
        (x * x).sum().backward(inputs=[x])
        return x.grad, g is x.grad

    both(scenario)


# -- autograd.grad --------------------------------------------------------------------------
def test_autograd_grad_basic_and_leaves_grad_untouched():
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
        gx, gw = L.autograd.grad((x * w).sum(), [x, w])
        return gx, gw, x.grad is None, w.grad is None, gx.requires_grad

    both(scenario)


def test_autograd_grad_allow_unused():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        unused = L.tensor([3.0], requires_grad=True)
        gx, gu = L.autograd.grad((x * x).sum(), [x, unused], allow_unused=True)
        return gx, gu is None

    both(scenario)


def test_autograd_grad_materialize_grads():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        unused = L.tensor([[3.0, 4.0]], dtype=L.float64, requires_grad=True)
        gx, gu = L.autograd.grad((x * x).sum(), [x, unused], materialize_grads=True)
        return gx, gu, gu.requires_grad

    both(scenario)


def test_autograd_grad_materialize_grads_with_create_graph_requires_grad():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        unused = L.tensor([3.0], requires_grad=True)
        gx, gu = L.autograd.grad((x * x).sum(), [x, unused], materialize_grads=True, create_graph=True)
        return gx, gu, gx.requires_grad, gu.requires_grad

    both(scenario)


def test_autograd_grad_grad_outputs():
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x.exp() * x
        (g,) = L.autograd.grad(y, x, grad_outputs=L.tensor([1.0, 0.0, -2.0]))
        (g2,) = L.autograd.grad([(x * x).sum(), x.sum() * 2], [x], grad_outputs=[L.tensor(3.0), None])
        return g, g2

    both(scenario)


def test_autograd_grad_non_leaf_input():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        y = (h * h).sum()
        (gh,) = L.autograd.grad(y, h, retain_graph=True)
        (gx,) = L.autograd.grad(y, x)
        return gh, gx

    both(scenario)


def test_autograd_grad_create_graph_result_is_differentiable():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (g,) = L.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), x)
        return g, gg, g.requires_grad, g.grad_fn is not None

    both(scenario)


# -- second derivatives ---------------------------------------------------------------------
SECOND = {
    "cube": lambda L, x, w: (x ** 3).sum(),
    "tanh": lambda L, x, w: x.tanh().sum(),
    "sigmoid": lambda L, x, w: x.sigmoid().sum(),
    "exp": lambda L, x, w: (x.exp() * w).sum(),
    "log": lambda L, x, w: (x.log() * w).sum(),
    "matmul": lambda L, x, w: ((x.reshape(2, 2) @ w.reshape(2, 2)) ** 2).sum(),
    "sum_mean": lambda L, x, w: (x * x).sum() * x.mean(),
    "chain": lambda L, x, w: ((x * w).tanh().exp() * x.sigmoid()).sum(),
    "div": lambda L, x, w: (w / x).sum(),
    "sin_cos": lambda L, x, w: (x.sin() * x.cos() * w).sum(),
    "sqrt": lambda L, x, w: (x.sqrt() * w).sum(),
    "mul_self": lambda L, x, w: (x * x * w).sum(),
}


@pytest.mark.parametrize("name", list(SECOND))
def test_second_derivatives_match_torch(name):
    fn = SECOND[name]

    def scenario(L):
        x = L.tensor([0.5, 1.2, 2.0, 0.7], dtype=L.float64, requires_grad=True)
        w = L.tensor([1.5, -0.3, 0.8, 2.0], dtype=L.float64, requires_grad=True)
        y = fn(L, x, w)
        gx, gw = L.autograd.grad(y, [x, w], create_graph=True, allow_unused=True)
        gw = gw if gw is not None else L.zeros_like(w)
        # gradient of the gradient's sum (a Hessian-vector product with ones) w.r.t. both
        ggx, ggw = L.autograd.grad(gx.sum(), [x, w], allow_unused=True)
        return gx, gw, ggx, (ggw if ggw is not None else L.zeros_like(w))

    both(scenario, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_create_graph_then_backward_through_grad():
    def scenario(L):
        x = L.tensor([0.3, 0.9], dtype=L.float64, requires_grad=True)
        (x.tanh() * x).sum().backward(create_graph=True)
        g = x.grad
        first = _np(g)
        x.grad = None
        g.sum().backward()
        return first, x.grad, g.requires_grad

    both(scenario, rtol=1e-10, atol=1e-12)


def test_third_derivative():
    def scenario(L):
        x = L.tensor([0.4, 1.1], dtype=L.float64, requires_grad=True)
        y = (x.sin() * x ** 2).sum()
        (g1,) = L.autograd.grad(y, x, create_graph=True)
        (g2,) = L.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = L.autograd.grad(g2.sum(), x)
        return g1, g2, g3

    both(scenario, rtol=1e-10, atol=1e-12)


# -- graph structure ------------------------------------------------------------------------
def _structure(fn, depth=4):
    if fn is None:
        return None
    kids = () if depth == 0 else tuple((_structure(n, depth - 1), nr) for n, nr in fn.next_functions)
    return (type(fn).__name__, kids)


GRAPHS = {
    "mul_scalar": lambda L, x, y, c: x * 2,
    "mul_const_tensor": lambda L, x, y, c: x * c,
    "const_mul": lambda L, x, y, c: c * x,
    "add_two": lambda L, x, y, c: x + y,
    "self_add": lambda L, x, y, c: x + x,
    "chain": lambda L, x, y, c: ((x * y).exp() + c).sum(),
    "matmul": lambda L, x, y, c: x.reshape(2, 2) @ y.reshape(2, 2),
    "mean_view": lambda L, x, y, c: x.view(2, 2).mean(),
    "diamond": lambda L, x, y, c: (lambda h: h.exp() * h.sin())(x * y),
    "sum_dim": lambda L, x, y, c: x.reshape(2, 2).sum(1),
    "index": lambda L, x, y, c: x[1:3],
    "rsub": lambda L, x, y, c: 1 - x,
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_next_functions_structure_matches_torch(name):
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = L.tensor([0.5, 0.1, 0.2, 0.3], requires_grad=True)
        c = L.tensor([2.0, 2.0, 2.0, 2.0])
        out = GRAPHS[name](L, x, y, c)
        return _structure(out.grad_fn), out.grad_fn.name(), out.requires_grad, out.is_leaf

    both(scenario)


def test_accumulate_grad_variable_is_the_leaf_and_shared():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        a, b = x * 2, x.exp()
        acc_a, acc_b = a.grad_fn.next_functions[0][0], b.grad_fn.next_functions[0][0]
        return (type(acc_a).__name__, acc_a.variable is x, acc_a is acc_b, acc_a.next_functions,
                a.grad_fn.next_functions[1])

    both(scenario)


def test_is_leaf_and_requires_grad_propagation():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        c = L.tensor([3.0, 4.0])
        out = []
        for t in (x, c, x * c, c * 2, c.exp(), x.detach(), (x * 2).detach(), x.sum(), c.sum(), x[0], c[0]):
            out.append((t.is_leaf, t.requires_grad, t.grad_fn is None))
        with L.no_grad():
            n = x * 2
        out.append((n.is_leaf, n.requires_grad, n.grad_fn is None))
        c.requires_grad_()
        out.append((c.is_leaf, c.requires_grad, (c * 2).requires_grad))
        return out

    both(scenario)


def test_integer_ops_of_float_leaf_do_not_require_grad():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        return [(t.requires_grad, t.dtype == L.bool) for t in (x > 1, x == x, x.max(0)[1])]

    both(scenario)


# -- retain_grad and hooks ------------------------------------------------------------------
def test_retain_grad_on_non_leaf():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * x
        before = h.retains_grad
        h.retain_grad()
        z = h.exp()
        z.sum().backward()
        return before, h.retains_grad, x.retains_grad, h.grad, x.grad

    both(scenario)


def test_retain_grad_on_leaf_is_a_no_op():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.retain_grad()
        (x * 2).sum().backward()
        return x.retains_grad, x.grad

    both(scenario)


def test_retained_grad_accumulates_over_two_backwards():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.retain_grad()
        y = (h * h).sum()
        y.backward(retain_graph=True)
        y.backward()
        return h.grad, x.grad

    both(scenario)


def test_hook_on_leaf_replaces_gradient():
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(_np(g)))
        x.register_hook(lambda g: g * 10)
        (x * x).sum().backward()
        return seen, x.grad

    both(scenario)


def test_hook_removed_by_handle():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        handle = x.register_hook(lambda g: g * 100)
        (x * 2).sum().backward()
        first = _np(x.grad)
        handle.remove()
        x.grad = None
        (x * 2).sum().backward()
        return first, x.grad

    both(scenario)


def test_hook_on_non_leaf_changes_what_flows_upstream():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        h.register_hook(lambda g: g + 1)
        h.retain_grad()
        (h * h).sum().backward()
        return h.grad, x.grad

    both(scenario)


def test_hook_on_non_leaf_removed():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        handle = h.register_hook(lambda g: g * 0)
        handle.remove()
        (h * h).sum().backward()
        return x.grad

    both(scenario)


def test_hook_returning_none_keeps_gradient_and_sees_it():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        seen = []
        h.register_hook(lambda g: seen.append(_np(g)))
        (h * x).sum().backward()
        return seen, x.grad

    both(scenario)


def test_hooks_run_in_registration_order_and_chain():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        h.register_hook(lambda g: g + 1)
        h.register_hook(lambda g: g * 3)
        h.sum().backward()
        return x.grad

    both(scenario)


def test_node_hook_and_prehook():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        seen = []
        y.grad_fn.register_prehook(lambda go: seen.append(("pre", len(go), go[0].tolist())))
        y.grad_fn.register_hook(lambda gi, go: seen.append(
            ("post", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
        (y * y).sum().backward()
        return seen, x.grad

    both(scenario)


def test_node_hook_and_prehook_replace_gradients():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.grad_fn.register_prehook(lambda go: (go[0] + 1,))
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 10, None))
        y.sum().backward()
        return x.grad

    both(scenario)


def test_node_hook_removed():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        handle = y.grad_fn.register_prehook(lambda go: (go[0] * 0,))
        handle.remove()
        y.sum().backward()
        return x.grad

    both(scenario)


def test_implicit_gradient_for_one_element_non_0d_output():
    def scenario(L):
        x = L.tensor([[1.0, 2.0]], requires_grad=True)
        x.sum(1, keepdim=True).backward()
        return x.grad

    both(scenario)


# -- detach and .data -----------------------------------------------------------------------
def test_detach_shares_memory_and_cuts_graph():
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = x.detach()
        d.mul_(2)  # writes through to x
        return _np(x), d.requires_grad, d.is_leaf, d.grad_fn is None

    both(scenario)


def test_detach_of_non_leaf():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        d = h.detach()
        d.add_(1)
        return _np(h), d.requires_grad, h.requires_grad

    both(scenario)


def test_detach_in_place():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        r = h.detach_()
        return r is h, h.requires_grad, h.is_leaf, h.grad_fn is None

    both(scenario)


def test_data_shares_memory_and_does_not_require_grad():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        d = x.data
        d.zero_()  # allowed on .data of a leaf, and writes through
        y = (x * 3).sum()
        y.backward()
        return _np(x), d.requires_grad, x.grad

    both(scenario)


def test_data_setter_replaces_values():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.data = L.tensor([5.0, 6.0])
        (x * x).sum().backward()
        return x.grad, x.requires_grad

    both(scenario)


# -- deep and shared graphs -----------------------------------------------------------------
def test_very_deep_chain_has_no_recursion_limit():
    start = time.perf_counter()
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.sum().backward()
    expected = 1.0001 ** 100_000  # d/dx of x * c^n is c^n
    np.testing.assert_allclose(x.grad.numpy(), [expected, expected], rtol=1e-9)
    xt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    yt = xt
    for _ in range(1000):
        yt = yt * 1.0001
    yt.sum().backward()
    x2 = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y2 = x2
    for _ in range(1000):
        y2 = y2 * 1.0001
    y2.sum().backward()
    np.testing.assert_allclose(x2.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    del y, y2
    assert time.perf_counter() - start < 30  # about 3 s: far more means a super-linear walk


def test_deep_add_chain_freed_without_recursion():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    y.backward()
    assert x.grad.tolist() == [1.0]
    del y  # dropping a 20,000-node graph must not hit the recursion limit either


def test_diamond_graph():
    def scenario(L):
        x = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = x * x
        a, b = h.exp(), h.sin()
        (a * b + h).sum().backward()
        return x.grad

    both(scenario, rtol=1e-5)


def test_diamond_with_retained_middle():
    def scenario(L):
        x = L.tensor([0.5, -1.0], requires_grad=True)
        h = x.tanh()
        h.retain_grad()
        (h * 2 + h * h + h.exp()).sum().backward()
        return h.grad, x.grad

    both(scenario, rtol=1e-5)


@pytest.mark.parametrize("op", ["mul", "add", "sub", "div", "matmul", "pow"])
def test_same_leaf_twice_in_one_op(op):
    fns = {"mul": lambda a: a * a, "add": lambda a: a + a, "sub": lambda a: a - a, "div": lambda a: a / a,
           "matmul": lambda a: a @ a, "pow": lambda a: a ** a}

    def scenario(L):
        x = L.tensor([0.5, 1.5, 2.0], requires_grad=True)
        fns[op](x).sum().backward()
        return x.grad

    both(scenario, rtol=1e-5)


def test_leaf_used_by_many_ops_accumulates_once_per_backward():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = sum(((x * i).sum() for i in range(1, 6)), L.tensor(0.0))
        y.backward()
        return x.grad

    both(scenario)


def test_broadcast_gradients_are_reduced_to_input_shapes():
    def scenario(L):
        a = L.tensor([[1.0], [2.0]], requires_grad=True)  # (2, 1)
        b = L.tensor([0.5, -1.0, 3.0], requires_grad=True)  # (3,)
        c = L.tensor(2.0, requires_grad=True)  # 0-d
        ((a * b + c) ** 2).sum().backward()
        return a.grad, b.grad, c.grad

    both(scenario)


def test_mixed_dtype_grads_keep_each_inputs_dtype():
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)  # float32
        s = L.tensor(0.5, dtype=L.float64, requires_grad=True)  # 0-d float64
        y = x * s
        y.sum().backward()
        return y.dtype == L.float32, x.grad, s.grad

    both(scenario)


def test_mixed_dtype_two_dim_tensors_promote():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], dtype=L.float64, requires_grad=True)
        y = x * w
        y.sum().backward()
        return y.dtype == L.float64, x.grad, w.grad

    both(scenario)


def test_grad_through_dtype_cast():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x.double() * 3
        y.sum().backward()
        return x.grad

    both(scenario)


# -- .grad never aliases other memory -------------------------------------------------------
def test_grads_of_add_operands_do_not_alias():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0, 4.0], requires_grad=True)
        (x + y).sum().backward()
        x.grad.mul_(10)
        return x.grad, y.grad

    both(scenario)


def test_grad_does_not_alias_the_given_gradient():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        g = L.tensor([1.0, 1.0])
        (x * 1).backward(g)
        g.mul_(7)
        x.grad.add_(1)
        return x.grad, g

    both(scenario)


def test_grad_does_not_alias_gradient_through_clone():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        g = L.tensor([1.0, 1.0])
        x.clone().backward(g)
        g.mul_(7)
        return x.grad, g

    both(scenario)


def test_grad_does_not_alias_a_tensor_returned_by_a_hook():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        other = L.tensor([5.0, 5.0])
        x.register_hook(lambda g: other)
        (x * 2).sum().backward()
        other.mul_(3)
        return x.grad, other

    both(scenario)


def test_grad_does_not_alias_what_a_hook_kept():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        kept = []
        x.register_hook(lambda g: kept.append(g))
        h.register_hook(lambda g: kept.append(g))
        h.retain_grad()
        (h * 2).sum().backward()
        for k in kept:
            k.mul_(3)
        return x.grad, h.grad

    both(scenario)


def test_grad_does_not_alias_gradient_through_a_view():
    # ember only: here torch's AccumulateGrad steals the view of `g` that ViewBackward0 passes on,
    # so torch's x.grad changes when g is mutated (becomes [7., 7.]); ember copies instead
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    g = ember.tensor([[1.0, 1.0]])
    x.view(1, 2).backward(g)
    g.mul_(7)
    assert x.grad.tolist() == [1.0, 1.0]  # d(view)/dx applied to g = [[1, 1]] before the mutation
    assert g.tolist() == [[7.0, 7.0]]


@pytest.mark.parametrize("make", [lambda L, x: x.reshape(2, 1), lambda L, x: x.t(), lambda L, x: x[:],
                                  lambda L, x: x.unsqueeze(0), lambda L, x: x.expand(2)],
                         ids=["reshape", "t", "slice", "unsqueeze", "expand"])
def test_ember_grad_never_aliases_root_gradient(make):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = make(ember, x)
    g = ember.ones(*y.shape)
    y.backward(g)
    expected = x.grad.tolist()
    g.mul_(7)
    assert x.grad.tolist() == expected
    assert not np.shares_memory(x.grad.numpy(), g.numpy())


def test_grad_of_expand_and_sum_do_not_alias():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0, 4.0], requires_grad=True)
        (x.expand(3, 2) + y).sum().backward()
        y.grad.zero_()
        return x.grad, y.grad

    both(scenario)


def test_grad_of_one_leaf_not_aliased_with_its_retained_non_leaf():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x + 0
        h.retain_grad()
        h.sum().backward()
        h.grad.mul_(5)
        return x.grad, h.grad

    both(scenario)


def test_grad_of_two_leaves_in_self_add():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([1.0, 2.0], requires_grad=True)
        z = L.tensor([1.0, 2.0], requires_grad=True)
        (x + y + z).sum().backward()
        y.grad.add_(1)
        return x.grad, y.grad, z.grad

    both(scenario)


# -- memory: graphs are freed by reference counting -----------------------------------------
@pytest.fixture
def no_gc():
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


@LIBS
def test_saved_intermediates_freed_after_backward(L, no_gc):
    x = L.tensor([0.5, 1.0, 1.5], requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h)
    loss = (h * h).sum()  # MulBackward0 saves h
    del h
    assert ref() is not None  # still saved by the graph
    loss.backward()
    assert ref() is None  # released by backward, with the graph's root still alive


def test_saved_arrays_freed_after_backward(no_gc):
    x = ember.tensor([0.5, 1.0, 1.5], requires_grad=True)
    h = x.exp()
    arr = weakref.ref(h._data)
    loss = (h * h.tanh()).sum()
    del h
    assert arr() is not None
    loss.backward()
    assert arr() is None
    assert loss.grad_fn is not None


@LIBS
def test_retain_graph_keeps_saved_intermediates(L, no_gc):
    x = L.tensor([0.5, 1.0], requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h)
    loss = (h * h).sum()
    del h
    loss.backward(retain_graph=True)
    assert ref() is not None
    loss.backward()
    assert ref() is None


@LIBS
def test_whole_graph_freed_by_refcount_after_backward(L, no_gc):
    x = L.tensor([0.5, 1.0, 1.5], requires_grad=True)
    w = L.tensor([2.0, -1.0, 0.5], requires_grad=True)
    h = (x * w).tanh()
    z = h.exp() * h + x
    loss = z.sum()
    refs = [weakref.ref(t) for t in (h, z, loss)]
    if L is ember:  # torch's nodes take no weak references
        refs += [weakref.ref(loss.grad_fn), weakref.ref(z.grad_fn), weakref.ref(h.grad_fn)]
    loss.backward()
    del h, z, loss
    assert [r() for r in refs] == [None] * len(refs)
    assert x.grad is not None and w.grad is not None


@LIBS
def test_graph_without_backward_freed_by_refcount(L, no_gc):
    x = L.tensor([0.5, 1.0], requires_grad=True)
    h = x.sigmoid()
    y = (h @ h) * x.sum()
    refs = [weakref.ref(h), weakref.ref(y)] + ([weakref.ref(y.grad_fn)] if L is ember else [])
    del h, y
    assert [r() for r in refs] == [None] * len(refs)


@LIBS
def test_leaf_freed_by_refcount_after_backward(L, no_gc):
    x = L.tensor([0.5, 1.0], requires_grad=True)
    (x * x).sum().backward()
    ref = weakref.ref(x)
    del x
    assert ref() is None


def test_ember_graph_nodes_freed_after_backward(no_gc):
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    y = (x.exp() * x).sum()
    acc = weakref.ref(y.grad_fn.next_functions[0][0].next_functions[1][0])
    assert type(acc()).__name__ == "AccumulateGrad"
    y.backward()
    del y
    assert acc() is None  # AccumulateGrad dies with the graph; the leaf holds only a weak reference
    assert x._accumulator is not None and x._accumulator() is None


# -- failed backward changes nothing --------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        lambda L, x, y: y.backward(),  # freed graph
        lambda L, x, y: (x * 2).backward(),  # non-scalar without gradient
        lambda L, x, y: (x * 2).backward(L.ones(4)),  # wrong gradient shape
        lambda L, x, y: L.autograd.backward([(x * 3).sum(), L.ones(())]),  # element 1 doesn't require grad
        lambda L, x, y: L.autograd.backward([(x * 3).sum(), (x * 4).sum()], [L.tensor(1.0)]),  # too few grads
        lambda L, x, y: (y + (x * x).sum()).backward(),  # freed part reached before the leaf
    ],
    ids=["freed", "non_scalar", "bad_shape", "no_grad_root", "too_few_grads", "partly_freed"],
)
def test_failed_backward_leaves_grads_unchanged(bad):
    def scenario(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        g = x.grad
        before = _np(g)
        with pytest.raises(RuntimeError):
            bad(L, x, y)
        return before, x.grad, g is x.grad

    both(scenario)
