"""dtypes, type promotion and result dtypes, compared side by side with torch (the oracle)."""
from __future__ import annotations

import itertools
import operator

import pytest

import ember

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
ALIASES = ["float", "double", "half", "long", "int", "short"]


def name(d) -> str:
    """'float32' for ember.float32 and torch.float32 alike."""
    return str(d).split(".", 1)[1]


@pytest.fixture(autouse=True)
def _restore_torch_default_dtype():
    saved = torch.get_default_dtype()
    yield
    torch.set_default_dtype(saved)


def set_default(dtype_name: str) -> None:
    ember.set_default_dtype(getattr(ember, dtype_name))
    torch.set_default_dtype(getattr(torch, dtype_name))


# -- the dtype objects ---------------------------------------------------------------------------
@pytest.mark.parametrize("n", NAMES)
def test_dtype_repr_and_flags(n):
    e, t = getattr(ember, n), getattr(torch, n)
    assert isinstance(e, ember.dtype)
    assert repr(e) == repr(t).replace("torch.", "ember.") == f"ember.{n}"
    assert str(e) == str(t).replace("torch.", "ember.")
    assert e.is_floating_point == t.is_floating_point
    assert e.is_signed == t.is_signed
    assert e.is_complex == t.is_complex
    assert e.itemsize == t.itemsize
    assert ember.dtypes.from_numpy_dtype(e.numpy) is e
    assert getattr(ember.dtypes, n) is e


@pytest.mark.parametrize("alias", ALIASES)
def test_aliases(alias):
    e, t = getattr(ember, alias), getattr(torch, alias)
    assert name(e) == name(t)
    assert e is getattr(ember, name(e))  # the alias is the very same object


def test_dtype_pickles_to_the_singleton():
    import pickle

    for n in NAMES:
        d = getattr(ember, n)
        assert pickle.loads(pickle.dumps(d)) is d


def test_default_dtype():
    assert ember.get_default_dtype() is ember.float32
    assert name(ember.get_default_dtype()) == name(torch.get_default_dtype())
    set_default("float64")
    assert ember.get_default_dtype() is ember.float64


@pytest.mark.parametrize("n", ["int64", "int32", "bool", "uint8"])
def test_set_default_dtype_refuses_non_float(n):
    with pytest.raises(TypeError):
        torch.set_default_dtype(getattr(torch, n))
    with pytest.raises(TypeError):
        ember.set_default_dtype(getattr(ember, n))
    assert ember.get_default_dtype() is ember.float32


# -- promote_types ---------------------------------------------------------------------------------
@pytest.mark.parametrize("a", NAMES)
def test_promote_types_all_pairs(a):
    for b in NAMES:
        e = ember.promote_types(getattr(ember, a), getattr(ember, b))
        t = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert name(e) == name(t), (a, b)
        assert e is getattr(ember, name(t))


# -- result_type over tensors with dims, 0-d tensors and Python scalars ------------------------------
def operand_kinds(mod):
    """(label, operand) for each dtype as a tensor with dims and a 0-d tensor, plus Python scalars."""
    out = []
    for n in NAMES:
        d = getattr(mod, n)
        out.append((f"dim-{n}", mod.ones(2, dtype=d)))
        out.append((f"0d-{n}", mod.ones((), dtype=d)))
    out += [("int", 2), ("float", 1.5), ("bool", True)]
    return out


def kinds_pairs():
    labels = [label for label, _ in operand_kinds(ember)]
    return list(itertools.product(range(len(labels)), range(len(labels))))


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_result_type_exhaustive(default):
    set_default(default)
    E, T = operand_kinds(ember), operand_kinds(torch)
    checked = 0
    for i, j in kinds_pairs():
        (label_a, ea), (_, ta) = E[i], T[i]
        (label_b, eb), (_, tb) = E[j], T[j]
        expected = name(torch.result_type(ta, tb))
        assert name(ember.result_type(ea, eb)) == expected, (label_a, label_b)
        checked += 1
    assert checked == 21 * 21


# -- arithmetic result dtypes (and values) for every pair of operand kinds ---------------------------
OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
       "pow": operator.pow}


def outcome(fn, a, b):
    try:
        r = fn(a, b)
    except Exception as e:  # noqa: BLE001 - the oracle's exception type is compared
        return type(e).__name__
    return name(r.dtype), tuple(r.shape), r.tolist()


@pytest.mark.parametrize("op", list(OPS))
def test_binary_op_dtypes_exhaustive(op):
    fn = OPS[op]
    E, T = operand_kinds(ember), operand_kinds(torch)
    for i, j in kinds_pairs():
        (la, ea), (_, ta) = E[i], T[i]
        (lb, eb), (_, tb) = E[j], T[j]
        if not (isinstance(ta, torch.Tensor) or isinstance(tb, torch.Tensor)):
            continue
        assert outcome(fn, ea, eb) == outcome(fn, ta, tb), (op, la, lb)


