"""Spatial functions and layers against torch: interpolate (every mode; values bit-equal to torch's
for nearest, nearest-exact, linear and trilinear; bicubic and bilinear within 2 ulp),
grid_sample / affine_grid, unfold / fold, pixel and channel shuffles; their gradients, grad_fn
names, errors and warnings, and the modules' reprs. gradcheck in float64 on tiny sizes."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from helpers import assert_same, check_against_torch, grad_fn_name, same_error_calls

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(7)


def _x(*shape: int, dtype: Any = np.float32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


# -- interpolate --------------------------------------------------------------------------------------------
EXACT = {1: ["nearest", "nearest-exact", "linear"], 2: ["nearest", "nearest-exact", "nearest"],
         3: ["nearest", "nearest-exact", "trilinear"]}


@settings(max_examples=60, deadline=None)
@given(nd=st.sampled_from([1, 2, 3]), pick=st.integers(0, 2), data=st.data(), f64=st.booleans(),
       align=st.booleans(), by_scale=st.booleans())
def test_interpolate_values_bit_equal(nd, pick, data, f64, align, by_scale):
    """torch's indices, weights and fused multiply-adds: the same bits."""
    mode = EXACT[nd][pick]
    ins = data.draw(st.lists(st.integers(1, 7), min_size=nd, max_size=nd))
    kw: dict[str, Any] = {"align_corners": align} if mode not in ("nearest", "nearest-exact") else {}
    if by_scale:
        scales = data.draw(st.lists(st.sampled_from([0.5, 0.77, 1.5, 2.0, 2.7, 3.0]), min_size=nd, max_size=nd))
        if any(int(i * s) == 0 for i, s in zip(ins, scales)):
            return
        kw.update(scale_factor=scales, recompute_scale_factor=data.draw(st.sampled_from([None, True, False])))
    else:
        kw["size"] = data.draw(st.lists(st.integers(1, 11), min_size=nd, max_size=nd))
    x = _x(2, 3, *ins, dtype=np.float64 if f64 else np.float32)
    e = EF.interpolate(ember.tensor(x), mode=mode, **kw).numpy()
    t = TF.interpolate(torch.from_numpy(x), mode=mode, **kw).numpy()
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 5), dict(size=9, mode="linear")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="linear", align_corners=True)),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 4, 5), dict(size=(7, 3), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(size=(7, 9), mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=(0.5, 1.5), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(size=(70, 80), mode="bilinear")),
    ((2, 3, 4, 5), dict(size=(6, 7), mode="bicubic")),
    ((2, 3, 4, 5), dict(scale_factor=2.5, mode="bicubic", align_corners=True)),
    ((2, 3, 7, 9), dict(size=(3, 4), mode="area")),
    ((2, 3, 3, 4, 5), dict(size=(5, 2, 7), mode="trilinear")),
    ((2, 3, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5, 4, 7), dict(size=(2, 3, 3), mode="area")),
    ((2, 3, 5, 4, 7), dict(size=1, mode="area")),
    ((2, 3, 7), dict(size=3, mode="area")),
    ((1, 2, 130), dict(size=261, mode="linear")),  # in * out above the dense limit: the scatter adjoint
    ((1, 1, 2, 130), dict(size=(3, 200), mode="bicubic")),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_values_and_grads(shape, kw, dtype):
    """Values, grad_fn names and input gradients. The backward sums in another order than torch's
    loop (a gradient entry of the 70x80 case sums ~40 terms to ~30 with cancellation: 5.7e-6 off),
    and torch's bicubic backward recomputes the source positions without the fused multiply-add
    of its forward: at positions ~100 one float32 ulp (8e-6) of a position moves a weight by ~1e-5
    (measured 1.8e-5 off). So float32 allows 3e-5 absolute; float64 agrees within 1e-12."""
    rtol, atol = (2e-6, 3e-5) if dtype == np.float32 else (1e-12, 1e-12)
    check_against_torch(torch, lambda x: EF.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw),
                        [_x(*shape, dtype=dtype)], rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape,kw", [
    ((1, 2, 3), dict(size=5, mode="linear")),
    ((1, 1, 3, 2), dict(size=(4, 5), mode="bilinear", align_corners=True)),
    ((1, 1, 3, 2), dict(scale_factor=1.5, mode="bicubic")),
    ((1, 1, 2, 3, 2), dict(size=(3, 2, 4), mode="trilinear")),
    ((1, 1, 3, 4), dict(scale_factor=1.7, mode="nearest")),
    ((1, 1, 4, 3, 5), dict(size=(2, 2, 3), mode="area")),
])
def test_interpolate_gradcheck(shape, kw):
    x = ember.tensor(_x(*shape, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: EF.interpolate(t, **kw), (x,))
    assert gradgradcheck(lambda t: EF.interpolate(t, **kw), (x,))


def test_interpolate_half_and_uint8():
    x = _x(1, 2, 3, 4)
    assert_same(EF.interpolate(ember.tensor(x).half(), size=(5, 6), mode="bilinear"),
                TF.interpolate(torch.from_numpy(x).half(), size=(5, 6), mode="bilinear"), rtol=1e-3, atol=1e-3)
    u = RNG.integers(0, 255, (1, 2, 3, 4)).astype(np.uint8)
    assert_same(EF.interpolate(ember.tensor(u), scale_factor=2), TF.interpolate(torch.from_numpy(u), scale_factor=2))


@pytest.mark.parametrize("shape,args,kw", [
    ((1, 2, 3, 4), (), dict(size=0)),
    ((1, 2, 3, 4), (), dict(scale_factor=0.1, mode="bilinear")),
    ((1, 0, 3, 4), (), dict(scale_factor=2)),
    ((1, 2, 0, 4), (), dict(scale_factor=2)),
    ((1, 2, 5), (), dict(size=-1)),
    ((1, 1, 2, 3, 4), (), dict(size=(0, 1, 1))),
    ((2, 3), (), dict(scale_factor=2)),
    ((1, 2, 3, 4), (), dict(size=(2, 3), mode="foo")),
    ((1, 2, 3, 4), (), dict(size=(2, 3), mode="nearest", antialias=True)),
    ((1, 2, 3, 4), (), dict(size=(2.0, 3))),
    ((1, 2, 3, 4), (), dict(size=3, scale_factor=2)),
    ((1, 2, 3, 4), (), dict(scale_factor=(2, 2, 2))),
    ((1, 2, 3, 4), (), dict(size=(2, 2, 2))),
    ((1, 2, 3, 4), (), dict(size=2, mode="nearest", align_corners=True)),
    ((1, 2, 3, 4), (), dict(size=2, recompute_scale_factor=True)),
    ((1, 2, 3, 4), (), dict()),
    ((1, 2, 3), (), dict(size=2, mode="bilinear")),
    ((1, 2, 3, 4), (), dict(size=2, mode="linear")),
    ((1, 2, 3, 4), (), dict(size=2, mode="trilinear")),
    ((1, 2, 3, 4, 5), (), dict(size=2, mode="bicubic")),
    ((1, 2, 3, 4), (), dict(size=2, mode="lanczos")),
    ((1, 2, 3, 4), (), dict(size=2, mode="lanczos", align_corners=True)),
])
def test_interpolate_errors(shape, args, kw):
    x = _x(*shape)
    same_error_calls(lambda: EF.interpolate(ember.tensor(x), *args, **kw),
                  lambda: TF.interpolate(torch.from_numpy(x), *args, **kw))


@pytest.mark.parametrize("dtype", ["int64", "bool", "int32"])
@pytest.mark.parametrize("shape,mode", [((1, 2, 3), "nearest"), ((1, 2, 3), "linear"), ((1, 2, 3, 4), "nearest"),
                                        ((1, 2, 3, 4), "bilinear"), ((1, 2, 3, 4), "bicubic"),
                                        ((1, 2, 3, 4, 2), "trilinear"), ((1, 2, 3, 4), "area")])
def test_interpolate_integer_input_errors(dtype, shape, mode):
    x = np.zeros(shape, dtype)
    same_error_calls(lambda: EF.interpolate(ember.tensor(x), scale_factor=2, mode=mode),
                  lambda: TF.interpolate(torch.from_numpy(x), scale_factor=2, mode=mode))


def test_interpolate_antialias_not_supported():
    with pytest.raises(NotImplementedError, match="antialias"):
        EF.interpolate(ember.zeros(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)


@pytest.mark.parametrize("name", ["upsample", "upsample_nearest", "upsample_bilinear"])
def test_deprecated_upsample_functions_warn(name):
    x = _x(1, 2, 3, 4)
    with pytest.warns(UserWarning) as e_rec:
        e = getattr(EF, name)(ember.tensor(x), scale_factor=2)
    with pytest.warns(UserWarning) as t_rec:
        t = getattr(TF, name)(torch.from_numpy(x), scale_factor=2)
    assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]
    assert_same(e, t)


# -- modules ------------------------------------------------------------------------------------------------
MODULES = [
    (lambda T: T.nn.Upsample(scale_factor=2), (1, 2, 3, 4)),
    (lambda T: T.nn.Upsample(size=(5, 7), mode="bilinear", align_corners=False), (1, 2, 3, 4)),
    (lambda T: T.nn.Upsample(scale_factor=(2, 1.5, 1), mode="trilinear"), (1, 2, 3, 4, 2)),
    (lambda T: T.nn.UpsamplingNearest2d(size=5), (1, 2, 3, 4)),
    (lambda T: T.nn.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 4)),
    (lambda T: T.nn.PixelShuffle(2), (2, 8, 3, 4)),
    (lambda T: T.nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda T: T.nn.ChannelShuffle(3), (2, 6, 2, 2)),
    (lambda T: T.nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), (2, 3, 5, 6)),
    (lambda T: T.nn.Fold((4, 5), 2), (2, 12, 12)),
]


