"""scaled_dot_product_attention and MultiheadAttention against torch: values, gradients of every
input and parameter, grad_fn names, dropout masks drawn from the same seed, torch's initialisation
under manual_seed, and torch's errors for bad shapes, dtypes and masks."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, build_pair, grad_fn_name

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _arr(*shape: int, dtype: Any = np.float32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def _sdpa_both(arrays: list[np.ndarray], mask: np.ndarray | None = None, seed: int | None = None,
               mask_grad: bool = False, **kw: Any) -> tuple[list[Any], list[Any]]:
    """Run SDPA in both libraries, backward with one upstream gradient; (ember, torch) inputs + output."""
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    if mask is not None:
        e.append(ember.tensor(mask, requires_grad=mask_grad))
        t.append(torch.tensor(mask, requires_grad=mask_grad))
        kw["attn_mask"] = None
    outs = []
    for T, ins in ((ember, e), (torch, t)):
        if seed is not None:
            T.manual_seed(seed)
        if mask is not None:
            kw["attn_mask"] = ins[3]
        outs.append(T.nn.functional.scaled_dot_product_attention(*ins[:3], **kw))
    g = _arr(*outs[1].shape, dtype=arrays[0].dtype)
    outs[0].backward(ember.tensor(g))
    outs[1].backward(torch.tensor(g))
    return e + [outs[0]], t + [outs[1]]


SDPA_CASES = {
    "plain": ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], None, {}),
    "value_dim": ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)], None, {}),
    "causal": ([(2, 2, 5, 8), (2, 2, 5, 8), (2, 2, 5, 8)], None, {"is_causal": True}),
    "causal_rect": ([(1, 2, 6, 4), (1, 2, 4, 4), (1, 2, 4, 4)], None, {"is_causal": True}),
    "scale": ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], None, {"scale": 0.3}),
    "negative_scale": ([(3, 4, 8), (3, 5, 8), (3, 5, 8)], None, {"scale": -0.5}),
    "3d": ([(3, 4, 8), (3, 5, 8), (3, 5, 8)], None, {}),
    "2d": ([(4, 8), (5, 8), (5, 8)], None, {}),
    "5d": ([(2, 1, 2, 4, 8), (2, 1, 2, 5, 8), (2, 1, 2, 5, 8)], None, {}),
    "batch_broadcast": ([(2, 3, 4, 8), (1, 3, 5, 8), (1, 3, 5, 8)], None, {}),
    "bool_mask": ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], "bool", {}),
    "float_mask": ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], "float", {}),
    "mask_3d": ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], "float3", {}),
    "gqa": ([(2, 6, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], None, {"enable_gqa": True}),
    "gqa_kv_heads_differ": ([(2, 6, 4, 8), (2, 3, 5, 8), (2, 2, 5, 8)], None, {"enable_gqa": True}),
}


@pytest.mark.parametrize("name", list(SDPA_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sdpa_matches_torch(name: str, dtype: Any) -> None:
    shapes, mask_kind, kw = SDPA_CASES[name]
    arrays = [_arr(*s, dtype=dtype) for s in shapes]
    L, S = shapes[0][-2], shapes[1][-2]
    masks = {"bool": lambda: RNG.random((L, S)) < 0.7, "float": lambda: _arr(L, S, dtype=dtype),
             "float3": lambda: _arr(shapes[0][-3], L, S, dtype=dtype)}
    mask = None if mask_kind is None else masks[mask_kind]()
    e, t = _sdpa_both(arrays, mask, **kw)
    tol = (1e-6, 1e-6) if dtype == np.float32 else (1e-12, 1e-12)
    assert_same(e[-1], t[-1], *tol)
    assert grad_fn_name(e[-1]) == grad_fn_name(t[-1])
    for ei, ti in zip(e[:3], t[:3], strict=True):
        assert_same(ei.grad, ti.grad, *tol)


def test_sdpa_fully_masked_row_gives_zeros() -> None:
    """A row whose mask is all False: torch's _safe_softmax gives zeros there, and no gradient."""
    mask = np.array([[True, False, True], [False, False, False], [True, True, True]])
    e, t = _sdpa_both([_arr(1, 2, 3, 4) for _ in range(3)], mask)
    assert_same(e[-1], t[-1], 1e-6, 1e-6)
    assert not e[-1].detach().numpy()[..., 1, :].any()
    for ei, ti in zip(e[:3], t[:3], strict=True):
        assert_same(ei.grad, ti.grad, 1e-6, 1e-6)


