"""ember: PyTorch's tensor and autograd API, in Python on NumPy.

``import ember as torch`` and torch code runs unchanged. This module only re-exports.
"""
from __future__ import annotations

from ember import autograd, dtypes, linalg, nn, optim, return_types, serialization, utils
from ember._tensor_str import get_printoptions, printoptions, set_printoptions
from ember.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.backend import device
from ember.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    normal,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from ember.dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from ember.ops import *  # noqa: F403
from ember.ops import __all__ as _ops_all
from ember.random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ember.serialization import load, save
from ember.tensor import Size, Tensor

__version__ = "0.1.0"

dtype = dtypes.dtype

__all__ = [
    "Generator", "Size", "Tensor", "arange", "as_tensor", "autograd", "bool", "default_generator", "device",
    "double", "dtype", "empty", "empty_like", "enable_grad", "eye", "float", "float16", "float32", "float64",
    "from_numpy", "full", "full_like", "get_default_dtype", "get_printoptions", "get_rng_state", "half",
    "inference_mode", "initial_seed", "int", "int16", "int32", "int64", "int8", "is_grad_enabled",
    "is_inference_mode_enabled", "is_tensor", "linalg", "linspace", "logspace", "long", "manual_seed", "nn",
    "no_grad", "normal", "numel", "ones", "ones_like", "optim", "printoptions", "promote_types", "rand",
    "randint", "randn", "randperm", "result_type", "return_types", "seed", "set_default_dtype",
    "save", "load", "serialization",
    "set_grad_enabled", "set_printoptions", "set_rng_state", "short", "tensor", "uint8", "utils", "zeros",
    "zeros_like", *_ops_all,
]


def is_tensor(obj: object) -> bool:  # noqa: F811 (bool is the dtype here; annotations are strings)
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:  # noqa: F811
    return input.numel()