@pytest.mark.parametrize("make,shape", MODULES)
def test_modules(make, shape):
    e, t = make(ember), make(torch)
    assert repr(e) == repr(t)
    check_against_torch(torch, e, t, [_x(*shape)], rtol=2e-6, atol=2e-6)


# -- unfold / fold, shuffles --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 5, 6), dict(kernel_size=2)),
    ((2, 3, 7, 8), dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 3))),
    ((3, 4, 4), dict(kernel_size=3, padding=1)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unfold_fold(shape, kw, dtype):
    check_against_torch(torch, lambda x: EF.unfold(x, **kw), lambda x: TF.unfold(x, **kw), [_x(*shape, dtype=dtype)],
                        rtol=0, atol=0)
    cols = TF.unfold(torch.from_numpy(_x(*shape, dtype=dtype)), **kw).numpy()
    size = shape[-2:]
    check_against_torch(torch, lambda c: EF.fold(c, size, **kw), lambda c: TF.fold(c, size, **kw), [cols],
                        rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-6 if dtype == np.float32 else 1e-13)


def test_unfold_fold_gradcheck():
    x = ember.tensor(_x(1, 2, 4, 3, dtype=np.float64), requires_grad=True)
    kw = dict(kernel_size=2, padding=1, stride=(1, 2))
    assert gradcheck(lambda t: EF.unfold(t, **kw), (x,))
    assert gradgradcheck(lambda t: EF.unfold(t, **kw), (x,))
    c = ember.tensor(_x(1, 8, 6, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: EF.fold(t, (3, 4), 2), (c,))
    assert gradgradcheck(lambda t: EF.fold(t, (3, 4), 2), (c,))


@pytest.mark.parametrize("call", [
    lambda F, T: F.unfold(T.zeros(2, 3, 4, 5, 6), 2),
    lambda F, T: F.unfold(T.zeros(2, 3, 4, 5), 5),
    lambda F, T: F.unfold(T.zeros(2, 3, 4, 5), 0),
    lambda F, T: F.unfold(T.zeros(2, 3, 4, 5), 2, stride=0),
    lambda F, T: F.unfold(T.zeros(2, 3, 4, 5), 2, padding=-1),
    lambda F, T: F.unfold(T.zeros(2, 3, 4, 5), 2, dilation=0),
    lambda F, T: F.unfold(T.zeros(2, 0, 4, 5), 2),
    lambda F, T: F.fold(T.zeros(2, 7, 4), (3, 3), 2),
    lambda F, T: F.fold(T.zeros(2, 8, 5), (3, 3), 2),
    lambda F, T: F.fold(T.zeros(2, 8, 4, 1), (3, 3), 2),
    lambda F, T: F.fold(T.zeros(2, 8, 4), (1, 1), 2),
    lambda F, T: F.fold(T.zeros(2, 8, 4), (0, 3), 2),
    lambda F, T: F.pixel_shuffle(T.zeros(2, 3, 4, 5), 2),
    lambda F, T: F.pixel_shuffle(T.zeros(3, 4), 2),
    lambda F, T: F.pixel_shuffle(T.zeros(1, 4, 2, 2), 0),
    lambda F, T: F.pixel_unshuffle(T.zeros(2, 3, 4, 5), 2),
    lambda F, T: F.pixel_unshuffle(T.zeros(2, 3, 5, 4), 2),
    lambda F, T: F.pixel_unshuffle(T.zeros(2, 3, 4, 4), 0),
    lambda F, T: F.pixel_unshuffle(T.zeros(4), 2),
    lambda F, T: F.channel_shuffle(T.zeros(2, 3, 4, 4), 2),
    lambda F, T: F.channel_shuffle(T.zeros(2, 4, 4, 4), 0),
    lambda F, T: F.channel_shuffle(T.zeros(2, 4), 2),
])
def test_fold_and_shuffle_errors(call):
    same_error_calls(lambda: call(EF, ember), lambda: call(TF, torch))


@pytest.mark.parametrize("fn,shape,arg", [("pixel_shuffle", (5, 2, 8, 3, 4), 2), ("pixel_shuffle", (9, 2, 2), 3),
                                          ("pixel_unshuffle", (2, 2, 6, 9), 3), ("channel_shuffle", (2, 6, 3), 2),
                                          ("channel_shuffle", (2, 6, 2, 1, 3), 3)])
def test_shuffles(fn, shape, arg):
    check_against_torch(torch, lambda x: getattr(EF, fn)(x, arg), lambda x: getattr(TF, fn)(x, arg), [_x(*shape)],
                        rtol=0, atol=0)
    x = ember.tensor(_x(*shape, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: getattr(EF, fn)(t, arg), (x,))
    assert gradgradcheck(lambda t: getattr(EF, fn)(t, arg), (x,))


# -- grid_sample / affine_grid ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grid_sample(mode, padding_mode, align_corners, dtype):
    """float32: torch's vectorised kernel rounds in another order; measured max 2e-6 abs on these sizes."""
    x = _x(2, 3, 4, 5, dtype=dtype)
    grid = (RNG.random((2, 3, 6, 2)) * 2.6 - 1.3).astype(dtype)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    tol = 5e-6 if dtype == np.float32 else 1e-12
    check_against_torch(torch, lambda a, g: EF.grid_sample(a, g, **kw), lambda a, g: TF.grid_sample(a, g, **kw),
                        [x, grid], rtol=tol, atol=tol)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_gradcheck(padding_mode):
    x = ember.tensor(_x(1, 2, 3, 4, dtype=np.float64), requires_grad=True)
    # points kept off the pixel lattice, where bilinear sampling is not differentiable
    g = ember.tensor((RNG.random((1, 2, 3, 2)) * 2.4 - 1.2) + 0.013, requires_grad=True)
    assert gradcheck(lambda a, b: EF.grid_sample(a, b, padding_mode=padding_mode, align_corners=False), (x, g))


@pytest.mark.parametrize("call", [
    lambda F, T: F.grid_sample(T.zeros(1, 1, 2, 2), T.zeros(1, 2, 2, 2), mode="foo"),
    lambda F, T: F.grid_sample(T.zeros(1, 1, 2, 2), T.zeros(1, 2, 2, 2), padding_mode="foo"),
    lambda F, T: F.grid_sample(T.zeros(1, 1, 2, 2), T.zeros(2, 2, 2, 2), align_corners=True),
    lambda F, T: F.grid_sample(T.zeros(1, 1, 2, 2), T.zeros(1, 2, 2, 3), align_corners=True),
    lambda F, T: F.grid_sample(T.zeros(1, 1, 2, 2), T.zeros(1, 2, 2), align_corners=True),
    lambda F, T: F.affine_grid(T.zeros(1, 2, 3, dtype=T.long), (1, 1, 2, 2), align_corners=True),
    lambda F, T: F.affine_grid(T.zeros(1, 3, 3), (1, 1, 2, 2), align_corners=True),
    lambda F, T: F.affine_grid(T.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=True),
    lambda F, T: F.affine_grid(T.zeros(1, 2, 3), (1, 2, 2), align_corners=True),
    lambda F, T: F.affine_grid(T.zeros(1, 2, 3), (1, 1, 0, 2), align_corners=False),
])
def test_sampling_errors(call):
    same_error_calls(lambda: call(EF, ember), lambda: call(TF, torch))


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 1), (2, 3, 2, 4, 5)])
@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid(size, align_corners):
    theta = _x(2, len(size) - 2, len(size) - 1, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size warning, compared below
        check_against_torch(torch, lambda t: EF.affine_grid(t, size, align_corners),
                            lambda t: TF.affine_grid(t, size, align_corners), [theta], rtol=1e-12, atol=1e-12)
        th = ember.tensor(theta, requires_grad=True)
        assert gradcheck(lambda t: EF.affine_grid(t, size, align_corners), (th,))


def test_align_corners_warnings():
    for e_call, t_call in ((lambda: EF.affine_grid(ember.zeros(1, 2, 3), (1, 1, 2, 2)),
                            lambda: TF.affine_grid(torch.zeros(1, 2, 3), (1, 1, 2, 2))),
                           (lambda: EF.grid_sample(ember.zeros(1, 1, 2, 2), ember.zeros(1, 2, 2, 2)),
                            lambda: TF.grid_sample(torch.zeros(1, 1, 2, 2), torch.zeros(1, 2, 2, 2))),
                           (lambda: EF.affine_grid(ember.zeros(1, 2, 3), (1, 1, 1, 2), True),
                            lambda: TF.affine_grid(torch.zeros(1, 2, 3), (1, 1, 1, 2), True))):
        with pytest.warns(UserWarning) as e_rec:
            e_call()
        with pytest.warns(UserWarning) as t_rec:
            t_call()
        assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]