def test_sdpa_float_mask_gets_gradient() -> None:
    e, t = _sdpa_both([_arr(2, 3, 4, 8), _arr(2, 3, 5, 8), _arr(2, 3, 5, 8)], _arr(3, 4, 5), mask_grad=True)
    assert_same(e[3].grad, t[3].grad, 1e-6, 1e-6)


def test_sdpa_dropout_draws_torchs_mask() -> None:
    """dropout_p > 0: the same Bernoulli mask as torch's math backend under the same seed."""
    arrays = [_arr(2, 3, 6, 8), _arr(2, 3, 7, 8), _arr(2, 3, 7, 8)]
    e, t = _sdpa_both(arrays, seed=11, dropout_p=0.4)
    assert_same(e[-1], t[-1], 1e-6, 1e-6)
    assert grad_fn_name(e[-1]) == grad_fn_name(t[-1])
    for ei, ti in zip(e[:3], t[:3], strict=True):
        assert_same(ei.grad, ti.grad, 1e-6, 1e-6)
    assert ember.rand(3).tolist() == torch.rand(3).tolist()  # both generators consumed the same draws


def test_sdpa_no_grad_and_empty() -> None:
    q = _arr(2, 3, 4, 8)
    with ember.no_grad():
        out = ember.nn.functional.scaled_dot_product_attention(*(ember.tensor(q),) * 3)
    assert out.grad_fn is None
    assert_same(out, torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(q),) * 3), 1e-6, 1e-6)
    kv = np.zeros((2, 3, 0, 8), np.float32)
    e_out = ember.nn.functional.scaled_dot_product_attention(ember.tensor(q), ember.tensor(kv), ember.tensor(kv))
    t_out = torch.nn.functional.scaled_dot_product_attention(torch.tensor(q), torch.tensor(kv), torch.tensor(kv))
    assert_same(e_out, t_out)


def test_sdpa_gradcheck() -> None:
    """Finite differences (float64), first and second order, with a mask and with GQA."""
    args = [ember.tensor(_arr(1, 2, 3, 4, dtype=np.float64), requires_grad=True) for _ in range(3)]
    mask = ember.tensor(_arr(3, 3, dtype=np.float64), requires_grad=True)
    fn = ember.nn.functional.scaled_dot_product_attention
    assert ember.autograd.gradcheck(lambda q, k, v, m: fn(q, k, v, attn_mask=m), (*args, mask))
    assert ember.autograd.gradgradcheck(lambda q, k, v: fn(q, k, v, is_causal=True), tuple(args))
    q = ember.tensor(_arr(1, 4, 3, 4, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda q, k, v: fn(q, k, v, enable_gqa=True), (q, *args[1:]))


def _error(fn: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value).replace("torch.", "ember.")


SDPA_ERRORS = {
    "dtypes": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q.double(), q),
    "1d": lambda T, q: T.nn.functional.scaled_dot_product_attention(q[0, 0, 0], q[0, 0, 0], q[0, 0, 0]),
    "mask_dtype": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=T.ones(4, 4).long()),
    "mask_and_causal": lambda T, q: T.nn.functional.scaled_dot_product_attention(  # torch's flash path (4-d) skips it
        q[0], q[0], q[0], attn_mask=T.ones(4, 4, dtype=T.bool), is_causal=True),
    "mask_shape": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=T.ones(3, 4)),
    "key_dim": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q[..., :5], q),
    "value_len": lambda T, q: T.nn.functional.scaled_dot_product_attention(q[0], q[0], q[0, ..., :3, :]),
    "heads": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q[:, :2], q[:, :2]),
    "gqa_heads": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q[:, :2], q[:, :2], enable_gqa=True),
    "dropout_p": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q, q, dropout_p=1.5),
    "int": lambda T, q: T.nn.functional.scaled_dot_product_attention(q.long(), q.long(), q.long()),
    "mask_type": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q, q, 0.5),
    "scale_keyword_only": lambda T, q: T.nn.functional.scaled_dot_product_attention(q, q, q, None, 0.0, False, 0.5),
}


