"""Transformer layers against torch: the same parameters under manual_seed (stacked layers are deep
copies, then Transformer re-draws every matrix), the same repr, outputs and gradients in train mode
(dropout 0, or dropout drawn from the same seed) and in eval mode, torch's warnings and errors."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, build_pair, grad_fn_name

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


def _arr(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _run(e: Any, t: Any, arrays: list[np.ndarray], kwargs: dict[str, Any] | None = None, seed: int | None = None,
         tol: float = 1e-5) -> None:
    """Same output, grad_fn, input and parameter gradients (``kwargs``: masks etc. as NumPy arrays)."""
    kwargs = kwargs or {}
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_kw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    if seed is not None:
        ember.manual_seed(seed)
        torch.manual_seed(seed)
    e_out, t_out = e(*e_in, **e_kw), t(*t_in, **t_kw)
    assert_same(e_out, t_out, tol, tol)
    assert grad_fn_name(e_out) == grad_fn_name(t_out)
    g = _arr(*t_out.shape)
    e_out.backward(ember.tensor(g))
    t_out.backward(torch.tensor(g))
    for ei, ti in zip(e_in, t_in, strict=True):
        assert_same(ei.grad, ti.grad, tol, tol)
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters(), strict=True):
        assert (ep.grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            assert_same(ep.grad, tp.grad, tol, tol)


def _causal(n: int) -> np.ndarray:
    return np.triu(np.full((n, n), -np.inf, np.float32), 1)


ENCODER_LAYERS = {
    "post_norm": ({}, {}),
    "pre_norm_gelu": ({"norm_first": True, "activation": "gelu"}, {}),
    "batch_first_masks": ({"batch_first": True}, {"src_mask": "causal", "src_key_padding_mask": "pad"}),
    "no_bias_module_activation": ({"bias": False, "activation": "module"}, {"is_causal": True, "src_mask": "causal"}),
    "callable_activation": ({"activation": "callable"}, {}),
}


def _activation(T: Any, name: Any) -> Any:
    return {"module": T.nn.GELU(), "callable": T.tanh}.get(name, name)


@pytest.mark.filterwarnings("ignore:Support for mismatched src_key_padding_mask")  # both warn: float mask, bool pad
@pytest.mark.parametrize("name", list(ENCODER_LAYERS))
def test_encoder_layer_matches_torch(name: str) -> None:
    kw, call = ENCODER_LAYERS[name]
    e, t = build_pair(lambda T: T.nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, dropout=0.0, **{**kw, **({"activation": _activation(T, kw["activation"])}
                                                          if "activation" in kw else {})}))
    B, L = 3, 5
    x = _arr(B, L, 8) if kw.get("batch_first") else _arr(L, B, 8)
    masks = {"causal": _causal(L), "pad": np.array([[False] * 5, [False] * 4 + [True], [False] * 3 + [True] * 2])}
    call = {k: masks[v] if isinstance(v, str) else v for k, v in call.items()}
    _run(e, t, [x], call)
    e.eval(), t.eval()
    _run(e, t, [x], call)  # eval with grad enabled: torch's regular path


def test_encoder_layer_dropout_same_seed() -> None:
    e, t = build_pair(lambda T: T.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.3))
    _run(e, t, [_arr(4, 2, 8)], seed=5)


def test_encoder_layer_unbatched() -> None:
    e, t = build_pair(lambda T: T.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0))
    _run(e, t, [_arr(4, 8)], {"src_mask": _causal(4)})


def test_encoder_eval_no_grad_matches_fast_path() -> None:
    """eval + no_grad: torch runs its fused inference kernels; ember its regular path (float32 noise)."""
    e, t = build_pair(lambda T: T.nn.TransformerEncoder(
        T.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True), 2, enable_nested_tensor=False))
    e.eval(), t.eval()
    x = _arr(3, 5, 8)
    with ember.no_grad(), torch.no_grad():
        assert_same(e(ember.tensor(x)), t(torch.tensor(x)), 1e-5, 1e-5)


DECODER_LAYERS = {
    "post_norm": ({}, {}),
    "pre_norm_masks": ({"norm_first": True}, {"tgt_mask": "causal", "memory_key_padding_mask": "pad",
                                              "tgt_is_causal": True}),
    "batch_first_gelu": ({"batch_first": True, "activation": "gelu"}, {"memory_mask": "mem"}),
}


@pytest.mark.parametrize("name", list(DECODER_LAYERS))
def test_decoder_layer_matches_torch(name: str) -> None:
    kw, call = DECODER_LAYERS[name]
    e, t = build_pair(lambda T: T.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **kw))
    B, L, S = 2, 4, 6
    bf = kw.get("batch_first")
    tgt, mem = (_arr(B, L, 8), _arr(B, S, 8)) if bf else (_arr(L, B, 8), _arr(S, B, 8))
    masks = {"causal": _causal(L), "pad": np.array([[False] * 6, [False] * 4 + [True] * 2]), "mem": _arr(L, S)}
    _run(e, t, [tgt, mem], {k: masks[v] if isinstance(v, str) else v for k, v in call.items()})


def test_stacks_share_initial_values_and_match() -> None:
    """TransformerEncoder/Decoder deep-copy one layer: every copy starts from the same values."""
    e, t = build_pair(lambda T: T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16, 0.0), 3,
                                                     norm=T.nn.LayerNorm(8)))
    np.testing.assert_array_equal(e.layers[0].linear1.weight.detach().numpy(),
                                  e.layers[2].linear1.weight.detach().numpy())
    _run(e, t, [_arr(5, 2, 8)], {"mask": _causal(5)})  # is_causal detected from the mask
    e, t = build_pair(lambda T: T.nn.TransformerDecoder(T.nn.TransformerDecoderLayer(8, 2, 16, 0.0), 2))
    _run(e, t, [_arr(4, 2, 8), _arr(5, 2, 8)], {"tgt_mask": _causal(4)})


def test_transformer_matches_torch_and_trains() -> None:
    """The full model: init (xavier over every matrix), forward/backward, three SGD steps. (Not Adam: the
    attention key biases' gradients are zero in exact arithmetic, rounding noise that Adam normalises.)"""
    e, t = build_pair(lambda T: T.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                                             dim_feedforward=16, dropout=0.0, batch_first=True))
    src, tgt = _arr(2, 5, 8), _arr(2, 4, 8)
    mask = ember.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    np.testing.assert_array_equal(mask, torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    _run(e, t, [src, tgt], {"tgt_mask": mask})
    e_opt = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        for T, mod, opt in ((ember, e, e_opt), (torch, t, t_opt)):
            opt.zero_grad()
            out = mod(T.tensor(src), T.tensor(tgt), tgt_mask=T.tensor(mask), tgt_is_causal=True)
            (out * out).mean().backward()
            opt.step()
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters(), strict=True):
        np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_generate_square_subsequent_mask_dtype() -> None:
    e = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    t = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    assert_same(e, t)