def test_grad_fn_names():
    x = ember.zeros(1, 4, 2, 2, requires_grad=True)
    t = torch.zeros(1, 4, 2, 2, requires_grad=True)
    for name, args in (("pixel_shuffle", (2,)), ("pixel_unshuffle", (2,)), ("channel_shuffle", (2,)),
                       ("unfold", (2,))):
        assert grad_fn_name(getattr(EF, name)(x, *args)) == grad_fn_name(getattr(TF, name)(t, *args))


def test_grid_sample_second_derivative_refuses_instead_of_silent_zeros() -> None:
    # torch has a second derivative here (GridSampler2DBackwardBackward0); ember has none, so a
    # backward through the gradient must fail loudly rather than return constants
    x = ember.randn(1, 1, 3, 3, requires_grad=True, dtype=ember.float64)
    grid = (ember.rand(1, 2, 2, 2, dtype=ember.float64) * 2 - 1).requires_grad_()
    y = ember.nn.functional.grid_sample(x, grid, align_corners=False)
    grads = ember.autograd.grad(y.sum(), (x, grid), create_graph=True)
    for g in grads:
        assert type(g.grad_fn).__name__ == "GridSampler2DBackwardBackward0"
        with pytest.raises(NotImplementedError, match="grid_sampler_2d_backward"):
            g.sum().backward(retain_graph=True)