@pytest.mark.parametrize("name", list(SDPA_ERRORS))
def test_sdpa_errors_match_torch(name: str) -> None:
    q = _arr(2, 3, 4, 6)
    fn = SDPA_ERRORS[name]
    assert _error(lambda: fn(ember, ember.tensor(q))) == _error(lambda: fn(torch, torch.tensor(q)))


# -- MultiheadAttention ------------------------------------------------------------------------------
def _build(make: Any, seed: int = 0) -> tuple[Any, Any]:
    """``build_pair``, and the parameters registered in the same order."""
    e, t = build_pair(make, seed)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    return e, t


def _compare(e_outs: Any, t_outs: Any, e_mod: Any, t_mod: Any, e_in: list[Any], t_in: list[Any],
             tol: float = 1e-6) -> None:
    """Same outputs and grad_fn names; then a backward of a random combination of the outputs gives the
    same gradients for the inputs and the parameters."""
    e_outs, t_outs = [o for o in e_outs if o is not None], [o for o in t_outs if o is not None]
    e_loss, t_loss = 0, 0
    for eo, to in zip(e_outs, t_outs, strict=True):
        assert_same(eo, to, tol, tol)
        assert grad_fn_name(eo) == grad_fn_name(to)
        g = _arr(*to.shape)
        e_loss, t_loss = e_loss + (eo * ember.tensor(g)).sum(), t_loss + (to * torch.tensor(g)).sum()
    e_loss.backward()
    t_loss.backward()
    for ei, ti in zip(e_in, t_in, strict=True):
        if ti.grad is not None:
            assert_same(ei.grad, ti.grad, tol, tol)
    for (name, ep), (_, tp) in zip(e_mod.named_parameters(), t_mod.named_parameters(), strict=True):
        assert (ep.grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            assert_same(ep.grad, tp.grad, tol, tol)


MHA_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "self": ({}, {}),
    "self_no_weights": ({}, {"need_weights": False}),
    "per_head_weights": ({}, {"average_attn_weights": False}),
    "batch_first": ({"batch_first": True}, {}),
    "batch_first_no_weights": ({"batch_first": True}, {"need_weights": False}),
    "kdim_vdim": ({"kdim": 3, "vdim": 5}, {}),
    "kdim_vdim_no_weights": ({"kdim": 3, "vdim": 5}, {"need_weights": False}),
    "no_bias": ({"bias": False}, {}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {}),
    "bias_kv_zero_attn_masks": ({"add_bias_kv": True, "add_zero_attn": True}, {"attn_mask": "bool2",
                                                                               "key_padding_mask": "bool"}),
    "bool_masks": ({}, {"attn_mask": "bool2", "key_padding_mask": "bool"}),
    "bool_masks_no_weights": ({}, {"attn_mask": "bool2", "key_padding_mask": "bool", "need_weights": False}),
    "float_mask_3d": ({}, {"attn_mask": "float3"}),
    "float_mask_3d_no_weights": ({}, {"attn_mask": "float3", "need_weights": False}),
    "causal_hint": ({}, {"attn_mask": "causal", "is_causal": True, "need_weights": False}),
    "cross": ({}, {"cross": True}),
    "cross_kv_same": ({}, {"cross": "kv"}),
    "unbatched": ({}, {"unbatched": True, "key_padding_mask": "bool"}),
    "unbatched_no_weights": ({}, {"unbatched": True, "need_weights": False, "attn_mask": "float3"}),
}


