"""Op-table rows for the nn family (see op_table.py: each call to `row`/`variants` adds rows).

Every row calls through ``T.nn.functional`` (or the top-level / method spelling torch also has).
Inputs that meet a kink (relu6 at 0 and 6, hardswish at +-3, shrink at +-lambd ...) use the
"distinct" domain, which never lands on one, scaled where the kinks lie further out."""
from __future__ import annotations

import math

from op_table import row, variants

F = lambda T: T.nn.functional  # noqa: E731

# -- smooth activations ----------------------------------------------------------------------------------
for _op in ("logsigmoid", "gelu", "silu", "mish", "softplus", "softsign", "tanhshrink"):
    row(f"F_{_op}", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x), (3, 4))
    row(f"F_{_op}_0d", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x), ())
for _op in ("sigmoid", "tanh"):
    row(f"F_{_op}", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x), (3, 4))
row("F_gelu_tanh", "gelu", lambda T, x: F(T).gelu(x, approximate="tanh"), (3, 4))
row("F_gelu_tanh_0d", "gelu", lambda T, x: F(T).gelu(x, approximate="tanh"), ())
row("F_gelu_wide", "gelu", lambda T, x: F(T).gelu(x * 4), (3, 4))
row("F_logsigmoid_wide", "logsigmoid", lambda T, x: F(T).logsigmoid(x * 30), (3, 4))
row("F_mish_wide", "mish", lambda T, x: F(T).mish(x * 30), (3, 4))
variants("softplus", lambda T, x, **kw: F(T).softplus(x, **kw), ((3, 4),), "distinct",
         {"beta": {"beta": 2.0}, "threshold": {"beta": 2.0, "threshold": 1.0}, "neg_beta": {"beta": -1.5}})
row("softsign_int", "softsign", lambda T, x: F(T).softsign(x), (5,), domain="int")
row("tanhshrink_int", "tanhshrink", lambda T, x: F(T).tanhshrink(x), (5,), domain="int")

# -- the elu family --------------------------------------------------------------------------------------
for _op in ("elu", "selu", "celu"):
    row(f"F_{_op}", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x), (3, 4), domain="distinct")
    row(f"F_{_op}_0d", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x), (), domain="distinct")
    row(f"F_{_op}_inplace", f"{_op}_", lambda T, x, _op=_op: getattr(F(T), _op)(x.clone(), inplace=True), (3, 4),
        domain="distinct")
    row(f"F_{_op}_", f"{_op}_", lambda T, x, _op=_op: getattr(F(T), _op + "_")(x * 2), (3, 4), domain="distinct")
row("selu_top_level", "selu", lambda T, x: T.selu(x), (3, 4), domain="distinct")
row("celu_top_level", "celu", lambda T, x: T.celu(x, 0.5), (3, 4), domain="distinct")
row("F_elu_alpha", "elu", lambda T, x: F(T).elu(x, alpha=2.0), (3, 4), domain="distinct")
row("F_elu_neg_alpha", "elu", lambda T, x: F(T).elu(x, -0.5), (3, 4), domain="distinct")
row("F_celu_alpha", "celu", lambda T, x: F(T).celu(x, alpha=-2.0), (3, 4), domain="distinct")
row("F_elu__alpha", "elu_", lambda T, x: F(T).elu_(x.clone(), alpha=0.5), (3, 4), domain="distinct")
row("F_celu__alpha", "celu_", lambda T, x: F(T).celu_(x.clone(), 3.0), (3, 4), domain="distinct")

# -- piecewise linear ------------------------------------------------------------------------------------
variants("leaky_relu", lambda T, x, **kw: F(T).leaky_relu(x, **kw), ((3, 4),), "distinct",
         {"": {}, "slope": {"negative_slope": 0.2}, "neg_slope": {"negative_slope": -0.5}})
row("leaky_relu_0d", "leaky_relu", lambda T, x: F(T).leaky_relu(x), (), domain="distinct")
row("F_leaky_relu_inplace", "leaky_relu_", lambda T, x: F(T).leaky_relu(x.clone(), 0.3, True), (3, 4),
    domain="distinct")
