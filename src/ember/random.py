"""Random number generation that draws torch's CPU numbers: same seed, same values.

torch's CPU generator is a Mersenne Twister (MT19937, seeded with ``init_genrand`` from the seed's
low 32 bits) whose 32-bit outputs feed the samplers; ``random64`` joins two outputs, the first as
the high half. ember runs the same engine through NumPy's ``MT19937`` bit generator (vectorised
``random_raw``), keeps torch's cached second Box-Muller sample, and lays its state out byte for
byte like ``torch.get_rng_state()`` (5056 bytes), so states cross between the two libraries.

The samplers (``uniform_values``, ``normal_values`` ...) reproduce torch's kernels
(``ATen/native/cpu/DistributionTemplates.h``, ``ATen/core/DistributionsHelper.h``,
``ATen/core/TransformationHelper.h``) on NumPy arrays:

- ``uniform_(a, b)``: 24 random bits per float32/float16 (one output), 53 per float64 (two);
  ``x * (b - a) + a`` in one rounding where torch's build contracts it to an FMA (its AVX2 and
  ARM builds; not the x86 baseline build).
- ``normal_``: below 16 elements (or on a non-contiguous tensor) Box-Muller in double, one pair
  per two values, the second cached for the next call; from 16 elements on, uniforms for the whole
  tensor, Box-Muller on blocks of 16 (8 pairs: ``1 - u[j]`` and ``u[j + 8]``) and, when the size
  is not a multiple of 16, 16 fresh uniforms for the last 16 values. float32 runs torch's AVX2
  kernel (AVX512 machines too), whose log, sin and cos are Cephes polynomials (``avx_mathfun.h``):
  ember evaluates the same polynomials in float32 with the same fused multiply-adds, so the values
  are bit-identical. float64 uses libm's log, sin and cos, as NumPy does. Where torch runs its
  baseline kernel (no AVX2, or ``ATEN_CPU_CAPABILITY=default``) float32 calls libm's logf, sinf and
  cosf, which ember approximates by rounding float64 results: within a few ulps, not bit-identical.
- ``random_``, ``randint``: ``value % range + from`` from one output, or from ``random64`` once the
  range reaches 2**28; ``randperm``: the Fisher-Yates swaps torch makes (random() % (n - i)).
- ``bernoulli_``: ``u < p`` with a 53-bit uniform for a double ``p`` (or a number), 24-bit otherwise;
  ``exponential_``: ``-1 / lambd * log1p(-u)`` in double.
"""
from __future__ import annotations

import contextlib
import math
import os
import platform
from collections.abc import Iterator
from typing import Any

import numpy

from ember.backend import xp

_DEFAULT_SEED = 67280421310721  # the seed of a new torch.Generator()
_STATE_SIZE = 5056  # sizeof(CPUGeneratorImplState)
_N = 624  # MT19937 words
_U64 = numpy.uint64


def _check_seed(seed: Any) -> int:
    import operator  # noqa: PLC0415

    try:
        seed = operator.index(seed)
    except TypeError:
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}") from None
    if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFF_FFFF_FFFF_FFFF


