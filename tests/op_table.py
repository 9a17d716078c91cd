"""The op table: one or more rows per public op in ``ember.ops.registry.OPS`` (torch's OpInfo, small).

Each row names the op it covers, a function written once against a module ``T`` (``ember`` or
``torch``: the APIs are the same), the input shapes, the value domain of each input and which
inputs are differentiable. ``tests/test_op_table.py`` sweeps the table: values, dtypes, shapes and
grad_fn names against torch, gradients under a random upstream gradient, ``gradcheck`` and
``gradgradcheck``, and a check that every registered op has a row.

This module imports without torch: torch is only imported when a row's ``torch_fn`` runs.
"""
from __future__ import annotations

import importlib
import operator
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ember

Shape = tuple[int, ...]
FLOATS = ("float32", "float64")


@dataclass(frozen=True)
class OpRow:
    """One way of calling one op.

    ``fn(T, *inputs, **kwargs)`` runs the op with module ``T``; ``domain`` (one name, or one per
    input) says how each input is sampled (see ``DOMAINS``); ``grad`` says which inputs are
    differentiable (only float inputs ever are); ``dtypes`` are the float dtypes the float inputs
    take (integer and bool domains keep their own dtype); ``gradcheck=False`` for rows whose output
    has no gradient, or is float32 from float64 inputs (finite differences would be noise).
    """

    name: str
    op: str
    fn: Callable[..., Any]
    shapes: tuple[Shape, ...]
    domain: str | tuple[str, ...] = "any"
    grad: bool | tuple[bool, ...] = True
    kwargs: dict[str, Any] = field(default_factory=dict)
    dtypes: tuple[str, ...] = FLOATS
    gradcheck: bool = True
    composite: bool = False  # torch records several nodes here; ember one, named after torch's last
    rtol: float = 1e-5
    atol: float = 1e-6

    @property
    def domains(self) -> tuple[str, ...]:
        return (self.domain,) * len(self.shapes) if isinstance(self.domain, str) else self.domain

    @property
    def grads(self) -> tuple[bool, ...]:
        flags = (self.grad,) * len(self.shapes) if isinstance(self.grad, bool) else self.grad
        return tuple(f and DOMAINS[d][1] for f, d in zip(flags, self.domains, strict=True))

    @property
    def differentiable(self) -> bool:
        return any(self.grads)

    @property
    def has_float_input(self) -> bool:
        return any(DOMAINS[d][1] for d in self.domains)

    def ember_fn(self, *inputs: Any) -> Any:
        return self.fn(ember, *inputs, **self.kwargs)

    def torch_fn(self, *inputs: Any) -> Any:
        return self.fn(importlib.import_module("torch"), *inputs, **self.kwargs)

    def arrays(self, dtype: str | None = None, seed: int = 0) -> list[np.ndarray]:
        """The row's inputs as NumPy arrays, the float ones in ``dtype`` (default: the row's first)."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()) + seed)
        dtype = dtype or self.dtypes[0]
        return [sample(d, s, dtype, rng, i) for i, (d, s) in enumerate(zip(self.domains, self.shapes, strict=True))]


def _distinct(shape: Shape, dtype: str, rng: np.random.Generator, i: int) -> np.ndarray:
    """Distinct values on a grid of step 0.25, offset per input so two inputs never tie, never 0:
    safe for max/min/relu/abs/clamp, whose derivatives jump at ties and at 0."""
    n = int(np.prod(shape))
    vals = (rng.permutation(n) - n // 2) * 0.25 + 0.1 + 0.06 * i
    return vals.reshape(shape).astype(dtype)


DOMAINS: dict[str, tuple[Callable[..., np.ndarray], bool]] = {
    # name: (sampler(shape, float dtype, rng, input index), is a float domain)
    "any": (lambda s, d, r, i: r.standard_normal(s).astype(d), True),
    "positive": (lambda s, d, r, i: r.uniform(0.5, 2.0, s).astype(d), True),
    "nonzero": (lambda s, d, r, i: (r.uniform(0.5, 2.0, s) * r.choice([-1.0, 1.0], s)).astype(d), True),
    "unit": (lambda s, d, r, i: r.uniform(-0.9, 0.9, s).astype(d), True),
    "distinct": (_distinct, True),
    "int": (lambda s, d, r, i: r.integers(-5, 6, s).astype(np.int64), False),
    "posint": (lambda s, d, r, i: r.integers(1, 6, s).astype(np.int64), False),
    "uint8": (lambda s, d, r, i: r.integers(0, 256, s).astype(np.uint8), False),
    "bool": (lambda s, d, r, i: r.random(s) < 0.5, False),
}


def sample(domain: str, shape: Shape, dtype: str, rng: np.random.Generator, i: int = 0) -> np.ndarray:
    return np.asarray(DOMAINS[domain][0](shape, dtype, rng, i))


ROWS: list[OpRow] = []


def row(name: str, op: str, fn: Callable[..., Any], *shapes: Shape, **kw: Any) -> None:
    ROWS.append(OpRow(name, op, fn, tuple(shapes), **kw))


def variants(op: str, fn: Callable[..., Any], shapes: tuple[Shape, ...], domain: Any, kwargs: dict[str, dict[str, Any]],
             **kw: Any) -> None:
    """One row per named kwargs variant of the same call."""
    for suffix, kws in kwargs.items():
        ROWS.append(OpRow(f"{op}_{suffix}" if suffix else op, op, fn, shapes, domain, kwargs=kws, **kw))


# -- unary elementwise ---------------------------------------------------------------------------
UNARY = {"neg": "any", "abs": "nonzero", "exp": "any", "log": "positive", "sqrt": "positive", "sin": "any",
         "cos": "any", "tanh": "any", "sigmoid": "any", "sign": "nonzero", "reciprocal": "nonzero",
         "relu": "nonzero"}
for _op, _dom in UNARY.items():
    row(_op, _op, lambda T, x, _op=_op: getattr(T, _op)(x), (3, 4), domain=_dom)
    row(f"{_op}_0d_method", _op, lambda T, x, _op=_op: getattr(x, _op)(), (), domain=_dom)
for _op in ("neg", "abs", "sign", "relu", "exp", "tanh", "sigmoid", "reciprocal", "sin"):
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(T, _op)(x), (5,), domain="int")
for _op in ("sqrt", "log"):
    row(f"{_op}_posint", _op, lambda T, x, _op=_op: getattr(T, _op)(x), (5,), domain="posint")
row("exp_bool", "exp", lambda T, x: T.exp(x), (4,), domain="bool")
row("neg_operator", "neg", lambda T, x: -x, (2, 3))
row("abs_operator", "abs", lambda T, x: abs(x), (2, 3), domain="nonzero")
row("logical_not", "logical_not", lambda T, x: T.logical_not(x), (2, 3), domain="bool")
row("logical_not_float", "logical_not", lambda T, x: x.logical_not(), (2, 3), gradcheck=False)
row("bitwise_not_int", "bitwise_not", lambda T, x: T.bitwise_not(x), (5,), domain="int")
row("bitwise_not_bool", "bitwise_not", lambda T, x: ~x, (5,), domain="bool")

# in-place unary methods, on a non-leaf (a clone)
for _op, _dom in (("abs", "nonzero"), ("neg", "any"), ("exp", "any"), ("sqrt", "positive"), ("relu", "nonzero"),
                  ("sigmoid", "any"), ("tanh", "any")):
    row(f"{_op}_", f"{_op}_", lambda T, x, _op=_op: getattr(x.clone(), _op + "_")(), (3, 4), domain=_dom)

# -- binary elementwise --------------------------------------------------------------------------
row("add", "add", lambda T, x, y: T.add(x, y), (3, 4), (3, 4))
row("add_broadcast", "add", lambda T, x, y: x + y, (3, 1), (4,))
row("add_alpha", "add", lambda T, x, y: T.add(x, y, alpha=2), (3, 4), (4,))
row("add_alpha_scalar", "add", lambda T, x: T.add(x, 3, alpha=2), (3,))
row("add_scalar", "add", lambda T, x: x + 2, (3,))
row("add_rscalar", "add", lambda T, x: 2.5 + x, (3,))
row("add_0d", "add", lambda T, x, y: x + y, (), (3,))
row("add_0d_0d", "add", lambda T, x, y: x + y, (), ())
row("add_int", "add", lambda T, x, y: x + y, (4,), (4,), domain="int")
row("add_int_float", "add", lambda T, x, y: x + y, (4,), (4,), domain=("int", "any"))
row("add_bool", "add", lambda T, x, y: x + y, (4,), (4,), domain="bool")
row("sub", "sub", lambda T, x, y: T.sub(x, y), (3, 4), (3, 4))
row("sub_broadcast", "sub", lambda T, x, y: x - y, (2, 1, 3), (4, 1))
row("sub_alpha", "sub", lambda T, x, y: T.sub(x, y, alpha=0.5), (3, 4), (3, 4))
row("sub_scalar", "sub", lambda T, x: x - 2, (3,))
row("sub_int", "sub", lambda T, x, y: x - y, (4,), (4,), domain="int")
row("rsub", "rsub", lambda T, x, y: T.rsub(x, y), (3, 4), (3, 4))
row("rsub_scalar", "rsub", lambda T, x: T.rsub(x, 2), (3, 4))
row("rsub_operator", "rsub", lambda T, x: 2 - x, (3, 4))
row("rsub_alpha", "rsub", lambda T, x, y: T.rsub(x, y, alpha=3), (3, 4), (4,))
row("rsub_alpha_scalar", "rsub", lambda T, x: T.rsub(x, 2, alpha=3), (3, 4))
row("sub_alpha_uint8", "sub", lambda T, x, y: T.sub(x, y, alpha=2), (4,), (4,), domain="uint8")
row("mul", "mul", lambda T, x, y: T.mul(x, y), (3, 4), (3, 4))
row("mul_broadcast", "mul", lambda T, x, y: x * y, (2, 1, 3), (4, 1))
row("mul_scalar", "mul", lambda T, x: x * 2.5, (3,))
row("mul_rscalar", "mul", lambda T, x: 3 * x, (3,))
row("mul_0d", "mul", lambda T, x, y: x * y, (), (2, 3))
row("mul_int", "mul", lambda T, x, y: x * y, (4,), (4,), domain="int")
row("mul_bool", "mul", lambda T, x, y: x * y, (4,), (4,), domain="bool")
row("div", "div", lambda T, x, y: T.div(x, y), (3, 4), (3, 4), domain=("any", "nonzero"))
row("div_broadcast", "div", lambda T, x, y: x / y, (3, 1), (4,), domain=("any", "nonzero"))
row("div_scalar", "div", lambda T, x: x / 2, (3,))
row("div_rscalar", "div", lambda T, x: 2 / x, (3,), domain="nonzero")
row("div_int", "div", lambda T, x, y: x / y, (4,), (4,), domain=("int", "posint"))
row("div_int_scalar", "div", lambda T, x: x / 2, (4,), domain="int")
variants("div", lambda T, x, y, **kw: T.div(x, y, **kw), ((3, 4), (3, 4)), ("any", "nonzero"),
         {"floor": {"rounding_mode": "floor"}, "trunc": {"rounding_mode": "trunc"}})
variants("div", lambda T, x, y, **kw: T.div(x, y, **kw), ((5,), (5,)), ("int", "posint"),
         {"floor_int": {"rounding_mode": "floor"}, "trunc_int": {"rounding_mode": "trunc"}})
row("pow_scalar", "pow", lambda T, x: x ** 2, (3, 4))
row("pow_scalar_fn", "pow", lambda T, x: T.pow(x, 3), (3,))
row("pow_sqrt", "pow", lambda T, x: x ** 0.5, (3, 4), domain="positive")
row("pow_negative", "pow", lambda T, x: x ** -1, (3,), domain="nonzero")
row("pow_zero", "pow", lambda T, x: x ** 0, (3,))
row("pow_tensor", "pow", lambda T, x, y: x ** y, (3, 4), (3, 4), domain=("positive", "any"))
row("pow_tensor_broadcast", "pow", lambda T, x, y: T.pow(x, y), (3, 1), (4,), domain=("positive", "any"))
row("pow_0d_base", "pow", lambda T, x, y: x ** y, (), (3,), domain=("positive", "any"))
row("pow_rscalar", "pow", lambda T, x: 2 ** x, (3, 4))
row("pow_rscalar_fn", "pow", lambda T, x: T.pow(1.5, x), (3,))
row("pow_int", "pow", lambda T, x: x ** 2, (4,), domain="int")
row("pow_int_float_exponent", "pow", lambda T, x: x ** 0.5, (4,), domain="posint")
for _op in ("maximum", "minimum"):
    row(_op, _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3, 4), (3, 4), domain="distinct")
    row(f"{_op}_broadcast", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3, 1), (4,), domain="distinct")
    row(f"{_op}_int", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (5,), (5,), domain="int")
for _op in ("eq", "ne", "lt", "le", "gt", "ge"):
    _py = getattr(operator, _op)  # the Python operator: x == y, x < y ...
    row(_op, _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3, 4), (3, 4), gradcheck=False)
    row(f"{_op}_int", _op, lambda T, x, y, _op=_op: getattr(x, _op)(y), (3, 4), (4,), domain="int")
    row(f"{_op}_scalar", _op, lambda T, x, _py=_py: _py(x, 1), (6,), domain="int")
    row(f"{_op}_operator", _op, lambda T, x, y, _py=_py: _py(x, y), (2, 3), (3,), domain="distinct", gradcheck=False)
for _op, _py in (("bitwise_and", operator.and_), ("bitwise_or", operator.or_), ("bitwise_xor", operator.xor)):
    row(f"{_op}_int", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (5,), (5,), domain="int")
    row(f"{_op}_bool", _op, lambda T, x, y, _py=_py: _py(x, y), (2, 3), (3,), domain="bool")
    row(f"{_op}_scalar", _op, lambda T, x, _py=_py: _py(x, 3), (5,), domain="int")

# -- where, clamp --------------------------------------------------------------------------------
row("where", "where", lambda T, c, x, y: T.where(c, x, y), (3, 4), (3, 4), (3, 4), domain=("bool", "any", "any"))
row("where_broadcast", "where", lambda T, c, x, y: T.where(c, x, y), (3, 1), (4,), (), domain=("bool", "any", "any"))
row("where_scalar", "where", lambda T, x: T.where(x > 0, x, 0.0), (3, 4), domain="distinct")
row("where_method", "where", lambda T, c, x, y: x.where(c, y), (3, 4), (3, 4), (4,), domain=("bool", "any", "any"))
row("where_int", "where", lambda T, c, x, y: T.where(c, x, y), (5,), (5,), (5,), domain=("bool", "int", "any"))
variants("clamp", lambda T, x, **kw: T.clamp(x, **kw), ((3, 4),), "distinct",
         {"min_only": {"min": -0.5}, "max_only": {"max": 0.5}, "both": {"min": -0.5, "max": 0.5}})
row("clamp_positional", "clamp", lambda T, x: x.clamp(-1, 1), (3, 4), domain="distinct")
row("clamp_int", "clamp", lambda T, x: T.clamp(x, -2, 3), (6,), domain="int")
row("clamp_int_float_bounds", "clamp", lambda T, x: T.clamp(x, -2.5, 3.5), (6,), domain="int")
row("clip", "clamp", lambda T, x: T.clip(x, -0.5, 0.5), (3, 4), domain="distinct")
row("clamp_min", "clamp_min", lambda T, x: x.clamp_min(0.0), (3, 4), domain="distinct")
row("clamp_max", "clamp_max", lambda T, x: T.clamp_max(x, 0.0), (3, 4), domain="distinct")

# -- reductions ----------------------------------------------------------------------------------
variants("sum", lambda T, x, **kw: T.sum(x, **kw), ((2, 3, 2),), "any",
         {"": {}, "dim": {"dim": 1}, "neg_dim_keepdim": {"dim": -1, "keepdim": True}, "dims": {"dim": (0, 2)},
          })
row("sum_dtype", "sum", lambda T, x: T.sum(x, dtype=T.float64), (2, 3, 2))
row("sum_method", "sum", lambda T, x: x.sum(0), (3, 4))
row("sum_0d", "sum", lambda T, x: x.sum(), ())
row("sum_0d_dim", "sum", lambda T, x: x.sum(0), ())
row("sum_int", "sum", lambda T, x: T.sum(x, 1), (3, 4), domain="int")
row("sum_bool", "sum", lambda T, x: x.sum(), (3, 4), domain="bool")
variants("mean", lambda T, x, **kw: T.mean(x, **kw), ((2, 3, 2),), "any",
         {"": {}, "dim": {"dim": 1}, "neg_dim_keepdim": {"dim": -1, "keepdim": True}, "dims": {"dim": (0, -1)}})
row("mean_0d", "mean", lambda T, x: x.mean(), ())
for _op in ("max", "min"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "distinct",
             {"": {}, "dim": {"dim": 1}, "neg_dim_keepdim": {"dim": -2, "keepdim": True}})
    row(f"{_op}_binary", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3, 4), (4,), domain="distinct")
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(x, _op)(), (), domain="distinct")
    row(f"{_op}_0d_dim", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (), domain="distinct")
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 0), (4, 3), domain="int")
    row(f"{_op}_int_all", _op, lambda T, x, _op=_op: getattr(x, _op)(), (4, 3), domain="int")
for _op in ("amax", "amin"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((2, 3, 2),), "distinct",
             {"": {}, "dim": {"dim": 1}, "dims_keepdim": {"dim": (0, -1), "keepdim": True}})
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(x, _op)(), (), domain="distinct")
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(x, _op)(1), (3, 4), domain="int")

# -- matmul family -------------------------------------------------------------------------------
for _name, _a, _b in (("1d_1d", (4,), (4,)), ("2d_1d", (3, 4), (4,)), ("1d_2d", (4,), (4, 3)),
                      ("2d_2d", (2, 4), (4, 3)), ("3d_3d", (2, 2, 3), (2, 3, 2)), ("3d_2d", (2, 2, 3), (3, 2)),
                      ("2d_3d", (2, 3), (2, 3, 2)), ("1d_3d", (3,), (2, 3, 2)), ("3d_1d", (2, 2, 3), (3,)),
                      ("4d_3d", (2, 1, 2, 2), (2, 2, 1))):
    row(f"matmul_{_name}", "matmul", lambda T, a, b: T.matmul(a, b), _a, _b,
        composite=_name not in ("1d_1d", "2d_1d", "2d_2d"))
row("matmul_operator", "matmul", lambda T, a, b: a @ b, (2, 3), (3, 2))
row("matmul_one_grad", "matmul", lambda T, a, b: a @ b, (2, 3), (3, 2), grad=(False, True))
row("matmul_int", "matmul", lambda T, a, b: a @ b, (2, 3), (3, 2), domain="int")
row("mm", "mm", lambda T, a, b: T.mm(a, b), (2, 3), (3, 2))
row("mv", "mv", lambda T, a, b: a.mv(b), (2, 3), (3,))
row("dot", "dot", lambda T, a, b: T.dot(a, b), (4,), (4,))
row("bmm", "bmm", lambda T, a, b: T.bmm(a, b), (2, 2, 3), (2, 3, 2))

# -- shape and view ops --------------------------------------------------------------------------
row("view", "view", lambda T, x: x.view(2, 6), (3, 4))
row("view_infer", "view", lambda T, x: x.view(-1), (3, 4))
row("view_tuple", "view", lambda T, x: x.view((2, -1, 2)), (3, 4))
row("view_as", "view", lambda T, x, y: x.view_as(y), (3, 4), (6, 2), grad=(True, False))
row("view_0d", "view", lambda T, x: x.view(1, 1), ())
row("reshape", "reshape", lambda T, x: T.reshape(x, (4, 3)), (3, 4))
row("reshape_infer", "reshape", lambda T, x: x.reshape(-1, 2), (3, 4))
row("reshape_transposed", "reshape", lambda T, x: x.t().reshape(-1), (3, 4), composite=True)
row("reshape_as", "reshape", lambda T, x, y: x.reshape_as(y), (3, 4), (2, 6), grad=(True, False))
row("reshape_int", "reshape", lambda T, x: x.reshape(2, 3), (6,), domain="int")
variants("flatten", lambda T, x, **kw: T.flatten(x, **kw), ((2, 3, 2),), "any",
         {"": {}, "start": {"start_dim": 1}, "range": {"start_dim": 0, "end_dim": -2},
          "same": {"start_dim": 1, "end_dim": 1}})
row("flatten_0d", "flatten", lambda T, x: x.flatten(), ())
row("transpose", "transpose", lambda T, x: T.transpose(x, 0, 1), (3, 4))
row("transpose_neg", "transpose", lambda T, x: x.transpose(-1, -3), (2, 3, 2))
row("transpose_same", "transpose", lambda T, x: x.transpose(1, 1), (2, 3))
row("swapaxes", "transpose", lambda T, x: x.swapaxes(0, 2), (2, 3, 2))
row("swapdims", "transpose", lambda T, x: T.swapdims(x, 1, 0), (2, 3))
row("t", "t", lambda T, x: T.t(x), (3, 4))
row("t_1d", "t", lambda T, x: x.t(), (4,))
row("t_0d", "t", lambda T, x: x.t(), ())
row("permute", "permute", lambda T, x: T.permute(x, (2, 0, 1)), (2, 3, 2))
row("permute_varargs_neg", "permute", lambda T, x: x.permute(-1, 0, 1), (2, 3, 2))
row("T", "permute", lambda T, x: x.T, (3, 4))
row("mT", "transpose", lambda T, x: x.mT, (2, 3, 2))
row("unsqueeze", "unsqueeze", lambda T, x: T.unsqueeze(x, 0), (3, 4))
row("unsqueeze_neg", "unsqueeze", lambda T, x: x.unsqueeze(-1), (3, 4))
row("unsqueeze_mid", "unsqueeze", lambda T, x: x.unsqueeze(1), (3, 4))
row("unsqueeze_0d", "unsqueeze", lambda T, x: x.unsqueeze(0), ())
variants("squeeze", lambda T, x, **kw: T.squeeze(x, **kw), ((1, 3, 1, 2),), "any",
         {"": {}, "dim": {"dim": 0}, "neg_dim": {"dim": -2}, "dim_not_one": {"dim": 1}, "dims": {"dim": (0, 2)}})
row("squeeze_0d", "squeeze", lambda T, x: x.squeeze(), ())
row("expand", "expand", lambda T, x: x.expand(3, 4), (3, 1))
row("expand_new_dims", "expand", lambda T, x: x.expand((2, 3, 4)), (3, 1))
row("expand_keep", "expand", lambda T, x: x.expand(2, -1, 4), (3, 1))
row("expand_0d", "expand", lambda T, x: x.expand(2, 3), ())
row("expand_as", "expand_as", lambda T, x, y: x.expand_as(y), (1, 4), (3, 4), grad=(True, False))
row("sum_to_size", "sum_to_size", lambda T, x: x.sum_to_size(1, 4), (3, 4))
row("sum_to_size_lead", "sum_to_size", lambda T, x: x.sum_to_size((3, 1)), (2, 3, 2))
row("clone", "clone", lambda T, x: T.clone(x), (3, 4))
row("contiguous", "contiguous", lambda T, x: x.contiguous(), (3, 4))
row("contiguous_transposed", "contiguous", lambda T, x: x.t().contiguous(), (3, 4))
row("to_float64", "to", lambda T, x: x.to(T.float64), (3, 4), dtypes=("float32",))
row("to_same", "to", lambda T, x: x.to(T.float64), (3, 4), dtypes=("float64",))
row("to_float32", "to", lambda T, x: x.to(dtype=T.float32), (3, 4), dtypes=("float64",), gradcheck=False)
row("to_float16", "to", lambda T, x: x.to(T.float16), (3, 4), gradcheck=False, rtol=1e-3, atol=1e-3)
row("to_int64", "to", lambda T, x: x.to(T.int64), (3, 4), gradcheck=False)
row("to_tensor", "to", lambda T, x: x.to(T.zeros(1, dtype=T.float64)), (3, 4), dtypes=("float32",))
row("to_int_to_float", "to", lambda T, x: x.to(T.float32), (3, 4), domain="int")
row("double", "to", lambda T, x: x.double(), (3,), dtypes=("float32",))
row("float", "to", lambda T, x: x.float(), (3,), dtypes=("float64",), gradcheck=False)
row("long", "to", lambda T, x: x.long(), (3,), domain="int")
row("bool", "to", lambda T, x: x.bool(), (3,), domain="int")
row("type_as", "type_as", lambda T, x, y: x.type_as(y), (3, 4), (2,), domain=("any", "int"), gradcheck=False)
row("type_as_float", "type_as", lambda T, x, y: x.type_as(y), (3, 4), (2,), grad=(True, False), dtypes=("float32",))

# -- indexing ------------------------------------------------------------------------------------
for _name, _index in (
    ("int", 1), ("neg_int", -1), ("slice", slice(1, 3)), ("full_slice", slice(None)), ("step", slice(None, None, 2)),
    ("int_slice", (1, slice(None))), ("slice_int", (slice(None), 1)), ("slice_slice", (slice(0, 2), slice(1, None))),
    ("full_slices", (slice(None), slice(None))), ("slice_full", (slice(1, 3), slice(0, 10))),
    ("none", None), ("none_mid", (slice(None), None)), ("none_last", (1, slice(1, None), None)),
    ("ellipsis", Ellipsis), ("ellipsis_int", (Ellipsis, 1)), ("int_ellipsis", (0, Ellipsis)),
    ("none_ellipsis_none", (None, Ellipsis, None)), ("neg_start", (slice(-2, None), slice(None))),
    ("list", [0, 2]), ("list_repeat", [2, 0, 2]), ("int_list", (1, [0, 3])), ("slice_list", (slice(None), [3, 1])),
    ("true", True), ("false", False), ("np_int", np.int64(2)),
):
    # several non-trivial items (or a bool: unsqueeze, then index): torch chains nodes, ember records one
    _steps = sum(1 for i in (_index if type(_index) is tuple else (_index,))
                 if i is not Ellipsis and i != slice(None))
    row(f"getitem_{_name}", "getitem", lambda T, x, _index=_index: x[_index], (3, 4),
        composite=_steps > 1 or type(_index) is bool)
row("getitem_tensor_0d", "getitem", lambda T, x: x[T.tensor(1)], (3, 4))
row("getitem_0d_tensor", "getitem", lambda T, x: x[T.tensor(1), 2], (3, 4), composite=True)
row("getitem_tensor", "getitem", lambda T, x: x[T.tensor([0, 2, 2])], (3, 4))
row("getitem_tensor_2d", "getitem", lambda T, x: x[T.tensor([[0, 1], [2, 0]])], (3, 4))
row("getitem_tensor_pair", "getitem", lambda T, x: x[T.tensor([0, 1]), T.tensor([3, 3])], (3, 4))
row("getitem_mask", "getitem", lambda T, x: x[x > 0], (3, 4), domain="distinct")
row("getitem_row_mask", "getitem", lambda T, x: x[T.tensor([True, False, True])], (3, 4))
row("getitem_3d", "getitem", lambda T, x: x[1, :, ::2], (2, 3, 2), composite=True)
row("getitem_0d_ellipsis", "getitem", lambda T, x: x[...], ())
row("getitem_0d_none", "getitem", lambda T, x: x[None], ())
row("getitem_int_dtype", "getitem", lambda T, x: x[1:, [0, 1]], (3, 4), domain="int")
row("gather", "gather", lambda T, x: T.gather(x, 1, T.tensor([[0, 1], [2, 2], [1, 0]])), (3, 4))
row("gather_neg_dim", "gather", lambda T, x: x.gather(-2, T.tensor([[0, 1, 2, 2]])), (3, 4))

# -- in-place ops on non-leaf tensors (each call clones first, so leaves stay untouched) ----------
row("add_", "add_", lambda T, x, y: x.clone().add_(y), (3, 4), (3, 4))
row("add__broadcast", "add_", lambda T, x, y: (x * 1).add_(y), (3, 4), (4,))
row("add__alpha", "add_", lambda T, x, y: x.clone().add_(y, alpha=2), (3, 4), (3, 4))
row("add__scalar", "add_", lambda T, x: x.clone().add_(2), (3, 4))
row("add__iadd", "add_", lambda T, x, y: _iop(x.clone(), y, operator.iadd), (3, 4), (3, 4))
row("add__int", "add_", lambda T, x: x.clone().add_(2), (3, 4), domain="int")
row("add__leaf_grad_other", "add_", lambda T, x, y: x.clone().add_(y), (3, 4), (3, 4), grad=(False, True))
row("sub_", "sub_", lambda T, x, y: x.clone().sub_(y), (3, 4), (3, 4))
row("sub__alpha", "sub_", lambda T, x, y: x.clone().sub_(y, alpha=3), (3, 4), (3, 4))
row("sub__isub", "sub_", lambda T, x, y: _iop(x.clone(), y, operator.isub), (3, 4), (4,))
row("mul_", "mul_", lambda T, x, y: x.clone().mul_(y), (3, 4), (3, 4))
row("mul__scalar", "mul_", lambda T, x: x.clone().mul_(3), (3, 4))
row("mul__imul", "mul_", lambda T, x, y: _iop(x.clone(), y, operator.imul), (3, 4), (4,))
row("mul__twice", "mul_", lambda T, x, y: x.clone().mul_(y).mul_(y), (3, 4), (3, 4))
row("div_", "div_", lambda T, x, y: x.clone().div_(y), (3, 4), (3, 4), domain=("any", "nonzero"))
row("div__scalar", "div_", lambda T, x: x.clone().div_(4), (3, 4))
row("div__itruediv", "div_", lambda T, x, y: _iop(x.clone(), y, operator.itruediv), (3, 4), (3, 4),
    domain=("any", "nonzero"))
row("pow_", "pow_", lambda T, x: x.clone().pow_(2), (3, 4))
row("pow__tensor", "pow_", lambda T, x, y: x.clone().pow_(y), (3, 4), (3, 4), domain=("positive", "any"))
row("clamp_", "clamp_", lambda T, x: x.clone().clamp_(-0.5, 0.5), (3, 4), domain="distinct")
row("clamp__min", "clamp_", lambda T, x: x.clone().clamp_(min=0.0), (3, 4), domain="distinct")
row("clip_", "clamp_", lambda T, x: x.clone().clip_(max=0.0), (3, 4), domain="distinct")
row("zero_", "zero_", lambda T, x: x.clone().zero_(), (3, 4))
row("fill_", "fill_", lambda T, x: x.clone().fill_(2.5), (3, 4))
row("fill__tensor", "fill_", lambda T, x, v: x.clone().fill_(v), (3, 4), ())
row("copy_", "copy_", lambda T, x, y: x.clone().copy_(y), (3, 4), (3, 4))
row("copy__broadcast", "copy_", lambda T, x, y: x.clone().copy_(y), (3, 4), (4,))
row("copy__cast", "copy_", lambda T, x, y: x.clone().copy_(y), (3, 4), (3, 4), domain=("any", "int"))


def _iop(x: Any, y: Any, op: Callable[[Any, Any], Any]) -> Any:
    """``x op= y``: the augmented assignment, which calls the in-place method."""
    out = op(x, y)
    assert out is x
    return out


def covered_ops() -> set[str]:
    return {r.op for r in ROWS}


# Each op family keeps its rows in its own file, which calls `row`/`variants` above on import.
for _family in ("op_rows_math", "op_rows_reduction", "op_rows_linalg", "op_rows_shape", "op_rows_nn", "op_rows_random"):
    importlib.import_module(_family)


# -- binary ops for the broadcasting sweep: name -> (fn(T, a, b), domain of a, domain of b) -------
BROADCAST_BINARY: dict[str, tuple[Callable[..., Any], str, str]] = {
    "add": (lambda T, a, b: a + b, "any", "any"),
    "add_alpha": (lambda T, a, b: T.add(a, b, alpha=2), "any", "any"),
    "sub": (lambda T, a, b: a - b, "any", "any"),
    "rsub": (lambda T, a, b: T.rsub(a, b), "any", "any"),
    "mul": (lambda T, a, b: a * b, "any", "any"),
    "div": (lambda T, a, b: a / b, "any", "nonzero"),
    "pow": (lambda T, a, b: a ** b, "positive", "any"),
    "maximum": (lambda T, a, b: T.maximum(a, b), "distinct", "distinct"),
    "minimum": (lambda T, a, b: T.minimum(a, b), "distinct", "distinct"),
    "eq": (lambda T, a, b: a == b, "int", "int"),
    "ne": (lambda T, a, b: a != b, "int", "int"),
    "lt": (lambda T, a, b: a < b, "int", "int"),
    "le": (lambda T, a, b: a <= b, "any", "any"),
    "gt": (lambda T, a, b: a > b, "any", "any"),
    "ge": (lambda T, a, b: a >= b, "int", "int"),
    "bitwise_and": (lambda T, a, b: a & b, "int", "int"),
}