row("F_leaky_relu_", "leaky_relu_", lambda T, x: F(T).leaky_relu_(x.clone()), (3, 4), domain="distinct")
variants("hardtanh", lambda T, x, **kw: F(T).hardtanh(x, **kw), ((3, 4),), "distinct",
         {"": {}, "bounds": {"min_val": -0.5, "max_val": 0.3}, "equal_bounds": {"min_val": 0.3, "max_val": 0.3}})
row("hardtanh_0d", "hardtanh", lambda T, x: F(T).hardtanh(x), (), domain="distinct")
row("hardtanh_int", "hardtanh", lambda T, x: F(T).hardtanh(x, -2, 3), (6,), domain="int")
row("hardtanh_int_float_bounds", "hardtanh", lambda T, x: F(T).hardtanh(x, -1.5, 2.5), (6,), domain="int")
row("F_hardtanh_inplace", "hardtanh_", lambda T, x: F(T).hardtanh(x.clone(), -0.5, 0.5, True), (3, 4),
    domain="distinct")
row("F_hardtanh_", "hardtanh_", lambda T, x: F(T).hardtanh_(x * 1), (3, 4), domain="distinct")
row("relu6", "relu6", lambda T, x: F(T).relu6(x * 5), (3, 4), domain="distinct")
row("relu6_int", "relu6", lambda T, x: F(T).relu6(x * 2), (6,), domain="int")
row("F_relu6_inplace", "hardtanh_", lambda T, x: F(T).relu6(x * 5, inplace=True), (3, 4), domain="distinct")
row("F_relu", "relu", lambda T, x: F(T).relu(x), (3, 4), domain="distinct")
row("F_relu_inplace", "relu_", lambda T, x: F(T).relu(x.clone(), inplace=True), (3, 4), domain="distinct")
row("F_relu_", "relu_", lambda T, x: F(T).relu_(x.clone()), (3, 4), domain="distinct")
for _op in ("hardsigmoid", "hardswish"):
    row(_op, _op, lambda T, x, _op=_op: getattr(F(T), _op)(x * 4), (3, 4), domain="distinct")
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x), (), domain="distinct")
    row(f"F_{_op}_inplace", f"{_op}_", lambda T, x, _op=_op: getattr(F(T), _op)(x * 4, inplace=True), (3, 4),
        domain="distinct")
for _op in ("silu", "mish"):
    row(f"F_{_op}_inplace", f"{_op}_", lambda T, x, _op=_op: getattr(F(T), _op)(x.clone(), inplace=True), (3, 4))
for _op in ("softshrink", "hardshrink"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(F(T), _op)(x, **kw), ((3, 4),), "distinct",
             {"": {}, "lambd": {"lambd": 0.3}, "zero": {"lambd": 0.0}})
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x), (), domain="distinct")
row("hardshrink_negative_lambd", "hardshrink", lambda T, x: F(T).hardshrink(x, -1.0), (3, 4), domain="distinct")
row("hardshrink_top_level", "hardshrink", lambda T, x: T.hardshrink(x, 0.3), (3, 4), domain="distinct")
row("hardshrink_method", "hardshrink", lambda T, x: x.hardshrink(), (3, 4), domain="distinct")
variants("threshold", lambda T, x, **kw: F(T).threshold(x, **kw), ((3, 4),), "distinct",
         {"": {"threshold": 0.2, "value": -3.0}, "above": {"threshold": -0.3, "value": 5.0}})
row("threshold_top_level", "threshold", lambda T, x: T.threshold(x, 0.2, 1.5), (3, 4), domain="distinct")
row("threshold_int", "threshold", lambda T, x: F(T).threshold(x, 1, 9), (6,), domain="int")
row("threshold_int_float", "threshold", lambda T, x: F(T).threshold(x, -0.5, 2.7), (6,), domain="int")
row("threshold_0d", "threshold", lambda T, x: F(T).threshold(x, 0.2, 0.0), (), domain="distinct")
row("F_threshold_inplace", "threshold_", lambda T, x: F(T).threshold(x.clone(), 0.2, 3.0, inplace=True), (3, 4),
    domain="distinct")