def _nondeterministic_seed() -> int:
    """64 bits from the OS, as torch's ``getNonDeterministicRandom`` reads /dev/urandom."""
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """A source of random numbers: torch's CPU generator (an MT19937 engine), seeded with ``manual_seed``."""

    def __init__(self, device: Any = "cpu") -> None:
        from ember.backend import device as _device  # noqa: PLC0415

        _device(device)
        self._mt = numpy.random.MT19937(0)
        self._reset(_DEFAULT_SEED)

    def _reset(self, seed: int) -> None:
        self._seed = seed
        self._mt._legacy_seeding(seed & 0xFFFF_FFFF)  # init_genrand(low 32 bits), then a full twist on first use
        self._fresh = True  # torch's `next_` field reads 0 until the first draw
        self._normal_double: float | None = None  # the cached second Box-Muller sample
        self._normal_float: float | None = None  # kept for the state bytes (no CPU kernel sets it)

    @property
    def device(self) -> Any:
        from ember.backend import device  # noqa: PLC0415

        return device("cpu")

    def manual_seed(self, seed: int) -> Generator:
        self._reset(_check_seed(seed))
        return self

    def seed(self) -> int:
        new = _nondeterministic_seed()
        self._reset(new)
        return new

    def initial_seed(self) -> int:
        return self._seed

    # -- raw bits --------------------------------------------------------------------------
    def _raw32(self, n: int) -> numpy.ndarray:
        """The next ``n`` 32-bit outputs (as uint64)."""
        if n <= 0:
            return numpy.empty(0, _U64)
        self._fresh = False
        return self._mt.random_raw(n)

    def _raw64(self, n: int) -> numpy.ndarray:
        """The next ``n`` ``random64()`` values: two outputs each, the first the high half."""
        r = self._raw32(2 * n)
        return (r[0::2] << _U64(32)) | r[1::2]

    # -- state -----------------------------------------------------------------------------
    def get_state(self) -> Any:
        """The state as torch lays it out: a uint8 tensor of 5056 bytes (``CPUGeneratorImplState``)."""
        from ember.tensor import Tensor  # noqa: PLC0415

        st = self._mt.state["state"]
        pos = int(st["pos"])
        buf = numpy.zeros(_STATE_SIZE, numpy.uint8)
        buf[0:8] = numpy.frombuffer(numpy.uint64(self._seed).tobytes(), numpy.uint8)
        left, nxt = 625 - pos, (0 if self._fresh else pos)
        buf[8:16] = numpy.frombuffer(numpy.array([left, 1], numpy.int32).tobytes(), numpy.uint8)
        buf[16:24] = numpy.frombuffer(numpy.uint64(nxt).tobytes(), numpy.uint8)
        buf[24:24 + 8 * _N] = numpy.frombuffer(numpy.asarray(st["key"], _U64).tobytes(), numpy.uint8)
        if self._normal_double is not None:
            buf[5024:5032] = numpy.frombuffer(numpy.float64(self._normal_double).tobytes(), numpy.uint8)
            buf[5040:5044] = numpy.frombuffer(numpy.int32(1).tobytes(), numpy.uint8)
        if self._normal_float is not None:
            buf[5048:5052] = numpy.frombuffer(numpy.float32(self._normal_float).tobytes(), numpy.uint8)
            buf[5052] = 1
        return Tensor._make(buf)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from ``get_state`` (ember's or torch's: the bytes are the same)."""
        from ember.tensor import Tensor  # noqa: PLC0415

        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        raw = new_state._data
        if raw.dtype != numpy.uint8:
            raise TypeError(f"RNG state must be a torch.ByteTensor, but got {_type_name(raw.dtype)}")
        if raw.size != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input RNG "
                               f"state size to be {raw.size}")
        b = numpy.ascontiguousarray(raw).reshape(-1).tobytes()
        seed = int(numpy.frombuffer(b, _U64, 1, 0)[0])
        left, seeded = (int(v) for v in numpy.frombuffer(b, numpy.int32, 2, 8))
        nxt = int(numpy.frombuffer(b, _U64, 1, 16)[0]) & 0xFFFF_FFFF  # torch keeps it as uint32
        key = numpy.frombuffer(b, _U64, _N, 24).astype(numpy.uint32)  # std::copy to uint32: the low halves
        if not (seeded != 0 and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        # torch reads state[next] for the next `left - 1` draws, then twists; NumPy reads key[pos]
        # until pos reaches 624. States torch writes keep next == 625 - left (or 0 before the first draw).
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 625 - left}}
        self._seed = seed
        self._fresh = left == 1 and nxt == 0
        normal_valid = int(numpy.frombuffer(b, numpy.int32, 1, 5040)[0])
        self._normal_double = float(numpy.frombuffer(b, numpy.float64, 1, 5024)[0]) if normal_valid else None
        self._normal_float = float(numpy.frombuffer(b, numpy.float32, 1, 5048)[0]) if b[5052] else None
        return self


def _type_name(np_dtype: Any) -> str:
    names = {"uint8": "torch.ByteTensor", "int8": "torch.CharTensor", "int16": "torch.ShortTensor",
             "int32": "torch.IntTensor", "int64": "torch.LongTensor", "float16": "torch.HalfTensor",
             "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "bool": "torch.BoolTensor"}
    return names.get(numpy.dtype(np_dtype).name, str(np_dtype))


default_generator = Generator()
default_generator.manual_seed(_nondeterministic_seed())  # torch seeds its default generator from the OS


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the default generator with a non-deterministic 64-bit number; returns it."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, **_: Any) -> Iterator[None]:
    """Run a block (or, as a decorator, a function) and restore the default generator's state after."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def generator_or_default(generator: Any) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, but got {type(generator).__name__}")
    return generator


# == float arithmetic as torch's kernels do it ============================================
_F32, _F64 = numpy.float32, numpy.float64
_MID29, _LOW29 = numpy.int64(0x1000_0000), numpy.int64(0x1FFF_FFFF)


