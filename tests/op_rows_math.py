"""Op-table rows for the math family (see op_table.py: each call to `row`/`variants` adds rows).

Inputs meet no kink or pole: rounding ops take the "distinct" domain (never on an integer or a
half), functions defined on part of the line get their domain by an affine map of a sampled one
(``x * 0.4`` maps "positive" into (0, 1) for logit), and the special functions stay off their poles.
"""
from __future__ import annotations

import operator

from op_table import row, variants

# -- one input, float result: op -> domain --------------------------------------------------------------
UNARY = {"exp2": "any", "expm1": "any", "log2": "positive", "log10": "positive", "log1p": "positive",
         "rsqrt": "positive", "sinh": "any", "cosh": "any", "tan": "unit", "asin": "unit", "acos": "unit",
         "atan": "any", "asinh": "any", "atanh": "unit", "erf": "any", "erfc": "any", "erfinv": "unit",
         "lgamma": "positive", "digamma": "positive", "deg2rad": "any", "rad2deg": "any", "frac": "unit",
         "square": "any", "nan_to_num": "any", "floor": "distinct", "ceil": "distinct",
         "round": "distinct", "trunc": "distinct", "fix": "distinct", "arcsin": "unit", "arccos": "unit",
         "arctan": "any", "arcsinh": "any", "arctanh": "unit"}
for _op, _dom in UNARY.items():
    row(_op, _op, lambda T, x, _op=_op: getattr(T, _op)(x), (3, 4), domain=_dom)
    row(f"{_op}_0d_method", _op, lambda T, x, _op=_op: getattr(x, _op)(), (), domain=_dom)
# torch's sgn backward returns a ZeroTensor, which has no numpy(): add x so that x.grad is a real tensor
row("sgn", "sgn", lambda T, x: T.sgn(x) + x, (3, 4), domain="nonzero")
row("sgn_0d_method", "sgn", lambda T, x: x.sgn() + x, (), domain="nonzero")
row("sgn_", "sgn_", lambda T, x: (x * 1).sgn_() + x, (3, 4), domain="nonzero")
row("acosh", "acosh", lambda T, x: T.acosh(x + 1), (3, 4), domain="positive")
row("arccosh", "arccosh", lambda T, x: (x + 1).arccosh(), (3, 4), domain="positive")
row("acosh_0d_method", "acosh", lambda T, x: (x + 1).acosh(), (), domain="positive")
# integer and bool inputs: a float result, or their own dtype for the rounding ops, sgn and square
for _op in ("exp2", "expm1", "log1p", "sinh", "atan", "erf", "erfc", "lgamma", "deg2rad", "rad2deg", "floor",
            "ceil", "round", "trunc", "sgn", "square", "nan_to_num", "asinh"):
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(T, _op)(x), (5,), domain="int")
for _op in ("log2", "log10", "rsqrt", "digamma", "acosh"):
    row(f"{_op}_posint", _op, lambda T, x, _op=_op: getattr(T, _op)(x), (5,), domain="posint")
for _op in ("exp2", "erfinv", "sgn", "square", "tan", "nan_to_num", "atanh"):
    row(f"{_op}_bool", _op, lambda T, x, _op=_op: getattr(T, _op)(x), (4,), domain="bool")
row("square_uint8_wraps", "square", lambda T, x: x.square(), (5,), domain="uint8")
# the special functions on their negative branches, between the poles
for _op in ("lgamma", "digamma"):
    row(f"{_op}_negative", _op, lambda T, x, _op=_op: getattr(T, _op)(x * 0.4 - 1.5), (3, 4), domain="unit")
    row(f"{_op}_small", _op, lambda T, x, _op=_op: getattr(T, _op)(x * 0.01), (3, 4), domain="positive")
    row(f"{_op}_large", _op, lambda T, x, _op=_op: getattr(T, _op)(x * 30), (3, 4), domain="positive")
row("erf_wide", "erf", lambda T, x: T.erf(x * 3), (3, 4))
row("erfc_wide", "erfc", lambda T, x: T.erfc(x * 3), (3, 4))
row("erfinv_tails", "erfinv", lambda T, x: T.erfinv(x * 0.11), (3, 4), domain="unit")

# -- one input with options ----------------------------------------------------------------------------------
variants("round", lambda T, x, **kw: T.round(x, **kw), ((3, 4),), "distinct",
         {"decimals": {"decimals": 2}, "decimals_0": {"decimals": 0}, "decimals_neg": {"decimals": -1}})
