"""repr/str of real ember tensors (and the objects around them) equal torch's, "torch." -> "ember."."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.fixture(autouse=True)
def _restore_torch_state():
    saved = torch.get_default_dtype()
    torch.set_printoptions(profile="default")
    yield
    torch.set_default_dtype(saved)
    torch.set_printoptions(profile="default")


def run(code: str, mod):
    ns = {"torch": mod, "np": np}
    exec(code, ns)
    return ns["r"]


def check(code: str) -> None:
    """``r`` made by ``code`` prints (repr, str and print) as torch's does."""
    e, t = run(code, ember), run(code, torch)
    expected = repr(t).replace("torch.", "ember.")
    assert repr(e) == expected, code
    assert str(e) == str(t).replace("torch.", "ember."), code
    buf_e, buf_t = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf_e):
        print(e)
    with contextlib.redirect_stdout(buf_t):
        print(t)
    assert buf_e.getvalue() == buf_t.getvalue().replace("torch.", "ember."), code


X = "x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True); "
V = "v = torch.tensor([0.5, -1.25, 2.0], requires_grad=True); "
S = "s = torch.tensor(3., requires_grad=True); "

GRAPH = [
    "r = x", "r = v", "r = s",
    "r = x + 1", "r = x * 2", "r = x - 1", "r = 1 - x", "r = x / 2", "r = 2 / x", "r = -x", "r = x ** 2", "r = 2 ** x",
    "r = x.pow(3)", "r = x + x", "r = x * x.detach()", "r = 3*x*x + 4*x + 2",
    "r = x.mean()", "r = x.sum()", "r = x.sum(0)", "r = x.sum(1, keepdim=True)", "r = x.sum((0, 1))",
    "r = x.mean(0)", "r = x.mean(dim=1, keepdim=True)", "r = x.max()", "r = x.amax(1)", "r = x.min()",
    "r = x.exp()", "r = x.log()", "r = x.sqrt()", "r = x.sin()", "r = x.cos()", "r = x.tanh()", "r = x.sigmoid()",
    "r = x.relu()", "r = x.abs()", "r = x.clamp(2, 4)", "r = x.maximum(x * 2)", "r = torch.where(x > 2, x, 0.)",
    "r = x.t()", "r = x.T", "r = x.transpose(0, 1)", "r = x.permute(1, 0)", "r = x.reshape(3, 2)", "r = x.view(6)",
    "r = x.flatten()", "r = x.unsqueeze(0)", "r = x.squeeze()", "r = x.expand(2, 2, 3)", "r = x[0]", "r = x[:, 1]",
    "r = x.clone()", "r = x.double()", "r = x.half()", "r = x.to(torch.float64)", "r = x.float()",
    "r = x @ x.T", "r = x.matmul(x.T).sum()", "r = v.dot(v)", "r = x.mv(v)",
    "r = v * s", "r = s * s + 1", "r = (s ** 2).sqrt()", "r = v.sum() / 3",
    "r = x.detach()", "r = x.data", "r = x.shape", "r = x.size()", "r = x.sum().shape", "r = x.dtype", "r = x.device",
    "r = x.sum(); r.backward(); r = x.grad", "r = (x * x).sum(); r.backward(); r = x.grad",
    "r = x.mean(); r.backward(); r = x.grad", "r = (s * s); r.backward(); r = s.grad",
    "r = (v ** 3).sum(); r.backward(); r = v.grad",
    "r = x.max(1)", "r = x.min(0)", "r = x.max(dim=1, keepdim=True)", "r = v.max(0)",
    "r = x.max(1).values", "r = x.max(1).indices", "r = tuple(x.max(1))",
    "r = [x.sum(), v]", "r = {'a': s}",
]


@pytest.mark.parametrize("code", GRAPH)
def test_graph_results(code):
    check(X + V + S + code)


@pytest.mark.parametrize("code", ["r = x.max(1)", "r = x.min(0)", "r = v.max(0)", "r = x.max(dim=1, keepdim=True)"])
def test_return_types_fields(code):
    e, t = run(X + V + code, ember), run(X + V + code, torch)
    assert type(e).__name__ == type(t).__name__
    assert repr(e).startswith(f"ember.return_types.{type(t).__name__}(")
    assert repr(t).startswith(f"torch.return_types.{type(t).__name__}(")
    values, indices = e
    assert repr(values) == repr(t.values).replace("torch.", "ember.")
    assert repr(indices) == repr(t.indices).replace("torch.", "ember.")
    assert e[0] is e.values and e[1] is e.indices and len(e) == 2


@pytest.mark.parametrize("n", NAMES)
@pytest.mark.parametrize(
    "data",
    ["[1, 0, 2]", "3", "[[1, 0], [2, 1]]", "[]", "[[], []]", "[[0.5, -1.5, 100.25]]", "[1e-5, 1e5]",
     "[float('nan'), float('inf'), -float('inf'), 1.0]", "list(range(2000))", "[[1.5] * 30] * 3"],
)
def test_each_dtype(data, n):
    code = f"r = torch.tensor({data}).to(torch.{n})"
    try:
        run(code, torch)
    except RuntimeError:  # torch refuses the cast: so must ember
        with pytest.raises(RuntimeError):
            run(code, ember)
        return
    check(code)