def _round_odd_sum(a: numpy.ndarray, b: numpy.ndarray) -> numpy.ndarray:
    """``a + b`` in float64, rounded to odd (exact sum kept sticky in the last bit)."""
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    si = s.view(numpy.int64)
    fix = (err != 0) & ((si & 1) == 0)
    if fix.any():
        si = si.copy()
        si[fix] += numpy.where((err[fix] > 0) == (s[fix] > 0), 1, -1)
        s = si.view(numpy.float64)
    return s


def _fma32_exact(a: Any, b: Any, c: Any) -> numpy.ndarray:
    """float32 ``fma(a, b, c)``: the product is exact in float64, the sum rounded to odd then to float32."""
    a, b, c = numpy.broadcast_arrays(numpy.asarray(a, _F64), numpy.asarray(b, _F64), numpy.asarray(c, _F64))
    return _round_odd_sum(a * b, c).astype(_F32)


class _Fma32:
    """float32 ``fma(a, b, c)`` via float64, where the product is exact: right but for a sum that
    lands on a float32 tie once rounded to float64 (double rounding); those few lanes are redone
    exactly. ``exact=True``: every lane rounds exactly (slower)."""

    def __init__(self, exact: bool = False) -> None:
        self.exact = exact

    def __call__(self, a: numpy.ndarray, b: Any, c: Any) -> numpy.ndarray:
        if self.exact:
            return _fma32_exact(a, b, c)
        s = a.astype(_F64)
        s *= b
        s += c
        out = s.astype(_F32)
        low = s.view(numpy.int64)
        low &= _LOW29  # s is spent: its low 29 bits say whether it sits on a float32 tie
        tie = low == _MID29
        if tie.any():
            idx = numpy.flatnonzero(tie)
            a, b, c = numpy.broadcast_arrays(a, b, c)
            out.flat[idx] = _fma32_exact(a.flat[idx], b.flat[idx], c.flat[idx])
        return out


def _two_prod(a: numpy.ndarray, b: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    p = a * b
    split = 134217729.0  # 2**27 + 1 (Veltkamp)
    ta, tb = a * split, b * split
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _two_sum(a: numpy.ndarray, b: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fma64(a: Any, b: Any, c: Any) -> numpy.ndarray:
    """float64 ``fma(a, b, c)``, correctly rounded (Boldo-Melquiond: the three-term sum via round-to-odd)."""
    a, b, c = numpy.broadcast_arrays(numpy.asarray(a, _F64), numpy.asarray(b, _F64), numpy.asarray(c, _F64))
    p, e = _two_prod(a, b)
    uh, ul = _two_sum(p, e)
    th, tl = _two_sum(c, uh)
    with numpy.errstate(all="ignore"):
        out = th + _round_odd_sum(tl, ul)
    exact = p + c  # products that overflow the split, infinities and nans: the plain result
    bad = ~numpy.isfinite(out)
    return numpy.where(bad, exact, out) if bad.any() else out


# -- torch's AVX2 float32 log and sincos (Cephes polynomials, avx_mathfun.h), with its FMAs --
_SQRTHF = _F32(0.707106781186547524)
_LOGP = [_F32(v) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                           1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                           3.3333331174E-1)]
_LOGQ1, _LOGQ2 = _F32(-2.12194440e-4), _F32(0.693359375)
_DP1, _DP2, _DP3 = _F32(-0.78515625), _F32(-2.4187564849853515625e-4), _F32(-3.77489497744594108e-8)
_SIN = [_F32(v) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1)]
_COS = [_F32(v) for v in (2.443315711809948E-005, -1.388731625493765E-003, 4.166664568298827E-002)]
_FOPI = _F32(1.27323954473516)
_ONE, _HALF, _ZERO = _F32(1), _F32(0.5), _F32(0)


def _avx_log(u: numpy.ndarray, fma: _Fma32) -> numpy.ndarray:
    """``log256_ps`` for u in (0, 1] (float32)."""
    bits = numpy.maximum(u, _F32(1.1754944e-38)).view(numpy.int32)
    e = ((bits >> 23) - 126).astype(_F32)  # exponent + 1
    x = ((bits & ~0x7F80_0000) | 0x3F00_0000).view(_F32)  # mantissa in [0.5, 1)
    small = x < _SQRTHF
    e -= small  # e - (1 if x < sqrt(1/2))
    x = (x - _ONE) + numpy.where(small, x, _ZERO)
    z = x * x
    y = numpy.full_like(x, _LOGP[0])
    for p in _LOGP[1:]:
        y = fma(y, x, p)
    y *= x
    y = fma(y, z, e * _LOGQ1)  # y * z + e * q1, fused
    y -= z * _HALF  # fused in torch, but z * 0.5 is exact: the same value
    return (x + y) + e * _LOGQ2  # fused too; e * q2 is exact (5 bits times 9)