def _messages(make: Any) -> tuple[list[str], list[str]]:
    out = []
    for T in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make(T)
        out.append([str(w.message) for w in caught])
    return out[0], out[1]


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True}, {"batch_first": True, "bias": False},
                                {"batch_first": True, "activation": "callable"}, {"batch_first": True}])
def test_encoder_nested_tensor_warning(kw: dict[str, Any]) -> None:
    def make(T: Any) -> Any:
        args = {**kw, "activation": T.tanh} if kw.get("activation") == "callable" else kw
        return T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(4, 2, 8, **args), 1)
    e_msgs, t_msgs = _messages(make)
    assert e_msgs == t_msgs


def _error(fn: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value).replace("torch.", "ember.")


ERRORS = {
    "activation": lambda T: T.nn.TransformerEncoderLayer(4, 2, activation="tanh"),
    "batch": lambda T: T.nn.Transformer(4, 2, 1, 1, 8)(T.ones(3, 2, 4), T.ones(3, 1, 4)),
    "d_model": lambda T: T.nn.Transformer(4, 2, 1, 1, 8)(T.ones(3, 2, 5), T.ones(3, 2, 5)),
    "mask_dtype": lambda T: T.nn.TransformerEncoderLayer(4, 2, 8)(T.ones(3, 2, 4), src_mask=T.ones(3, 3).long()),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _error(lambda: ERRORS[name](ember)) == _error(lambda: ERRORS[name](torch))