@pytest.mark.parametrize(
    "expr",
    [
        "torch.tensor([1, 2]) + torch.tensor([3, 4])",
        "torch.tensor([7, -7]) / torch.tensor([2, 2])",  # int / int is true division: float32
        "torch.tensor([7, -7]) / 2",
        "7 / torch.tensor([2, -2])",
        "torch.tensor([1, 2]) + 1.5",  # int tensor + Python float: the default dtype
        "1.5 * torch.tensor([1, 2])",
        "torch.tensor([1, 2]) * True",
        "torch.tensor([True, False]) + torch.tensor([True, True])",  # bool + bool adds as logical or
        "torch.tensor([True, False]) * torch.tensor([True, True])",
        "torch.tensor([True, False]) + 1",
        "torch.tensor([True, False]) + 1.5",
        "torch.tensor([True, False]) / torch.tensor([True, True])",
        "torch.tensor([1, 2], dtype=torch.int8) + 1000",  # the int8 tensor wins; 1000 wraps
        "torch.tensor([100, -100], dtype=torch.int8) * 3",
        "torch.tensor([1, 2], dtype=torch.uint8) + 300",  # uint8 wraps modulo 256
        "torch.tensor([1, 2], dtype=torch.uint8) - 3",
        "torch.tensor([5], dtype=torch.uint8) * -1",
        "torch.tensor([100], dtype=torch.int8) + torch.tensor(100)",  # a 0-d int64 does not widen int8
        "torch.tensor([5], dtype=torch.int8) + torch.tensor(1000)",
        "torch.tensor([5], dtype=torch.int8) + torch.tensor(1.5)",  # ... but a 0-d float does: float32
        "torch.tensor([5], dtype=torch.int8) + torch.tensor(1.5, dtype=torch.float64)",
        "torch.tensor([1.], dtype=torch.float16) + 1e4",
        "torch.tensor([1.], dtype=torch.float16) + torch.tensor(1e10, dtype=torch.float64)",
        "torch.tensor([1], dtype=torch.uint8) + torch.tensor([1], dtype=torch.int8)",
        "torch.tensor([1], dtype=torch.int32) + torch.tensor([1.], dtype=torch.float16)",
        "torch.tensor(3) + torch.tensor(2.5)",
        "torch.tensor(3) / torch.tensor(2)",
        "2 ** torch.tensor([2, 3], dtype=torch.int8)",
        "torch.tensor([2, 3]) ** 0.5",
        "torch.tensor([True, False]) ** True",
        "-torch.tensor([1, -2], dtype=torch.int16)",
    ],
)
def test_arithmetic_result(expr):
    e = eval(expr, {"torch": ember})
    t = eval(expr, {"torch": torch})
    assert name(e.dtype) == name(t.dtype)
    assert e.tolist() == t.tolist()


@pytest.mark.parametrize(
    "expr",
    [
        "torch.tensor([True]) - torch.tensor([True])",
        "torch.tensor([True]) - True",
        "True - torch.tensor([True])",
        "torch.tensor([1, 2]) - True",
        "torch.tensor([1.]) - torch.tensor(True)",
        "1 - torch.tensor([True])",
        "torch.sub(torch.tensor([1]), torch.tensor([True]), alpha=2)",
        "-torch.tensor([True, False])",
        "torch.tensor([True]) ** torch.tensor([True])",
        "True ** torch.tensor([True])",
        "torch.tensor([2], dtype=torch.int32) ** -1",
    ],
)
def test_arithmetic_refused(expr):
    with pytest.raises(Exception) as t_info:  # noqa: B017, PT011 - the oracle says which
        eval(expr, {"torch": torch})
    with pytest.raises(t_info.type) as e_info:
        eval(expr, {"torch": ember})
    assert str(e_info.value) == str(t_info.value).replace("torch.", "ember.")


# -- the default dtype -------------------------------------------------------------------------------
@pytest.mark.parametrize("default", ["float64", "float16", "float32"])
@pytest.mark.parametrize(
    "expr",
    [
        "torch.tensor(1.5)",
        "torch.tensor([1, 2.5])",
        "torch.tensor([1, 2])",
        "torch.tensor(True)",
        "torch.randn(2)",
        "torch.rand(2)",
        "torch.arange(0.5)",
        "torch.arange(3)",
        "torch.arange(0, 1, 0.25)",
        "torch.full((2,), 1.5)",
        "torch.full((2,), 2)",
        "torch.zeros(2)",
        "torch.ones(2)",
        "torch.empty(2)",
        "torch.eye(2)",
        "torch.linspace(0, 1, 3)",
        "torch.Tensor([1, 2])",
        "torch.tensor([1, 2]) + 1.5",
        "torch.tensor([1, 2]) / torch.tensor([2, 2])",
        "torch.tensor([1, 2]) * torch.tensor(1.5)",
        "torch.tensor([1., 2.], dtype=torch.float32) + 1.5",
        "torch.tensor([1., 2.], dtype=torch.float32) + torch.tensor(1.5)",
        "torch.tensor([1, 2]).float() + torch.tensor([1.5], dtype=torch.float64)",
        "torch.tensor([1, 2]).sqrt()",
    ],
)
def test_default_dtype_effects(default, expr):
    set_default(default)
    e = eval(expr, {"torch": ember})
    t = eval(expr, {"torch": torch})
    assert name(e.dtype) == name(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