def _avx_sincos(theta: numpy.ndarray, fma: _Fma32) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``sincos256_ps`` for theta >= 0 (float32)."""
    j = (theta * _FOPI).astype(numpy.int32)
    j += 1
    j &= ~1
    y = j.astype(_F32)
    x = theta + y * _DP1  # fused in torch; y (0, 2, 4, 6 or 8) times DP1 or DP2 is exact
    x += y * _DP2
    x = fma(y, _DP3, x)
    sign_sin = (j & 4) << 29
    sign_cos = (~(j - 2) & 4) << 29
    poly = (j & 2) == 0
    z = x * x
    yc = fma(numpy.full_like(z, _COS[0]), z, _COS[1])
    yc = fma(yc, z, _COS[2])
    yc *= z
    yc = fma(yc, z, -(z * _HALF))  # y * z - z * 0.5, fused
    yc += _ONE
    ys = fma(numpy.full_like(z, _SIN[0]), z, _SIN[1])
    ys = fma(ys, z, _SIN[2])
    ys *= z
    ys = fma(ys, x, x)
    s = numpy.where(poly, ys, yc) + _ZERO  # the kernel adds the masked-off half (+0)
    c = numpy.where(poly, yc, ys) + _ZERO
    s = (s.view(numpy.int32) ^ sign_sin).view(_F32)
    c = (c.view(numpy.int32) ^ sign_cos).view(_F32)
    return s, c


def _torch_cpu_kernels() -> str:
    """Which of torch's CPU kernel builds runs here: "avx2" (x86 with AVX2 and FMA: the AVX2 build,
    which AVX512 machines use for ``normal_`` too), "x86" (x86 without: the baseline build, with no
    FMA contraction), or "other" (ARM ...: a build whose compiler contracts ``a * b + c``)."""
    x86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
    cap = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if cap in ("default", "avx", "zvector", "vsx", "sve256"):
        return "x86" if x86 else "other"
    if not x86:
        return "other"
    import importlib  # noqa: PLC0415

    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # NumPy 2, NumPy 1
        try:
            feats = importlib.import_module(module).__cpu_features__
        except (ImportError, AttributeError):
            continue
        return "avx2" if feats.get("AVX2") and feats.get("FMA3") else "x86"
    return "avx2"


_KERNELS = _torch_cpu_kernels()
_AVX2 = _KERNELS == "avx2"  # float32 normal_: the AVX2 Cephes kernel (else libm's logf, sinf, cosf)
_CONTRACTED = _KERNELS != "x86"  # scalar `x * (to - from) + from`, `val * std + mean`: one rounding
_TWO_PI_F = _F32(2 * numpy.pi)
_TWO_PI = 2 * numpy.pi


_CHUNK = 16384  # blocks of 16 per pass: keeps the float64 temporaries in cache


def _box_muller16_f32(u: numpy.ndarray, mean: float, std: float) -> numpy.ndarray:
    """torch's ``NormalFill16<float>`` on whole blocks: ``u`` is (blocks, 16) float32 uniforms."""
    if len(u) > _CHUNK:
        return numpy.concatenate([_box_muller16_f32(u[i:i + _CHUNK], mean, std) for i in range(0, len(u), _CHUNK)])
    mean32, std32 = _F32(mean), _F32(std)
    u1 = _ONE - u[:, :8]
    u2 = u[:, 8:]
    if _AVX2:
        fma = _Fma32()
        radius = numpy.sqrt(_avx_log(u1, fma) * _F32(-2))
        s, c = _avx_sincos(_TWO_PI_F * u2, fma)
    else:  # torch's scalar kernel: libm logf / cosf / sinf, approximated by rounding float64 results
        radius = numpy.sqrt(_F32(-2) * numpy.log(u1.astype(_F64)).astype(_F32))
        theta = (_TWO_PI * u2.astype(_F64)).astype(_F32).astype(_F64)
        s, c = numpy.sin(theta).astype(_F32), numpy.cos(theta).astype(_F32)
    out = numpy.empty(u.shape, _F32)
    if std32 == 1:  # fma(n, 1, mean) = n + mean, one rounding either way
        numpy.add(radius * c, mean32, out=out[:, :8])
        numpy.add(radius * s, mean32, out=out[:, 8:])
    else:
        out[:, :8] = _fma32_exact(radius * c, std32, mean32)
        out[:, 8:] = _fma32_exact(radius * s, std32, mean32)
    return out