row("round_decimals_method", "round", lambda T, x: (x * 30).round(decimals=-1), (3, 4), domain="distinct")
variants("logit", lambda T, x, **kw: T.logit(x * 0.4, **kw), ((3, 4),), "positive",
         {"": {}, "eps": {"eps": 0.3}, "eps_none": {"eps": None}})
row("logit_eps_method", "logit", lambda T, x: x.logit(0.2), (3, 4), domain="unit")
row("logit_int", "logit", lambda T, x: T.logit(x, eps=0.25), (5,), domain="int")
for _n in (0, 1, 2, 3):
    row(f"polygamma_{_n}", "polygamma", lambda T, x, _n=_n: T.polygamma(_n, x), (3, 4), domain="positive")
    row(f"polygamma_{_n}_negative", "polygamma", lambda T, x, _n=_n: T.polygamma(_n, x * 0.4 - 1.5), (3, 4),
        domain="unit")
row("polygamma_method", "polygamma", lambda T, x: x.polygamma(1), (), domain="positive")
row("polygamma_int", "polygamma", lambda T, x: T.polygamma(2, x), (5,), domain="posint")
variants("nan_to_num", lambda T, x, **kw: T.nan_to_num(x.log(), **kw), ((3, 4),), "any",
         {"values": {"nan": 1.5, "posinf": 2.0, "neginf": -3.0}, "nan_only": {"nan": -1.0}})

# -- two inputs ----------------------------------------------------------------------------------------------
for _op in ("atan2", "arctan2", "hypot"):
    row(_op, _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3, 4), (3, 4))
    row(f"{_op}_broadcast_method", _op, lambda T, x, y, _op=_op: getattr(x, _op)(y), (3, 1), (4,))
    row(f"{_op}_one_grad", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3, 4), (4,), grad=(False, True))
    row(f"{_op}_int_float", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (5,), (5,), domain=("int", "any"))
row("atan2_int", "atan2", lambda T, x, y: T.atan2(x, y), (5,), (5,), domain="int")
row("atan2_bool", "atan2", lambda T, x, y: T.atan2(x, y), (5,), (5,), domain="bool")
row("atan2_0d", "atan2", lambda T, x, y: T.atan2(x, y), (), (3,))
row("hypot_float32_float64", "hypot", lambda T, x, y: T.hypot(x.float(), y), (3,), (3,), dtypes=("float64",),
    gradcheck=False)
for _op in ("fmod", "remainder"):
    row(_op, _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3, 4), (3, 4), domain=("any", "nonzero"))
    row(f"{_op}_broadcast", _op, lambda T, x, y, _op=_op: getattr(x, _op)(y), (3, 1), (4,), domain=("any", "nonzero"))
    row(f"{_op}_scalar", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 1.5), (3, 4))
    row(f"{_op}_negative_scalar", _op, lambda T, x, _op=_op: getattr(T, _op)(x, -0.7), (3, 4))
    row(f"{_op}_int", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (6,), (6,), domain=("int", "posint"))
    row(f"{_op}_int_negative", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, -y), (6,), (6,),
        domain=("int", "posint"))
    row(f"{_op}_int_scalar", _op, lambda T, x, _op=_op: getattr(T, _op)(x, -3), (6,), domain="int")
    row(f"{_op}_int_float_scalar", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 2.5), (6,), domain="int")
    row(f"{_op}_uint8_scalar", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 7), (6,), domain="uint8")
    row(f"{_op}_0d_other", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (3,), (), domain=("any", "nonzero"))
