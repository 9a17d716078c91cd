"""dtype objects, the default dtype, and torch's type-promotion rules."""
from __future__ import annotations

import builtins
from typing import Any

import numpy


class dtype:
    """A tensor element type, printed as torch prints it (``ember.float32``)."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize", "_category", "scalar_name",
                 "cpp_name")

    def __init__(self, name: str, np_dtype: Any, category: int, scalar_name: str, cpp_name: str) -> None:
        self.name = name
        # how torch's messages spell the type: ScalarType ("Float") and C++ ("float") names
        self.scalar_name, self.cpp_name = scalar_name, cpp_name
        self.numpy = numpy.dtype(np_dtype)
        self.is_floating_point = category == _FLOAT
        self.is_signed = name != "uint8" and name != "bool"
        self.itemsize = self.numpy.itemsize
        self._category = category

    @property
    def is_complex(self) -> bool:
        return False

    def to_real(self) -> dtype:
        return self

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickles as the module-level singleton


# Categories order the kinds of number: a higher category always wins a promotion.
_BOOL, _INT, _FLOAT = 0, 1, 2

bool = dtype("bool", numpy.bool_, _BOOL, "Bool", "bool")  # noqa: A001 - torch's public name
uint8 = dtype("uint8", numpy.uint8, _INT, "Byte", "unsigned char")
int8 = dtype("int8", numpy.int8, _INT, "Char", "signed char")
int16 = dtype("int16", numpy.int16, _INT, "Short", "short int")
int32 = dtype("int32", numpy.int32, _INT, "Int", "int")
int64 = dtype("int64", numpy.int64, _INT, "Long", "long int")
float16 = dtype("float16", numpy.float16, _FLOAT, "Half", "c10::Half")
float32 = dtype("float32", numpy.float32, _FLOAT, "Float", "float")
float64 = dtype("float64", numpy.float64, _FLOAT, "Double", "double")

# torch's aliases
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.numpy: d for d in ALL_DTYPES}


def from_numpy_dtype(np_dtype: Any) -> dtype:
    """The ember dtype of a NumPy dtype; TypeError for ones torch has no equivalent of."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        pass
    try:
        return _BY_NUMPY[numpy.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{numpy.dtype(np_dtype).name}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


class _DefaultDtype:
    value: dtype = float32


_default = _DefaultDtype()


def get_default_dtype() -> dtype:
    return _default.value


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default.value = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both ``a`` and ``b`` convert to safely."""
    if a is b:
        return a
    if a._category != b._category:
        # bool < int < float: the higher category wins; a float keeps its own width (float16 + int64 -> float16)
        hi, lo = (a, b) if a._category > b._category else (b, a)
        if hi._category == _FLOAT or lo._category == _BOOL:
            return hi
    return _BY_NUMPY[numpy.promote_types(a.numpy, b.numpy)]


def scalar_dtype(value: Any) -> dtype:
    """The dtype torch gives a Python number that stands alone (``tensor(3)`` is int64)."""
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, builtins.int):
        return int64
    return _default.value


def result_type(*operands: Any) -> dtype:
    """torch.result_type over tensors and Python scalars.

    Operands fall into three tiers by priority: tensors with dimensions, 0-d tensors, Python
    numbers. A lower tier changes the result only when it is of a higher category (bool < int <
    float); then a 0-d tensor brings its own dtype and a Python float the default dtype.
    """
    dim_result = zero_result = wrapped_result = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim:
                dim_result = d if dim_result is None else promote_types(dim_result, d)
            else:
                zero_result = d if zero_result is None else promote_types(zero_result, d)
        else:
            d = scalar_dtype(op)
            wrapped_result = d if wrapped_result is None else promote_types(wrapped_result, d)
    return _combine(dim_result, _combine(zero_result, wrapped_result))


def _combine(higher: dtype | None, lower: dtype | None) -> dtype:
    if higher is None:
        return lower  # type: ignore[return-value]
    if lower is None or higher._category >= lower._category and higher._category != _BOOL:
        return higher
    return promote_types(higher, lower)