def _box_muller16_f64(u: numpy.ndarray, mean: float, std: float) -> numpy.ndarray:
    """torch's ``NormalFill16<double>``: libm log, sin, cos (NumPy's agree) and one fma."""
    radius = numpy.sqrt(-2.0 * numpy.log(1.0 - u[:, :8]))
    theta = _TWO_PI * u[:, 8:]
    n1, n2 = radius * numpy.cos(theta), radius * numpy.sin(theta)
    out = numpy.empty(u.shape, _F64)
    if std == 1:
        out[:, :8], out[:, 8:] = n1 + mean, n2 + mean
    else:
        out[:, :8], out[:, 8:] = _fma64(n1, std, mean), _fma64(n2, std, mean)
    return out


# == the samplers =========================================================================
def _uniform_f32(raw: numpy.ndarray) -> numpy.ndarray:
    """24 random bits per output, as float32 in [0, 1)."""
    bits = raw.astype(numpy.int32)  # the outputs fit 32 bits; the low 24 survive the wrap
    bits &= 0xFF_FFFF
    out = bits.astype(_F32)
    out *= _F32(2.0 ** -24)
    return out


def _uniform_f64(raw: numpy.ndarray) -> numpy.ndarray:
    """53 random bits per random64 value, as float64 in [0, 1)."""
    bits = raw & _U64((1 << 53) - 1)
    out = bits.view(numpy.int64).astype(_F64)  # (int64 converts faster than uint64)
    out *= 2.0 ** -53
    return out


def _to_half(values: numpy.ndarray) -> numpy.ndarray:
    """torch's ``static_cast<Half>``: through float."""
    return values.astype(_F32).astype(numpy.float16)


def _cast(values: numpy.ndarray, np_dtype: Any) -> numpy.ndarray:
    np_dtype = numpy.dtype(np_dtype)
    if np_dtype == numpy.float16:
        return _to_half(values)
    return values.astype(np_dtype, copy=False)


def uniform_values(gen: Generator, n: int, np_dtype: Any, low: float, high: float) -> numpy.ndarray:
    """``n`` values of ``uniform_(low, high)`` in torch's order (float dtypes only)."""
    np_dtype = numpy.dtype(np_dtype)
    if np_dtype == numpy.float64:
        x = _uniform_f64(gen._raw64(n))
        if low == 0 and high == 1:
            return x
        return _fma64(x, high - low, low) if _CONTRACTED else x * (high - low) + low  # x * (to - from) + from
    lo, hi = _F32(low), _F32(high)
    x = _uniform_f32(gen._raw32(n))
    if not (low == 0 and high == 1):
        x = _fma32_exact(x, hi - lo, lo) if _CONTRACTED else x * (hi - lo) + lo
    if np_dtype == numpy.float16:
        out = x.astype(numpy.float16)
        lo16, hi16 = _to_half(numpy.asarray(low, _F64)), _to_half(numpy.asarray(high, _F64))
        return numpy.where(out == hi16, lo16, out)
    return numpy.where(x == hi, lo, x) if not (low == 0 and high == 1) else x


def normal_values(gen: Generator, n: int, np_dtype: Any, mean: float = 0.0, std: float = 1.0,
                  contiguous: bool = True) -> numpy.ndarray:
    """``n`` values of ``normal_(mean, std)`` in torch's order."""
    np_dtype = numpy.dtype(np_dtype)
    if n <= 0:
        return numpy.empty(0, np_dtype)
    if n < 16 or not contiguous:
        return _cast(_normal_serial(gen, n, mean, std), np_dtype)
    blocks = n // 16
    if np_dtype == numpy.float64:
        u = _uniform_f64(gen._raw64(n))
        out = _box_muller16_f64(u[:blocks * 16].reshape(blocks, 16), mean, std).reshape(-1)
        if n % 16:
            out = numpy.concatenate([out, u[blocks * 16:]])
            out[n - 16:] = _box_muller16_f64(_uniform_f64(gen._raw64(16)).reshape(1, 16), mean, std)[0]
        return out
    # float32 and float16 (whose kernel works in float): the half kernel draws 16 uniforms per block
    # only, the float kernel fills all n first (the tail's draws are then overwritten)
    u = _uniform_f32(gen._raw32(n if np_dtype == numpy.float32 else blocks * 16))
    out = _box_muller16_f32(u[:blocks * 16].reshape(blocks, 16), mean, std).reshape(-1)
    if n % 16:
        out = numpy.concatenate([out, u[blocks * 16:n]]) if np_dtype == numpy.float32 else \
            numpy.concatenate([out, numpy.zeros(n - blocks * 16, _F32)])
        out[n - 16:] = _box_muller16_f32(_uniform_f32(gen._raw32(16)).reshape(1, 16), mean, std)[0]
    return out if np_dtype == numpy.float32 else out.astype(numpy.float16)