row("F_threshold_", "threshold_", lambda T, x: F(T).threshold_(x.clone(), -0.2, 3.0), (3, 4), domain="distinct")

# -- glu, softmax, log_softmax ---------------------------------------------------------------------------
row("glu", "glu", lambda T, x: F(T).glu(x), (3, 4))
row("glu_dim0", "glu", lambda T, x: F(T).glu(x, 0), (4, 3))
row("glu_1d", "glu", lambda T, x: F(T).glu(x, dim=-1), (6,))
for _op in ("softmax", "log_softmax"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(F(T), _op)(x, **kw), ((3, 4),), "any",
             {"": {"dim": 1}, "dim0": {"dim": 0}, "neg_dim": {"dim": -1}})
    row(f"{_op}_3d_mid", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x, 1), (2, 3, 2))
    row(f"{_op}_1d", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x, 0), (5,))
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x, 0), ())
    row(f"{_op}_wide", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x * 50, -1), (3, 4))
    row(f"{_op}_top_level", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 1), (3, 4))
    row(f"{_op}_method", _op, lambda T, x, _op=_op: getattr(x, _op)(dim=0), (3, 4))
    row(f"{_op}_dtype", _op, lambda T, x, _op=_op: getattr(F(T), _op)(x, 1, dtype=T.float64), (3, 4),
        dtypes=("float32",))
    row(f"{_op}_dtype_same", _op, lambda T, x, _op=_op: getattr(x, _op)(1, dtype=T.float64), (3, 4),
        dtypes=("float64",))
    row(f"{_op}_int_dtype", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 0, dtype=T.float32), (5,), domain="int")
row("softmin", "softmax", lambda T, x: F(T).softmin(x, 1), (3, 4))
row("softmin_dtype", "softmax", lambda T, x: F(T).softmin(x, 0, dtype=T.float64), (3, 4), dtypes=("float32",))

# -- normalize, cosine_similarity, pairwise_distance -----------------------------------------------------
variants("normalize", lambda T, x, **kw: F(T).normalize(x, **kw), ((3, 4),), "any",
         {"": {}, "dim0": {"dim": 0}, "p1": {"p": 1.0}, "p3": {"p": 3.0}, "p_half": {"p": 0.5}, "pinf": {"p": math.inf},
          "eps": {"eps": 10.0}, "dims": {"dim": (0, 1)}, "neg_dim": {"p": 4, "dim": -1}})
row("normalize_0d", "normalize", lambda T, x: F(T).normalize(x, dim=0), ())
row("cosine_similarity", "cosine_similarity", lambda T, x, y: F(T).cosine_similarity(x, y), (3, 4), (3, 4))
row("cosine_similarity_dim", "cosine_similarity", lambda T, x, y: T.cosine_similarity(x, y, dim=0, eps=1e-3),
    (3, 4), (3, 4))
row("cosine_similarity_broadcast", "cosine_similarity", lambda T, x, y: F(T).cosine_similarity(x, y, -1),
    (2, 1, 3), (4, 3))
row("cosine_similarity_0d", "cosine_similarity", lambda T, x, y: F(T).cosine_similarity(x, y, 0), (), ())
row("cosine_similarity_int", "cosine_similarity", lambda T, x, y: F(T).cosine_similarity(x, y), (2, 3), (2, 3),
    domain=("int", "any"))
row("cosine_similarity_one_grad", "cosine_similarity", lambda T, x, y: F(T).cosine_similarity(x, y), (3, 4), (3, 4),
    grad=(False, True))
# torch adds eps with a C++ scalar (AddBackward1) where ember records AddBackward0: composite
variants("pairwise_distance", lambda T, x, y, **kw: F(T).pairwise_distance(x, y, **kw), ((3, 4), (3, 4)), "any",
         {"": {}, "p1": {"p": 1.0}, "p3": {"p": 3}, "pinf": {"p": math.inf}, "pneg": {"p": -2.0},
          "keepdim": {"keepdim": True}, "eps": {"eps": 0.5}}, composite=True)
row("pairwise_distance_broadcast", "pairwise_distance", lambda T, x, y: T.pairwise_distance(x, y), (2, 1, 3), (4, 3),
    composite=True)