def _mha_inputs(T: Any, arrays: dict[str, np.ndarray], opts: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    q = T.tensor(arrays["q"], requires_grad=True)
    if opts.get("cross") is True:
        k, v = T.tensor(arrays["k"], requires_grad=True), T.tensor(arrays["v"], requires_grad=True)
        ins = [q, k, v]
    elif opts.get("cross") == "kv":
        k = v = T.tensor(arrays["k"], requires_grad=True)
        ins = [q, k]
    else:
        k = v = q
        ins = [q]
    kw = {k2: v2 for k2, v2 in opts.items() if k2 in ("need_weights", "average_attn_weights", "is_causal")}
    for name in ("attn_mask", "key_padding_mask"):
        if name in opts:
            kw[name] = T.tensor(arrays[name])
    return ins, {"query": q, "key": k, "value": v, **kw}


@pytest.mark.parametrize("name", list(MHA_CASES))
def test_multihead_attention_matches_torch(name: str) -> None:
    kwargs, opts = MHA_CASES[name]
    E, H, L, S, N = 6, 2, 4, 4, 3
    if opts.get("cross"):
        S = 5
    e, t = _build(lambda T: T.nn.MultiheadAttention(E, H, **kwargs))
    kdim, vdim = kwargs.get("kdim", E), kwargs.get("vdim", E)
    lead = (N, L) if kwargs.get("batch_first") else (L, N)
    arrays = {"q": _arr(*lead, E), "k": _arr(S, N, E), "v": _arr(S, N, E)}
    if kdim != E:
        arrays["q"], opts = _arr(L, N, E), {**opts, "cross": True}
        arrays["k"], arrays["v"] = _arr(S, N, kdim), _arr(S, N, vdim)
    if opts.get("unbatched"):
        arrays["q"] = _arr(L, E)
    masks = {"bool2": RNG.random((L, S)) < 0.3, "bool": RNG.random((N, S)) < 0.3,
             "float3": _arr(N * H, L, S), "causal": np.triu(np.ones((L, S), bool), 1)}
    if opts.get("unbatched"):
        masks.update(bool=RNG.random(S) < 0.3, float3=_arr(H, L, S))
    for m in ("attn_mask", "key_padding_mask"):
        if m in opts:
            arrays[m] = masks[opts[m]]
    e_in, e_kw = _mha_inputs(ember, arrays, opts)
    t_in, t_kw = _mha_inputs(torch, arrays, opts)
    _compare(e(**e_kw), t(**t_kw), e, t, e_in, t_in)


def test_multihead_attention_dropout_same_seed() -> None:
    """Dropout on the attention weights (training mode) draws torch's mask, with and without weights."""
    for need_weights in (True, False):
        e, t = _build(lambda T: T.nn.MultiheadAttention(8, 2, dropout=0.3))
        x = _arr(5, 2, 8)
        e_in, t_in = [ember.tensor(x, requires_grad=True)], [torch.tensor(x, requires_grad=True)]
        ember.manual_seed(3)
        torch.manual_seed(3)
        e_out = e(*e_in * 3, need_weights=need_weights)
        t_out = t(*t_in * 3, need_weights=need_weights)
        _compare(e_out, t_out, e, t, e_in, t_in)


def test_multihead_attention_eval_no_grad_fast_path() -> None:
    """torch's inference fast path (eval, no grad, batch_first self-attention) agrees within float32 noise."""
    e, t = _build(lambda T: T.nn.MultiheadAttention(8, 2, batch_first=True).eval())
    x = _arr(3, 5, 8)
    with ember.no_grad(), torch.no_grad():
        e_out, e_w = e(*(ember.tensor(x),) * 3)
        t_out, t_w = t(*(torch.tensor(x),) * 3)
    assert_same(e_out, t_out, 1e-5, 1e-6)
    assert_same(e_w, t_w, 1e-5, 1e-6)


def test_multihead_attention_mismatched_mask_types_warn() -> None:
    e, t = _build(lambda T: T.nn.MultiheadAttention(4, 2))
    x, kpm, am = _arr(3, 2, 4), RNG.random((2, 3)) < 0.3, _arr(3, 3)
    with warnings.catch_warnings(record=True) as e_w:
        warnings.simplefilter("always")
        e_out = e(*(ember.tensor(x),) * 3, key_padding_mask=ember.tensor(kpm), attn_mask=ember.tensor(am))
    with warnings.catch_warnings(record=True) as t_w:
        warnings.simplefilter("always")
        t_out = t(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am))
    assert [str(w.message) for w in e_w] == [str(w.message) for w in t_w]
    assert_same(e_out[0], t_out[0], 1e-6, 1e-6)