def _normal_serial_small(gen: Generator, n: int) -> list[float]:
    """``_normal_serial`` for a few values with mean 0, std 1: Python's math (the same libm torch
    calls) on Python floats, which beats NumPy's per-call cost at this size."""
    values: list[float] = []
    if gen._normal_double is not None:
        values.append(gen._normal_double)
        gen._normal_double = None
    m = n - len(values)
    if m > 0:
        raw = gen._raw32(4 * ((m + 1) // 2)).tolist()
        for k in range(0, len(raw), 4):  # one pair: random64 = (first << 32) | second, twice
            u1 = (((raw[k] << 32) | raw[k + 1]) & _MASK53) * _EPS53
            u2 = (((raw[k + 2] << 32) | raw[k + 3]) & _MASK53) * _EPS53
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = _TWO_PI * u1
            values.append(r * math.cos(theta))
            if len(values) < n:
                values.append(r * math.sin(theta))
            else:
                gen._normal_double = r * math.sin(theta)
    return values


_MASK53, _EPS53 = (1 << 53) - 1, 2.0 ** -53


def _normal_serial(gen: Generator, n: int, mean: float, std: float) -> numpy.ndarray:
    """``at::normal_distribution<double>`` called n times: cos then the cached sin of each pair."""
    if n <= 8 and std == 1:
        out = numpy.array(_normal_serial_small(gen, n), _F64)
        return out + mean if mean else out
    out = numpy.empty(n, _F64)
    start = 0
    if gen._normal_double is not None:
        out[0] = gen._normal_double
        gen._normal_double = None
        start = 1
    m = n - start
    if m:
        pairs = (m + 1) // 2
        u = _uniform_f64(gen._raw64(2 * pairs))
        u1, u2 = u[0::2], u[1::2]
        r = numpy.sqrt(-2.0 * numpy.log1p(-u2))
        theta = _TWO_PI * u1
        both = numpy.empty((pairs, 2), _F64)
        both[:, 0] = r * numpy.cos(theta)
        both[:, 1] = r * numpy.sin(theta)
        flat = both.reshape(-1)
        out[start:] = flat[:m]
        if m % 2:
            gen._normal_double = float(flat[-1])
    if std == 1:
        return out + mean
    return _fma64(out, std, mean) if _CONTRACTED else out * std + mean  # val * std + mean


def bernoulli_values(gen: Generator, n: int, p: Any, double_p: bool = True) -> numpy.ndarray:
    """``n`` draws of ``u < p`` (bool): 53-bit uniforms for a double ``p``, 24-bit otherwise."""
    if double_p:
        return _uniform_f64(gen._raw64(n)) < numpy.asarray(p, _F64)
    return _uniform_f32(gen._raw32(n)) < numpy.asarray(p, _F32)


def exponential_values(gen: Generator, n: int, np_dtype: Any, lambd: float) -> numpy.ndarray:
    """``n`` values of ``exponential_(lambd)``: ``-1 / lambd * log1p(-u)`` in double."""
    u = _uniform_f64(gen._raw64(n))
    return _cast((-1.0 / lambd) * numpy.log1p(-u), np_dtype)


def random_values(gen: Generator, n: int, np_dtype: Any, base: int, range_: int | None) -> numpy.ndarray:
    """``n`` values of torch's ``uniform_int_from_to_distribution(range, base)`` cast to the dtype;
    ``range_ is None``: the full 64-bit range (``random64`` as int64)."""
    if range_ is None:
        v = gen._raw64(n).view(numpy.int64)
    else:
        raw = gen._raw64(n) if range_ >= 1 << 28 else gen._raw32(n)
        v = (raw % _U64(range_)).view(numpy.int64) + numpy.int64(base)  # wraps like torch's uint64 sum
    return _int_to_dtype(v, np_dtype)


def random_default_values(gen: Generator, n: int, np_dtype: Any) -> numpy.ndarray:
    """``n`` values of ``random_()`` with no bounds: ``[0, 2**mantissa]`` for floats, ``[0, max]`` for ints."""
    d = numpy.dtype(np_dtype)
    if d == numpy.bool_:
        return (gen._raw32(n) & _U64(1)).astype(numpy.bool_)
    if d == numpy.int64:
        return (gen._raw64(n) % _U64(1 << 63)).astype(numpy.int64)
    if d == numpy.float64:
        return (gen._raw64(n) % _U64((1 << 53) + 1)).astype(_F64)
    if d.kind == "f":
        digits = 24 if d == numpy.float32 else 11
        return _cast(gen._raw32(n) % _U64((1 << digits) + 1), d)
    return (gen._raw32(n) % _U64(int(numpy.iinfo(d).max) + 1)).astype(d)


def _int_to_dtype(v: numpy.ndarray, np_dtype: Any) -> numpy.ndarray:
    """``static_cast<scalar_t>(int64)``: wrap for integers, nonzero for bool, round for floats."""
    d = numpy.dtype(np_dtype)
    if d == numpy.bool_:
        return v != 0
    if d == numpy.float16:
        return v.astype(_F32).astype(numpy.float16)
    return v.astype(d)


def randperm_values(gen: Generator, n: int) -> numpy.ndarray:
    """torch's ``randperm_cpu``: Fisher-Yates swaps of positions i and i + random() % (n - i)."""
    if n < 0xFFFF_FFFF // 20:
        if n <= 1:
            return numpy.arange(n, dtype=numpy.int64)
        steps = numpy.arange(n - 1, dtype=numpy.int64)
        targets = (gen._raw32(n - 1) % (n - steps).astype(_U64)).astype(numpy.int64) + steps
        if n > 256:
            return _apply_swaps(targets, n)
        perm = list(range(n))
        for i, j in enumerate(targets.tolist()):
            perm[i], perm[j] = perm[j], perm[i]
        return numpy.array(perm, dtype=numpy.int64)
    # n >= 2**32 / 20: torch's inside-out variant, with random64
    picks = (gen._raw64(n) % (numpy.arange(n, dtype=_U64) + _U64(1))).astype(numpy.int64).tolist()
    out = [0] * n
    for i, z in enumerate(picks):
        out[i] = out[z]
        out[z] = i
    return numpy.array(out, dtype=numpy.int64)


def visiting_order(arr: numpy.ndarray) -> list[int]:
    """The axes in the order torch's TensorIterator visits an output (outermost first): by
    decreasing stride, so memory order; C order for a contiguous tensor."""
    if arr.flags.c_contiguous:
        return list(range(arr.ndim))
    return sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d]) if arr.shape[d] > 1 else 0)


