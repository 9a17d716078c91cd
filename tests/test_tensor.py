"""The Tensor API (metadata, conversion, autograd fields), compared side by side with torch."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

from helpers import assert_same  # noqa: E402

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def name(d) -> str:
    return str(d).split(".", 1)[1]


def same_repr(e, t) -> None:
    assert repr(e) == repr(t).replace("torch.", "ember.")


def pair(arr: np.ndarray, requires_grad: bool = False):
    e, t = ember.tensor(arr.copy()), torch.tensor(arr.copy())
    if requires_grad:
        e.requires_grad_(), t.requires_grad_()
    return e, t


def both_raise(fn_e, fn_t, match_message: bool = True):
    """Both calls raise the same exception type (and, by default, message)."""
    with pytest.raises(Exception) as t_info:  # noqa: B017, PT011 - the oracle says which
        fn_t()
    with pytest.raises(t_info.type) as e_info:
        fn_e()
    if match_message:
        assert str(e_info.value) == str(t_info.value).replace("torch.", "ember.")


@pytest.fixture(autouse=True)
def _restore_torch_default_dtype():
    saved = torch.get_default_dtype()
    yield
    torch.set_default_dtype(saved)


A23 = np.arange(6, dtype=np.float32).reshape(2, 3)


# -- shape, Size, dims -----------------------------------------------------------------------------
def test_shape_is_a_size():
    e, t = pair(A23)
    assert isinstance(e.shape, ember.Size) and isinstance(e.shape, tuple)
    assert repr(e.shape) == repr(t.shape).replace("torch.", "ember.") == "ember.Size([2, 3])"
    assert str(e.shape) == str(t.shape).replace("torch.", "ember.")
    assert e.shape == t.shape == (2, 3)
    assert e.size() == e.shape and isinstance(e.size(), ember.Size)
    assert hash(e.shape) == hash(t.shape) == hash((2, 3))


@pytest.mark.parametrize("shape", [(), (0,), (4,), (2, 3), (2, 0, 3), (1, 2, 3, 4)])
def test_size_slicing_numel_and_concat(shape):
    es, ts = ember.Size(shape), torch.Size(shape)
    same_repr(es, ts)
    assert es.numel() == ts.numel()
    for sl in (slice(None), slice(1, None), slice(None, -1), slice(None, None, -1), slice(5, 9)):
        assert isinstance(es[sl], ember.Size)
        same_repr(es[sl], ts[sl])
    for i in range(-len(shape), len(shape)):
        assert es[i] == ts[i] and type(es[i]) is int
    same_repr(es + (7,), ts + (7,))
    assert list(es) == list(ts)


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 3, 4), (0, 3)])
def test_dims_and_sizes(shape):
    arr = np.zeros(shape, np.float32)
    e, t = pair(arr)
    assert e.dim() == e.ndim == e.ndimension() == t.dim()
    assert e.numel() == e.nelement() == t.numel()
    assert ember.numel(e) == torch.numel(t)
    for d in range(-len(shape), len(shape)):
        assert e.size(d) == t.size(d)
    if not shape:
        both_raise(lambda: e.size(0), lambda: t.size(0))
        both_raise(lambda: e.size(-1), lambda: t.size(-1))
    bad = len(shape) + 1
    both_raise(lambda: e.size(bad), lambda: t.size(bad))
    both_raise(lambda: e.size(-bad - 1), lambda: t.size(-bad - 1))


@pytest.mark.parametrize("n", NAMES)
def test_dtype_and_element_size(n):
    e = ember.zeros(2, dtype=getattr(ember, n))
    t = torch.zeros(2, dtype=getattr(torch, n))
    assert e.dtype is getattr(ember, n)
    assert name(e.dtype) == name(t.dtype)
    assert e.element_size() == t.element_size()
    assert e.is_floating_point() == t.is_floating_point()
    assert e.is_complex() == t.is_complex()


def test_device():
    e, t = pair(A23)
    assert repr(e.device) == repr(t.device) == "device(type='cpu')"
    assert str(e.device) == str(t.device) == "cpu"
    assert e.device == ember.device("cpu")
    assert e.is_cuda == t.is_cuda
    assert repr(ember.device("cpu", 0)) == repr(torch.device("cpu", 0))
    assert str(ember.device("cpu:0")) == str(torch.device("cpu:0"))
    assert ember.device(ember.device("cpu")) == ember.device("cpu")
    assert hash(ember.device("cpu")) == hash(ember.device("cpu"))


def test_device_refuses_cuda():
    with pytest.raises(RuntimeError):
        ember.device("cuda")
    with pytest.raises(RuntimeError):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError):
        ember.zeros(2).to("cuda")


# -- conversion to Python and NumPy ----------------------------------------------------------------
@pytest.mark.parametrize("n", NAMES)
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (2, 3)])
def test_item_tolist(n, shape):
    arr = (np.arange(int(np.prod(shape))).reshape(shape) * 1.5 - 2).astype(getattr(np, n if n != "bool" else "bool_"))
    e, t = pair(arr)
    assert e.tolist() == t.tolist()
    assert type(e.tolist()) is type(t.tolist())
    if e.numel() == 1:
        assert e.item() == t.item() and type(e.item()) is type(t.item())
        assert bool(e) == bool(t)
        assert float(e) == float(t)
        if n != "bool":
            assert int(e) == int(t)
    else:
        both_raise(e.item, t.item)
        both_raise(lambda: bool(e), lambda: bool(t))
        both_raise(lambda: float(e), lambda: float(t))
        both_raise(lambda: int(e), lambda: int(t))


@pytest.mark.parametrize("value", [2.7, -2.7, 0.0, 1e-9])
def test_python_scalar_conversions(value):
    e, t = ember.tensor([value]), torch.tensor([value])
    assert int(e) == int(t)
    assert float(e) == float(t)
    assert bool(e) == bool(t)
    assert f"{ember.tensor(value):.3f}" == f"{torch.tensor(value):.3f}"


def test_bool_of_empty_tensor():
    both_raise(lambda: bool(ember.tensor([])), lambda: bool(torch.tensor([])))


def test_index_protocol():
    e, t = ember.tensor(1), torch.tensor(1)
    assert [10, 20, 30][e] == [10, 20, 30][t]
    assert e.__index__() == t.__index__()
    with pytest.raises(TypeError):
        [1, 2][ember.tensor(1.0)]


def test_numpy_shares_memory():
    e = ember.tensor([1.0, 2.0, 3.0])
    a = e.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 10.0
    assert e.tolist() == [10.0, 2.0, 3.0]
    e.add_(1)
    assert a.tolist() == [11.0, 3.0, 4.0]


def test_numpy_refused_while_requiring_grad():
    e, t = pair(A23, requires_grad=True)
    both_raise(e.numpy, t.numpy)
    both_raise(lambda: np.asarray(e), lambda: np.asarray(t))
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    np.testing.assert_array_equal(e.numpy(force=True), t.numpy(force=True))


def test_array_protocol():
    e, t = pair(A23)
    a = np.asarray(e)
    np.testing.assert_array_equal(a, np.asarray(t))
    assert a.dtype == np.asarray(t).dtype
    assert np.shares_memory(a, e.numpy())
    assert np.asarray(e, dtype=np.float64).dtype == np.float64
    assert np.asarray(ember.tensor(3)).shape == ()


@pytest.mark.parametrize("n", NAMES)
def test_from_numpy_shares_memory_both_ways(n):
    arr = np.arange(4).astype(np.dtype(n if n != "bool" else "bool_"))
    e, t = ember.from_numpy(arr), torch.from_numpy(arr.copy())
    assert name(e.dtype) == name(t.dtype)
    assert np.shares_memory(e.numpy(), arr)
    arr[1] = 0
    assert e.tolist()[1] == arr[1]
    e.numpy()[2] = 1
    assert arr[2] == 1


# -- len, iteration --------------------------------------------------------------------------------
def test_len_and_iteration():
    e, t = pair(A23)
    assert len(e) == len(t) == 2
    rows_e, rows_t = list(e), list(t)
    assert len(rows_e) == len(rows_t)
    for re_, rt in zip(rows_e, rows_t, strict=True):
        assert isinstance(re_, ember.Tensor)
        assert_same(re_, rt)
    assert [x.item() for x in ember.tensor([1, 2, 3])] == [x.item() for x in torch.tensor([1, 2, 3])]
    assert list(ember.zeros(0)) == list(torch.zeros(0)) == []


def test_len_and_iteration_of_0d():
    both_raise(lambda: len(ember.tensor(1.0)), lambda: len(torch.tensor(1.0)))
    both_raise(lambda: iter(ember.tensor(1.0)), lambda: iter(torch.tensor(1.0)))


def test_iteration_rows_carry_grad():
    e, t = pair(A23, requires_grad=True)
    sum(r * (i + 1) for i, r in enumerate(e)).sum().backward()
    sum(r * (i + 1) for i, r in enumerate(t)).sum().backward()
    assert_same(e.grad, t.grad)


# -- views, copies, casts --------------------------------------------------------------------------
def test_T_of_matrix():
    e, t = pair(A23)
    assert_same(e.T, t.T)
    assert np.shares_memory(e.T.numpy(), e.numpy())


def test_data_shares_memory_and_drops_grad():
    e, t = pair(A23, requires_grad=True)
    d, dt = e.data, t.data
    assert d.requires_grad is dt.requires_grad is False
    assert d.is_leaf and d.grad_fn is None
    assert_same(d, dt)
    d.numpy()[0, 0] = 100.0
    assert e[0, 0].item() == 100.0
    assert e.requires_grad


def test_data_setter():
    e = ember.tensor([1.0, 2.0], requires_grad=True)
    e.data = ember.tensor([5.0, 6.0])
    assert e.tolist() == [5.0, 6.0] and e.requires_grad


def test_clone_new_memory():
    e, t = pair(A23, requires_grad=True)
    c, ct = e.clone(), t.clone()
    assert_same(c, ct)
    assert type(c.grad_fn).__name__ == type(ct.grad_fn).__name__ == "CloneBackward0"
    assert not np.shares_memory(c.detach().numpy(), e.detach().numpy())
    orig = ember.tensor([1, 2])
    c2 = orig.clone()
    c2.numpy()[0] = 9
    assert orig.tolist() == [1, 2] and c2.tolist() == [9, 2]


def test_contiguous():
    e, t = pair(A23)
    assert e.contiguous() is e
    assert t.contiguous() is t
    et, tt = e.T, t.T
    assert et.contiguous() is not et
    assert_same(et.contiguous(), tt.contiguous())
    assert et.contiguous().numpy().flags.c_contiguous


CASTS = ["float", "double", "half", "long", "int", "bool", "short", "char", "byte"]


@pytest.mark.parametrize("cast", CASTS)
@pytest.mark.parametrize("src", ["float32", "int64", "bool", "float16"])
def test_cast_methods(cast, src):
    arr = np.array([-2.5, 0.0, 1.5, 3.0])
    e = ember.tensor(arr).to(getattr(ember, src))
    t = torch.tensor(arr).to(getattr(torch, src))
    ce, ct = getattr(e, cast)(), getattr(t, cast)()
    assert_same(ce, ct)
    assert (ce is e) == (ct is t)  # a cast to the same dtype returns the tensor itself


@pytest.mark.parametrize("n", NAMES)
def test_to_dtype_other_and_device(n):
    e, t = pair(np.array([-1.5, 0.0, 2.25]))
    assert_same(e.to(getattr(ember, n)), t.to(getattr(torch, n)))
    assert_same(e.to(dtype=getattr(ember, n)), t.to(dtype=getattr(torch, n)))
    other_e, other_t = ember.zeros(1, dtype=getattr(ember, n)), torch.zeros(1, dtype=getattr(torch, n))
    assert_same(e.to(other_e), t.to(other_t))
    assert_same(e.type_as(other_e), t.type_as(other_t))
    assert_same(e.to("cpu", getattr(ember, n)), t.to("cpu", getattr(torch, n)))


def test_to_same_is_identity_and_copy():
    e, t = pair(A23)
    assert (e.to("cpu") is e) == (t.to("cpu") is t) is True
    assert (e.to(ember.float32) is e) == (t.to(torch.float32) is t) is True
    assert e.to(ember.device("cpu")) is e
    c = e.to(ember.float32, copy=True)
    assert c is not e and not np.shares_memory(c.numpy(), e.numpy())


def test_to_records_grad():
    e, t = pair(A23, requires_grad=True)
    oe, ot = e.to(ember.float64), t.to(torch.float64)
    assert type(oe.grad_fn).__name__ == type(ot.grad_fn).__name__
    (oe * oe).sum().backward()
    (ot * ot).sum().backward()
    assert_same(e.grad, t.grad)
    ie, it = e.long(), t.long()
    assert ie.requires_grad == it.requires_grad and ie.grad_fn is None is it.grad_fn


# -- autograd fields -------------------------------------------------------------------------------
def test_is_leaf_requires_grad_detach():
    e, t = pair(A23)
    assert e.is_leaf == t.is_leaf is True
    assert e.requires_grad == t.requires_grad is False
    assert e.requires_grad_() is e
    t.requires_grad_()
    assert e.requires_grad and e.is_leaf and e.grad_fn is None
    ye, yt = e * 2, t * 2
    assert ye.is_leaf == yt.is_leaf is False
    assert ye.requires_grad == yt.requires_grad is True
    de, dt = ye.detach(), yt.detach()
    assert de.is_leaf == dt.is_leaf is True
    assert de.requires_grad == dt.requires_grad is False
    assert np.shares_memory(de.numpy(), ye.detach().numpy())
    assert e.requires_grad_(False) is e and not e.requires_grad
    assert e.requires_grad_(True).requires_grad


def test_requires_grad_refused_for_integers():
    both_raise(lambda: ember.tensor([1, 2]).requires_grad_(), lambda: torch.tensor([1, 2]).requires_grad_())
    e, t = ember.tensor([1, 2]), torch.tensor([1, 2])

    def set_e():
        e.requires_grad = True

    def set_t():
        t.requires_grad = True

    both_raise(set_e, set_t)
    both_raise(lambda: ember.tensor([1, 2], requires_grad=True), lambda: torch.tensor([1, 2], requires_grad=True))


def test_requires_grad_of_non_leaf():
    e, t = pair(A23, requires_grad=True)
    ye, yt = e * 2, t * 2
    assert ye.requires_grad_() is ye  # no-op for a non-leaf
    yt.requires_grad_()
    both_raise(lambda: ye.requires_grad_(False), lambda: yt.requires_grad_(False))
    with ember.no_grad():
        ze = e * 2
    with torch.no_grad():
        zt = t * 2
    assert ze.requires_grad == zt.requires_grad is False
    assert ze.is_leaf == zt.is_leaf is True


def test_detach_():
    e, t = pair(A23, requires_grad=True)
    ye, yt = e * 2, t * 2
    assert ye.detach_() is ye
    yt.detach_()
    assert ye.is_leaf == yt.is_leaf and ye.requires_grad == yt.requires_grad
    assert ye.grad_fn is None


# -- constructors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        "2, 3",
        "4",
        "0",
        "",
        "torch.Size([2, 3])",
        "(2, 3)",  # a tuple is data, not a shape
        "[1, 2]",
        "[[1, 2], [3, 4]]",
        "[1.5, True]",
        "np.array([1, 2])",
        "np.array([1.5, 2.5])",
    ],
)
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_Tensor_constructor(args, default):
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    e = eval(f"torch.Tensor({args})", {"torch": ember, "np": np})
    t = eval(f"torch.Tensor({args})", {"torch": torch, "np": np})
    assert isinstance(e, ember.Tensor)
    assert tuple(e.shape) == tuple(t.shape)
    assert name(e.dtype) == name(t.dtype)
    assert not e.requires_grad and e.is_leaf
    if args and not args[0].isdigit() and "Size" not in args:  # data, not an uninitialised shape
        assert e.tolist() == t.tolist()


@pytest.mark.parametrize("n", ["int64", "float64", "float32", "bool"])
def test_Tensor_of_a_tensor(n):
    e = ember.Tensor(ember.tensor([1, 0, 2]).to(getattr(ember, n)))
    t = torch.Tensor(torch.tensor([1, 0, 2]).to(getattr(torch, n)))
    assert_same(e, t)


def test_isinstance_and_is_tensor():
    e = ember.tensor([1.0])
    assert isinstance(e, ember.Tensor)
    assert ember.is_tensor(e) == torch.is_tensor(torch.tensor([1.0])) is True
    for obj in ([1.0], 1.0, np.array([1.0]), None):
        assert ember.is_tensor(obj) == torch.is_tensor(obj) is False


def test_deepcopy_leaf():
    e, t = pair(A23, requires_grad=True)
    (e * e).sum().backward()
    (t * t).sum().backward()
    ce, ct = copy.deepcopy(e), copy.deepcopy(t)
    assert_same(ce, ct)
    assert ce.requires_grad == ct.requires_grad and ce.is_leaf
    assert_same(ce.grad, ct.grad)
    assert not np.shares_memory(ce.detach().numpy(), e.detach().numpy())
    assert not np.shares_memory(ce.grad.numpy(), e.grad.numpy())
    ce.detach().numpy()[0, 0] = -1.0
    assert e[0, 0].item() == 0.0
    # the memo keeps shared references shared
    lst = copy.deepcopy([e, e])
    assert lst[0] is lst[1]


def test_deepcopy_non_leaf_refused():
    e, t = pair(A23, requires_grad=True)
    both_raise(lambda: copy.deepcopy(e * 2), lambda: copy.deepcopy(t * 2))


def test_hash_is_identity():
    e = ember.tensor([1.0])
    assert hash(e) == hash(e) and len({e, ember.tensor([1.0])}) == 2