def test_multihead_attention_sgd_steps() -> None:
    """A few SGD steps on the attention layer stay with torch's. (Not Adam: the key bias's gradient is
    zero in exact arithmetic, rounding noise of 1e-9 that Adam would normalise into full steps.)"""
    e, t = _build(lambda T: T.nn.MultiheadAttention(8, 4, batch_first=True))
    e_opt = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    x = _arr(2, 5, 8)
    causal = np.triu(np.ones((5, 5), bool), 1)
    for _ in range(3):
        for T, mod, opt in ((ember, e, e_opt), (torch, t, t_opt)):
            opt.zero_grad()
            xi = T.tensor(x)
            out = mod(xi, xi, xi, attn_mask=T.tensor(causal), need_weights=False)[0]
            (out * out).mean().backward()
            opt.step()
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters(), strict=True):
        np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


MHA_ERRORS = {
    "embed_dim": lambda T: T.nn.MultiheadAttention(0, 2),
    "divisible": lambda T: T.nn.MultiheadAttention(5, 2),
    "query_dim": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(1, 2, 3, 4), T.ones(1, 2, 3, 4), T.ones(1, 2, 3, 4)),
    "key_dim": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 4), T.ones(3, 4)),
    "kpm_dim": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 2, 4), T.ones(3, 2, 4),
                                                      key_padding_mask=T.ones(2, 3, 1, dtype=T.bool)),
    "attn_mask_2d": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 2, 4), T.ones(3, 2, 4),
                                                           attn_mask=T.ones(3, 2, dtype=T.bool)),
    "attn_mask_3d": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 2, 4), T.ones(3, 2, 4),
                                                           attn_mask=T.ones(3, 3, 3)),
    "unbatched_mask": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 4), T.ones(3, 4), T.ones(3, 4),
                                                             attn_mask=T.ones(3, 3, 3)),
    "mask_int": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 2, 4), T.ones(3, 2, 4),
                                                       attn_mask=T.ones(3, 3).long()),
    "embed_check": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 5), T.ones(3, 2, 5), T.ones(3, 2, 5)),
    "kv_shape": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 2, 4), T.ones(2, 2, 4)),
    "causal_no_mask": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 2, 4), T.ones(3, 2, 4),
                                                             is_causal=True),
    "kpm_shape": lambda T: T.nn.MultiheadAttention(4, 2)(T.ones(3, 2, 4), T.ones(3, 2, 4), T.ones(3, 2, 4),
                                                        key_padding_mask=T.ones(2, 4, dtype=T.bool)),
}


@pytest.mark.parametrize("name", list(MHA_ERRORS))
def test_multihead_attention_errors_match_torch(name: str) -> None:
    assert _error(lambda: MHA_ERRORS[name](ember)) == _error(lambda: MHA_ERRORS[name](torch))