def _apply_swaps(targets: numpy.ndarray, n: int) -> numpy.ndarray:
    """``range(n)`` after swapping positions ``i`` and ``targets[i] >= i`` for i = 0, 1, ... in turn,
    without a loop. Position i is final after step i, holding what sat at ``targets[i]`` then: the
    value the last earlier step aiming there brought (the value at that step's own position at its
    time), or, untouched, the original ``targets[i]``. "The value at position i at time i" follows
    the chain of last-steps-aiming-at-i back to a position never aimed at, found by pointer jumping."""
    idx = numpy.arange(n, dtype=numpy.int64)
    aim = numpy.concatenate([targets, [n - 1]])  # the last position as a last, empty step
    keyed = numpy.sort((aim << 32) | idx)  # steps grouped by the position they aim at, in step order
    step, pos = keyed & 0xFFFF_FFFF, keyed >> 32
    same = pos[1:] == pos[:-1]
    before = numpy.full(n, -1, numpy.int64)  # the previous step aiming at the same position
    before[step[1:][same]] = step[:-1][same]
    last = numpy.ones(n, bool)
    last[:-1] = ~same
    at, k = pos[last], step[last]
    into = numpy.full(n, -1, numpy.int64)  # the last step before step i that moved a value into position i
    into[at] = numpy.where(k < at, k, before[k])
    root = numpy.where(into < 0, idx, into)
    while True:
        hop = root[root]
        if (hop == root).all():
            break
        root = hop
    moved = numpy.where(before >= 0, root[before], aim)
    return numpy.where(aim == idx, root, moved)