row("remainder_operator", "remainder", lambda T, x, y: x % y, (3, 4), (4,), domain=("any", "nonzero"))
row("remainder_operator_scalar", "remainder", lambda T, x: x % 0.8, (3, 4))
row("remainder_rscalar", "remainder", lambda T, x: 2.5 % x, (3, 4), domain="nonzero", grad=False)
row("remainder_rscalar_fn", "remainder", lambda T, x: T.remainder(7, x), (6,), domain="posint")
for _name, _fn in (("", lambda T, x, y: T.floor_divide(x, y)), ("_operator", lambda T, x, y: x // y),
                   ("_method", lambda T, x, y: x.floor_divide(y))):
    row(f"floor_divide{_name}", "floor_divide", _fn, (3, 4), (4,), domain=("any", "nonzero"), grad=False)
    row(f"floor_divide{_name}_int", "floor_divide", _fn, (6,), (6,), domain=("int", "posint"))
    row(f"floor_divide{_name}_int_negative", "floor_divide", lambda T, x, y, _fn=_fn: _fn(T, x, -y), (6,), (6,),
        domain=("int", "posint"))
row("floor_divide_scalar", "floor_divide", lambda T, x: x // 0.3, (3, 4), grad=False)
row("floor_divide_rscalar", "floor_divide", lambda T, x: 7 // x, (6,), domain="posint")
row("floor_divide_int8_scalar", "floor_divide", lambda T, x: T.floor_divide(x, -2), (6,), domain="uint8")
row("floor_divide_int_float", "floor_divide", lambda T, x, y: x // y, (6,), (6,), domain=("int", "nonzero"),
    grad=False)
row("xlogy", "xlogy", lambda T, x, y: T.xlogy(x, y), (3, 4), (3, 4), domain=("any", "positive"))
row("xlogy_broadcast_method", "xlogy", lambda T, x, y: x.xlogy(y), (3, 1), (4,), domain=("any", "positive"))
row("xlogy_one_grad", "xlogy", lambda T, x, y: T.xlogy(x, y), (3, 4), (3, 4), domain=("any", "positive"),
    grad=(False, True))
row("xlogy_scalar_other", "xlogy", lambda T, x: T.xlogy(x, 2.5), (3, 4))
row("xlogy_scalar_self", "xlogy", lambda T, y: T.xlogy(1.5, y), (3, 4), domain="positive")
row("xlogy_int", "xlogy", lambda T, x, y: T.xlogy(x, y), (6,), (6,), domain=("int", "posint"))
row("xlogy_zero_self", "xlogy", lambda T, x, y: T.xlogy(x * 0, y), (3, 4), (3, 4), domain=("any", "positive"))
row("copysign", "copysign", lambda T, x, y: T.copysign(x, y), (3, 4), (3, 4), domain="nonzero")
row("copysign_broadcast_method", "copysign", lambda T, x, y: x.copysign(y), (3, 1), (4,), domain="nonzero")
row("copysign_scalar", "copysign", lambda T, x: T.copysign(x, -1.0), (3, 4), domain="nonzero")
row("copysign_int", "copysign", lambda T, x, y: T.copysign(x, y), (6,), (6,), domain="int")
row("copysign_bool_sign", "copysign", lambda T, x, y: T.copysign(x, y), (6,), (6,), domain=("nonzero", "bool"))

# -- three inputs ----------------------------------------------------------------------------------------------
variants("lerp", lambda T, x, y, **kw: T.lerp(x, y, **kw), ((3, 4), (3, 4)), "any",
         {"scalar": {"weight": 0.3}, "scalar_high": {"weight": 0.8}, "scalar_outside": {"weight": -1.5}})
row("lerp_tensor", "lerp", lambda T, x, y, w: T.lerp(x, y, w), (3, 4), (3, 4), (3, 4))
row("lerp_tensor_broadcast", "lerp", lambda T, x, y, w: x.lerp(y, w), (3, 1), (4,), (3, 4),
    domain=("any", "any", "unit"))
row("lerp_tensor_0d_weight", "lerp", lambda T, x, y, w: T.lerp(x, y, w), (3, 4), (3, 4), ())
row("lerp_weight_grad_only", "lerp", lambda T, x, y, w: T.lerp(x, y, w), (3, 4), (3, 4), (3, 4),
    grad=(False, False, True))
variants("addcmul", lambda T, x, y, z, **kw: T.addcmul(x, y, z, **kw), ((3, 4), (3, 4), (3, 4)), "any",
         {"": {}, "value": {"value": -0.5}})
row("addcmul_broadcast_method", "addcmul", lambda T, x, y, z: x.addcmul(y, z, value=2), (4,), (3, 1), (1, 4))
row("addcmul_int", "addcmul", lambda T, x, y, z: T.addcmul(x, y, z, value=3), (5,), (5,), (5,), domain="int")
row("addcmul_int_float_value", "addcmul", lambda T, x, y, z: T.addcmul(x, y, z, value=2.7), (5,), (5,), (5,),
    domain="int")
row("addcmul_uint8_wraps", "addcmul", lambda T, x, y, z: T.addcmul(x, y, z), (5,), (5,), (5,), domain="uint8")
row("addcmul_mixed", "addcmul", lambda T, x, y, z: T.addcmul(x, y, z), (5,), (5,), (5,), domain=("int", "any", "int"))
variants("addcdiv", lambda T, x, y, z, **kw: T.addcdiv(x, y, z, **kw), ((3, 4), (3, 4), (3, 4)),
         ("any", "any", "nonzero"), {"": {}, "value": {"value": 0.5}})
row("addcdiv_broadcast_method", "addcdiv", lambda T, x, y, z: x.addcdiv(y, z), (4,), (3, 1), (1, 4),
    domain=("any", "any", "nonzero"))
# grad=False: torch's own backward fails here (it casts the gradient to the integer input's dtype)
row("addcdiv_int_input", "addcdiv", lambda T, x, y, z: T.addcdiv(x, y, z), (5,), (5,), (5,),
    domain=("int", "nonzero", "posint"), grad=False)
row("masked_fill", "masked_fill", lambda T, x, m: T.masked_fill(x, m, 2.5), (3, 4), (3, 4), domain=("any", "bool"))
row("masked_fill_broadcast_mask", "masked_fill", lambda T, x, m: x.masked_fill(m, -1.0), (3, 4), (4,),
    domain=("any", "bool"))
row("masked_fill_mask_grows", "masked_fill", lambda T, x, m: x.masked_fill(m, 0.0), (4,), (3, 4),
    domain=("any", "bool"))
row("masked_fill_tensor_value", "masked_fill", lambda T, x, m, v: x.masked_fill(m, v), (3, 4), (3, 4), (),
    domain=("any", "bool", "any"))
row("masked_fill_int", "masked_fill", lambda T, x, m: x.masked_fill(m, 7.9), (6,), (6,), domain=("int", "bool"))
row("masked_fill_bool", "masked_fill", lambda T, x, m: x.masked_fill(m, True), (6,), (6,), domain="bool")
row("masked_fill_uint8_negative", "masked_fill", lambda T, x, m: x.masked_fill(m, -1), (6,), (6,),
    domain=("uint8", "bool"))
row("clamp_tensors", "clamp", lambda T, x, lo, hi: T.clamp(x, lo, hi), (3, 4), (3, 4), (3, 4), domain="distinct")
row("clamp_tensor_min", "clamp", lambda T, x, lo: T.clamp(x, min=lo), (3, 4), (3, 4), domain="distinct")
row("clamp_tensor_max", "clamp", lambda T, x, hi: x.clamp(max=hi), (3, 4), (4,), domain="distinct")
row("clamp_tensor_broadcast", "clamp", lambda T, x, lo, hi: x.clamp(lo, hi), (3, 1), (4,), (3, 4), domain="distinct")
row("clamp_tensor_min_only_grad", "clamp", lambda T, x, lo, hi: T.clamp(x, lo, hi), (3, 4), (3, 4), (3, 4),
    domain="distinct", grad=(False, True, False))
row("clip_tensors", "clamp", lambda T, x, lo, hi: T.clip(x, lo, hi), (3, 4), (3, 4), (3, 4), domain="distinct")
row("clamp_tensor_int", "clamp", lambda T, x, lo, hi: T.clamp(x, lo, hi), (6,), (6,), (6,), domain="int")
row("clamp_tensor_int_float_bound", "clamp", lambda T, x, lo: T.clamp(x, min=lo), (6,), (6,), domain=("int", "any"))
row("clamp_tensor_bool", "clamp", lambda T, x, lo: T.clamp(x, min=lo), (6,), (6,), domain="bool")
row("clamp_min_tensor", "clamp_min", lambda T, x, lo: x.clamp_min(lo), (3, 4), (3, 4), domain="distinct")
row("clamp_max_tensor", "clamp_max", lambda T, x, hi: T.clamp_max(x, hi), (3, 4), (4,), domain="distinct")

# -- no gradient: predicates, comparisons, logic, shifts -------------------------------------------------------
for _op in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
    row(_op, _op, lambda T, x, _op=_op: getattr(T, _op)(x.log()), (3, 4), gradcheck=False)
    row(f"{_op}_method_int", _op, lambda T, x, _op=_op: getattr(x, _op)(), (5,), domain="int")
    row(f"{_op}_bool", _op, lambda T, x, _op=_op: getattr(T, _op)(x), (5,), domain="bool")
variants("isclose", lambda T, x, y, **kw: T.isclose(x, x + y * 1e-5, **kw), ((3, 4), (3, 4)), "any",
         {"": {}, "rtol": {"rtol": 1e-7}, "atol": {"atol": 1e-5, "rtol": 0.0}, "exact": {"rtol": 0, "atol": 0}},
         gradcheck=False)
row("isclose_method_broadcast", "isclose", lambda T, x, y: x.isclose(y, atol=1.0), (3, 4), (4,), gradcheck=False)
row("isclose_int", "isclose", lambda T, x, y: T.isclose(x, y, atol=2), (6,), (6,), domain="int")
row("isclose_bool", "isclose", lambda T, x, y: T.isclose(x, y), (6,), (6,), domain="bool")
row("isclose_equal_nan", "isclose", lambda T, x: T.isclose(x.log(), x.log(), equal_nan=True), (3, 4),
    gradcheck=False)
row("allclose", "allclose", lambda T, x: T.tensor(T.allclose(x, x * (1 + 1e-7))), (3, 4), gradcheck=False)
row("allclose_method_false", "allclose", lambda T, x, y: T.tensor(x.allclose(y)), (3, 4), (4,), gradcheck=False)
row("allclose_int", "allclose", lambda T, x, y: T.tensor(T.allclose(x, y, atol=10)), (6,), (6,), domain="int")
row("equal", "equal", lambda T, x: T.tensor(T.equal(x, x.clone())), (3, 4), gradcheck=False)
row("equal_method_false", "equal", lambda T, x, y: T.tensor(x.equal(y)), (3, 4), (3, 4), gradcheck=False)
row("equal_shapes_differ", "equal", lambda T, x, y: T.tensor(T.equal(x, y)), (3, 4), (4,), gradcheck=False)
row("equal_int_float", "equal", lambda T, x: T.tensor(T.equal(x, x.double())), (6,), domain="int")
for _op in ("logical_and", "logical_or", "logical_xor"):
    row(f"{_op}_bool", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (2, 3), (3,), domain="bool")
    row(f"{_op}_int", _op, lambda T, x, y, _op=_op: getattr(x, _op)(y), (6,), (6,), domain="int")
    row(f"{_op}_float_int", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (6,), (6,), domain=("any", "int"),
        gradcheck=False)
for _op, _py in (("bitwise_left_shift", operator.lshift), ("bitwise_right_shift", operator.rshift)):
    row(f"{_op}", _op, lambda T, x, y, _op=_op: getattr(T, _op)(x, y), (6,), (6,), domain=("int", "posint"))
    row(f"{_op}_operator", _op, lambda T, x, y, _py=_py: _py(x, y), (2, 3), (3,), domain=("int", "posint"))
    row(f"{_op}_scalar", _op, lambda T, x, _py=_py: _py(x, 3), (6,), domain="int")
    row(f"{_op}_rscalar", _op, lambda T, y, _py=_py: _py(-37, y), (6,), domain="posint")
    row(f"{_op}_wide", _op, lambda T, x, y, _op=_op: getattr(x, _op)(y * 20 - 40), (6,), (6,), domain="int")
    row(f"{_op}_uint8", _op, lambda T, x, y, _py=_py: _py(x, y), (6,), (6,), domain="uint8")
    row(f"{_op}_int_bool", _op, lambda T, x, y, _py=_py: _py(x, y), (6,), (6,), domain=("int", "bool"))

# -- in-place forms, on a non-leaf (a clone) ---------------------------------------------------------------------
INPLACE_UNARY = {**UNARY, "acosh": "positive", "arccosh": "positive", "sign": "nonzero", "reciprocal": "nonzero"}
# torch records asinh_, acosh_, atanh_ with a node whose backward refuses (tested in test_elementwise_math)
_REFUSED = {"asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"}
for _op, _dom in INPLACE_UNARY.items():
    _shift = 1 if _op in ("acosh", "arccosh") else 0
    row(f"{_op}_", f"{_op}_", lambda T, x, _op=_op, _shift=_shift: getattr(x + _shift, _op + "_")(), (3, 4),
        domain=_dom, grad=_op not in _REFUSED)
row("floor__int", "floor_", lambda T, x: x.clone().floor_(), (4,), domain="int")
row("round__decimals", "round_", lambda T, x: x.clone().round_(decimals=2), (3, 4), domain="distinct")
row("logit_", "logit_", lambda T, x: (x * 0.4).logit_(eps=0.3), (3, 4), domain="positive")
row("polygamma_", "polygamma_", lambda T, x: x.clone().polygamma_(1), (3, 4), domain="positive")
row("nan_to_num__values", "nan_to_num_", lambda T, x: x.log().nan_to_num_(nan=0.5, neginf=-1.0), (3, 4))
for _op, _doms in (("atan2", ("any", "any")), ("arctan2", ("any", "any")), ("hypot", ("any", "any")),
                   ("fmod", ("any", "nonzero")), ("remainder", ("any", "nonzero")), ("xlogy", ("any", "positive")),
                   ("copysign", ("nonzero", "nonzero")), ("clamp_min", ("distinct", "distinct")),
                   ("clamp_max", ("distinct", "distinct"))):
    row(f"{_op}_", f"{_op}_", lambda T, x, y, _op=_op: getattr(x.clone(), _op + "_")(y), (3, 4), (4,), domain=_doms)
row("fmod__scalar", "fmod_", lambda T, x: x.clone().fmod_(0.7), (3, 4))
row("clamp_min__scalar", "clamp_min_", lambda T, x: x.clone().clamp_min_(0.0), (3, 4), domain="distinct")
row("clamp_max__scalar", "clamp_max_", lambda T, x: x.clone().clamp_max_(0.0), (3, 4), domain="distinct")
row("remainder__imod", "remainder_", lambda T, x, y: _iop(x.clone(), y, operator.imod), (3, 4), (4,),
    domain=("any", "nonzero"))
row("floor_divide_", "floor_divide_", lambda T, x, y: x.clone().floor_divide_(y), (3, 4), (4,),
    domain=("any", "nonzero"), grad=False)
row("floor_divide__ifloordiv_int", "floor_divide_", lambda T, x, y: _iop(x.clone(), y, operator.ifloordiv), (6,),
    (6,), domain=("int", "posint"))
row("lerp_", "lerp_", lambda T, x, y: x.clone().lerp_(y, 0.25), (3, 4), (4,))
row("lerp__tensor", "lerp_", lambda T, x, y, w: x.clone().lerp_(y, w), (3, 4), (3, 4), (4,))
row("addcmul_", "addcmul_", lambda T, x, y, z: x.clone().addcmul_(y, z, value=0.5), (3, 4), (3, 4), (4,))
row("addcdiv_", "addcdiv_", lambda T, x, y, z: x.clone().addcdiv_(y, z), (3, 4), (3, 4), (4,),
    domain=("any", "any", "nonzero"))
row("masked_fill_", "masked_fill_", lambda T, x, m: x.clone().masked_fill_(m, 0.5), (3, 4), (4,),
    domain=("any", "bool"))
row("masked_fill__tensor", "masked_fill_", lambda T, x, m, v: x.clone().masked_fill_(m, v), (3, 4), (3, 4), (),
    domain=("any", "bool", "any"))
for _op in ("logical_and", "logical_or", "logical_xor"):
    row(f"{_op}_", f"{_op}_", lambda T, x, y, _op=_op: getattr(x.clone(), _op + "_")(y), (6,), (6,),
        domain=("any", "int"), gradcheck=False)
row("logical_not_", "logical_not_", lambda T, x: x.clone().logical_not_(), (6,), domain="int")
for _op, _iopr in (("bitwise_left_shift", operator.ilshift), ("bitwise_right_shift", operator.irshift),
                   ("bitwise_and", operator.iand), ("bitwise_or", operator.ior), ("bitwise_xor", operator.ixor)):
    row(f"{_op}_", f"{_op}_", lambda T, x, y, _op=_op: getattr(x.clone(), _op + "_")(y), (6,), (6,),
        domain=("int", "posint"))
    row(f"{_op}__operator", f"{_op}_", lambda T, x, y, _iopr=_iopr: _iop(x.clone(), y, _iopr), (6,), (6,),
        domain=("int", "posint"))
row("bitwise_not_", "bitwise_not_", lambda T, x: x.clone().bitwise_not_(), (6,), domain="int")
row("bitwise_not__bool", "bitwise_not_", lambda T, x: x.clone().bitwise_not_(), (6,), domain="bool")


def _iop(x, y, op):  # noqa: ANN001, ANN202 - ``x op= y``: the augmented assignment calls the in-place method
    out = op(x, y)
    assert out is x
    return out