row("pairwise_distance_1d_2d", "pairwise_distance", lambda T, x, y: F(T).pairwise_distance(x, y), (3,), (4, 3),
    composite=True)
row("pairwise_distance_int", "pairwise_distance", lambda T, x, y: F(T).pairwise_distance(x, y), (2, 3), (2, 3),
    domain="int", composite=True)

# -- one_hot, pad ----------------------------------------------------------------------------------------
row("one_hot", "one_hot", lambda T, x: F(T).one_hot(x), (2, 3), domain="posint")
row("one_hot_classes", "one_hot", lambda T, x: F(T).one_hot(x, num_classes=7), (4,), domain="posint")
row("one_hot_0d", "one_hot", lambda T, x: F(T).one_hot(x, 6), (), domain="posint")
variants("pad", lambda T, x, **kw: F(T).pad(x, **kw), ((3, 4),), "any",
         {"": {"pad": (1, 2)}, "two_dims": {"pad": [1, 1, 2, 0]}, "value": {"pad": (0, 1, 1, 0), "value": 1.5},
          "negative": {"pad": (-1, 2, 1, -2)}, "zero": {"pad": (0, 0)}, "empty": {"pad": ()},
          "crop_all": {"pad": (-2, -2)}})
row("pad_3d_constant", "pad", lambda T, x: F(T).pad(x, (1, 0, 0, 1, 1, 1)), (2, 2, 3))
row("pad_0d", "pad", lambda T, x: F(T).pad(x, ()), ())
row("pad_int", "pad", lambda T, x: F(T).pad(x, (1, 1), value=2.7), (2, 3), domain="int")
row("pad_bool", "pad", lambda T, x: F(T).pad(x, (2, 1), value=1), (2, 3), domain="bool")
for _mode in ("reflect", "replicate"):
    row(f"pad_{_mode}_1d", "pad", lambda T, x, _mode=_mode: F(T).pad(x, (2, 3 if _mode == "reflect" else 5), _mode),
        (1, 2, 4))
    row(f"pad_{_mode}_1d_crop", "pad", lambda T, x, _mode=_mode: F(T).pad(x, (-1, 2), mode=_mode), (1, 2, 4))
    row(f"pad_{_mode}_1d_unbatched", "pad", lambda T, x, _mode=_mode: F(T).pad(x, (1, 1), _mode), (3, 4))
    row(f"pad_{_mode}_2d", "pad", lambda T, x, _mode=_mode: F(T).pad(x, (1, 2, 2, 0), mode=_mode), (1, 3, 4))
    row(f"pad_{_mode}_2d_unbatched", "pad", lambda T, x, _mode=_mode: F(T).pad(x, (0, 1, 1, -1), mode=_mode),
        (1, 3, 4))
    row(f"pad_{_mode}_3d", "pad", lambda T, x, _mode=_mode: F(T).pad(x, (1, 2, 1, 0, 1, 1), mode=_mode),
        (1, 1, 2, 2, 3))
    row(f"pad_{_mode}_int", "pad", lambda T, x, _mode=_mode: F(T).pad(x, (1, 1), mode=_mode), (1, 2, 3), domain="int")
# torch writes circular padding with slice copies (CopySlices on a graph of slices): composite
row("pad_circular_1d", "pad", lambda T, x: F(T).pad(x, (2, 1), mode="circular"), (1, 2, 4), composite=True)
row("pad_circular_1d_crop", "pad", lambda T, x: F(T).pad(x, (-1, 2), mode="circular"), (1, 2, 4), composite=True)
row("pad_circular_2d", "pad", lambda T, x: F(T).pad(x, (1, 3, 2, 1), mode="circular"), (1, 3, 4), composite=True)
row("pad_circular_3d", "pad", lambda T, x: F(T).pad(x, (1, 2, 0, 2, 1, 1), mode="circular"), (1, 1, 2, 2, 3),
    composite=True)
row("pad_circular_int", "pad", lambda T, x: F(T).pad(x, (3, 1), mode="circular"), (1, 2, 3), domain="int")