def fill_in_order(arr: numpy.ndarray, values: numpy.ndarray) -> None:
    """Write ``values`` (flat, in visiting order) into ``arr``."""
    view = xp.transpose(arr, visiting_order(arr))
    view[...] = values.reshape(view.shape)


# == argument checks shared by the creation functions and the in-place samplers ==========
_FLOAT_DIGITS = {"float16": 11, "float32": 24, "float64": 53}
_FLOAT_MAX = {"float16": 65504.0, "float32": float(numpy.finfo(numpy.float32).max),
              "float64": float(numpy.finfo(numpy.float64).max)}
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def cpp_double(x: float) -> str:
    """A double as C++'s ``operator<<`` prints it (6 significant digits)."""
    text = f"{x:g}"
    return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(text, text)


def _to_float_dtype(value: int, name: str) -> int:
    """``static_cast<int64_t>(static_cast<scalar_t>(value))`` for a float dtype."""
    v: Any = numpy.float64(value) if name == "float64" else numpy.float32(value)
    if name == "float16":
        v = numpy.float16(v)
    f = float(v)
    return int(f) if abs(f) < 2.0 ** 63 else (_INT64_MIN if f < 0 else _INT64_MAX)


def _update_from(value: int, name: str) -> int:
    plus_1 = _to_float_dtype(value + 1, name)
    if plus_1 < value:
        n = abs(value + 1).bit_length() - 1
        value = plus_1 + (1 << (n - _FLOAT_DIGITS[name] + 1))
    return value


def _update_to(value: int, name: str) -> int:
    minus_1 = _to_float_dtype(value - 1, name)
    if minus_1 >= value:
        n = abs(value - 1).bit_length() - 1
        value = minus_1 - (1 << (n - _FLOAT_DIGITS[name] + 1))
    return value


def _check_in_range(from_: int, to_inc: int, d: Any) -> None:
    if d.is_floating_point:
        lo, hi = -_FLOAT_MAX[d.name], _FLOAT_MAX[d.name]
    elif d.name == "bool":
        lo, hi = 0, 1
    else:
        info = numpy.iinfo(d.numpy)
        lo, hi = int(info.min), int(info.max)
    for value, label in ((from_, "from"), (to_inc, "to - 1")):
        if not lo <= value <= hi:
            raise RuntimeError(f"{label} is out of bounds for {d.cpp_name}")
    if d.is_floating_point:
        import warnings  # noqa: PLC0415

        digits = _FLOAT_DIGITS[d.name]
        for value, label in ((from_, "from"), (to_inc, "to - 1")):
            if value < -(1 << digits) or value > (1 << digits):
                warnings.warn(
                    f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations {d.cpp_name} "
                    "can support discrete uniform distribution only within this range. This warning will become an "
                    "error in version 1.7 release, please fix the code in advance", UserWarning, stacklevel=4)


def random_bounds(d: Any, from_: int, to: int | None) -> tuple[int, int | None]:
    """torch's ``random_from_to_impl`` checks for ``random_(from, to)`` on dtype ``d``: the
    ``(base, range)`` its kernel draws with (range None: the full 64-bit range)."""
    if not (_INT64_MIN <= from_ <= _INT64_MAX and (to is None or _INT64_MIN <= to <= _INT64_MAX)):
        raise RuntimeError("Overflow when unpacking long")
    if to is not None:
        if not from_ < to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
        if d.is_floating_point:
            from_, to = _update_from(from_, d.name), _update_to(to, d.name)
            if not from_ < to:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but "
                                   f"got from={from_} >= to={to}")
        _check_in_range(from_, to - 1, d)
        return from_, (to - from_) & 0xFFFF_FFFF_FFFF_FFFF
    if from_ != _INT64_MIN:
        if d.is_floating_point:
            to_inc = min(1 << _FLOAT_DIGITS[d.name], _INT64_MAX)
            from_ = _update_from(from_, d.name)
            if not from_ < to_inc:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted "
                                   f"to dtype, but got from={from_} > to_inc={to_inc}")
        elif d.name == "bool":
            to_inc = 1
        else:
            to_inc = int(numpy.iinfo(d.numpy).max)
        _check_in_range(from_, to_inc, d)
        return from_, (to_inc - from_ + 1) & 0xFFFF_FFFF_FFFF_FFFF
    if d.name in ("float16", "bool"):  # outside the kernel's dispatch
        raise NotImplementedError(f'"random_full_64_bits_range_kernel_cpu" not implemented for \'{d.scalar_name}\'')
    if d.name not in ("int64", "float64", "float32"):
        raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
    return from_, None