@pytest.mark.parametrize("n", NAMES)
def test_each_dtype_results(n):
    base = f"a = torch.tensor([[3, 1], [4, 1]]).to(torch.{n}); "
    for expr in ("a * a", "a + 1", "a / 2", "a > 1", "a.sum()", "a.sum(0)", "a.T", "a[0]", "a.float()", "a.double()",
                 "a.long()", "a + 0.5", "a * True", "a.max()", "a.max(0)", "a.abs()"):
        code = base + f"r = {expr}"
        try:
            run(code, torch)
        except (RuntimeError, NotImplementedError) as err:  # torch refuses the op: so must ember
            with pytest.raises(type(err)):
                run(code, ember)
            continue
        check(code)


@pytest.mark.parametrize("default", ["float64", "float16", "float32"])
@pytest.mark.parametrize(
    "code",
    ["r = torch.tensor([1.5, 2])", "r = torch.tensor([1.5], dtype=torch.float32)", "r = torch.tensor(2.)",
     "r = torch.tensor([1.5], dtype=torch.float64)", "r = torch.tensor([1.5], dtype=torch.float16)",
     "r = torch.zeros(0)", "r = torch.zeros(0, dtype=torch.float32)", "r = torch.zeros(2, 0)", "r = torch.ones(2, 2)",
     "r = torch.tensor(2., requires_grad=True) * 2", "r = torch.tensor([1, 2]) / 2", "r = torch.arange(3) + 0.5",
     "r = torch.tensor([1., 2.], requires_grad=True); r = (r * r).sum(); r.backward()",
     "x = torch.tensor([1., 2.], requires_grad=True); (x * x).sum().backward(); r = x.grad",
     "r = torch.linspace(0, 1, 5)", "r = torch.eye(2)", "r = torch.tensor([1, 2])", "r = torch.tensor([True])"],
)
def test_default_dtype_changes_suffix(default, code):
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    check(code)


@pytest.mark.parametrize(
    "code",
    ["r = torch.tensor(1.5)", "r = torch.tensor(-0.)", "r = torch.tensor(7)", "r = torch.tensor(True)",
     "r = torch.tensor([1., 2.]).sum()", "r = torch.tensor([1, 2]).sum()", "r = torch.tensor([1., 2.]).mean()",
     "r = torch.tensor([[1., 2.]]).max()", "r = torch.tensor(3., requires_grad=True) * 2",
     "r = torch.tensor(1e-8)", "r = torch.tensor(123456789.)", "r = torch.tensor(2., dtype=torch.float64) / 3",
     "r = torch.tensor(5, dtype=torch.uint8)", "r = torch.tensor(float('nan'))"],
)
def test_zero_dim(code):
    check(code)


@pytest.mark.parametrize(
    "shape", ["()", "(0,)", "(3,)", "(2, 3)", "(2, 0, 3)", "(1, 2, 3, 4)", "torch.Size([5])", "(7, 0)"],
)
def test_shapes_print(shape):
    check(f"r = torch.zeros({shape}).shape")
    check(f"r = torch.Size({shape})")
    check(f"r = torch.zeros({shape}).shape[1:]")


@pytest.mark.parametrize(
    "opts",
    ["precision=2", "sci_mode=True", "threshold=5", "edgeitems=1, threshold=5", "linewidth=30", "profile='short'",
     "profile='full'"],
)
def test_printoptions_on_real_tensors(opts):
    code = ("x = torch.arange(40.).reshape(5, 8) / 7; x.requires_grad_(); "
            f"torch.set_printoptions({opts}); r = [x, x * 2, x.sum(0)]")
    try:
        check(code)
    finally:
        torch.set_printoptions(profile="default")
        ember.set_printoptions(profile="default")


def test_printoptions_context_manager():
    x = ember.tensor([1.123456, 2.0])
    with ember.printoptions(precision=2):
        inside = repr(x)
    with torch._tensor_str.printoptions(precision=2):  # torch keeps it private
        expected = repr(torch.tensor([1.123456, 2.0]))
    assert inside == expected
    assert repr(x) == repr(torch.tensor([1.123456, 2.0]))


def test_long_rows_wrap_with_grad_fn():
    check("x = torch.linspace(-3, 3, 23, requires_grad=True); r = x * 1000")
    check("x = torch.linspace(-3, 3, 23, requires_grad=True); r = x.exp().sum(0, keepdim=True) * x")


def test_parameter_like_repr_of_requires_grad_float64():
    check("r = torch.tensor([[0.1, 0.2]], dtype=torch.float64, requires_grad=True)")
    check("r = torch.tensor([[0.1, 0.2]], dtype=torch.float16, requires_grad=True) * 2")


@settings(max_examples=60, deadline=None)
@given(
    arr=hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.int8, np.uint8, np.bool_]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    ),
    grad=st.booleans(),
    op=st.sampled_from(["x", "x * 2", "x.sum()", "x + 1", "x / 3", "x.T if x.dim() == 2 else x"]),
)
def test_random_arrays(arr, grad, op):
    requires = grad and arr.dtype.kind == "f"
    e = eval(op, {"x": ember.tensor(arr.copy(), requires_grad=requires)})
    t = eval(op, {"x": torch.tensor(arr.copy(), requires_grad=requires)})
    assert repr(e) == repr(t).replace("torch.", "ember.")
