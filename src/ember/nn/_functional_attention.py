"""Attention functions of ``ember.nn.functional``: ``scaled_dot_product_attention`` and
``multi_head_attention_forward``.

scaled_dot_product_attention is one fused node. With c = sqrt(|scale|) (torch's math backend
scales both operands, the query by -c for a negative scale),

    S = (q c)(k c)^T + B,    P = softmax(S) (a fully masked row gives 0),    D = P * M,    O = D v,

where B is the additive mask (0 / -inf for a bool or causal mask) and M the dropout noise
(Bernoulli(1 - p) / (1 - p), drawn from ember's generator as torch draws it). Its backward shares
dS between the query's and the key's gradients:

    dv = D^T dO,   dP = (dO v^T) * M,   dS = P * (dP - rowsum(dP * P)),   dq = dS (k c) c,   dk = dS^T (q c) c.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

from ember import creation, dtypes
from ember.autograd import node as _node
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node
from ember.backend import xp
from ember.nn._functional_layers import dropout, linear
from ember.ops import elementwise, linalg, nn_ops, softmaxes
from ember.ops._shape import broadcast_error
from ember.ops.joining import cat
from ember.ops.registry import attach
from ember.tensor import Tensor

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


class _AttentionBackward(Node):
    """The fused attention node: every input's gradient from one shared dS."""

    __slots__ = ()

    def apply(self, grads: list[Any], needs: tuple[bool, ...], as_tensor: bool) -> list[Any]:
        if self._versions:
            self._check_versions()
        get = self._saved
        sign, c, groups, causal = get("sign", False), get("c", False), get("groups", False), get("causal", False)
        noise = get("noise", False)
        if as_tensor:  # differentiable: recompute the probabilities from the inputs with ember ops
            q, k, v, mask = (get(n, True) for n in ("q", "k", "v", "mask"))
            qs, ks = q * (sign * c), k * c
            if groups != (1, 1):
                ks, v = ks.repeat_interleave(groups[0], -3), v.repeat_interleave(groups[1], -3)
            s = linalg.matmul(qs, ks.transpose(-2, -1))
            bias = _bias(mask, causal, s.shape[-2:], q._data.dtype)
            if bias is not None:
                s = s + (bias if isinstance(bias, Tensor) else Tensor._make(bias))
            live = get("live", False)
            if live is not None:  # a dead row (all -inf) softmaxes zeros, and passes no gradient back
                live = Tensor._make(live)
                s = elementwise.where(live, s, 0.0)
            p = softmaxes.softmax(s, -1)
            if live is not None:
                p = elementwise.where(live, p, 0.0)
            F = _node._F_tensor
        else:
            qs, ks, v, p = get("qs", False), get("ks", False), get("vr", False), get("probs", False)
            F = _node._F_array
        return _grads(F, grads[0], qs, ks, v, p, noise, sign * c, c, groups, needs)


def _grads(F: Any, grad: Any, qs: Any, ks: Any, v: Any, p: Any, noise: Any, cq: float, c: float,
           groups: tuple[int, int], needs: tuple[bool, ...]) -> list[Any]:
    """[dq, dk, dv, dmask] (None where not needed) on arrays or Tensors alike; ``groups``: how many
    query heads share each key head and each value head."""
    dq = dk = dv = ds = None
    if needs[2]:
        d = p if noise is None else p * noise
        dv = _fold(F, F.matmul(F.transpose(d, -1, -2), grad), groups[1])
    if needs[0] or needs[1] or needs[3]:
        dp = F.matmul(grad, F.transpose(v, -1, -2))
        if noise is not None:
            dp = dp * noise
        if F is _node._F_array:  # the same, in place on the fresh array
            dp -= (dp * p).sum(axis=-1, keepdims=True)
            dp *= p
            ds = dp
        else:
            ds = p * (dp - F.sum(dp * p, -1, True))
        if needs[0]:
            dq = F.matmul(ds, ks) * cq
        if needs[1]:
            dk = _fold(F, F.matmul(F.transpose(ds, -1, -2), qs) * c, groups[0])
    return [dq, dk, dv, ds if needs[3] else None]


def _fold(F: Any, g: Any, groups: int) -> Any:
    """Sum a gradient of repeated heads (grouped-query attention) back onto each key/value head."""
    if groups == 1:
        return g
    shape = tuple(g.shape)
    return F.sum(F.reshape(g, (*shape[:-3], shape[-3] // groups, groups, *shape[-2:])), -3)


_NODES = {name: type(name, (_AttentionBackward,), {"__slots__": ()}) for name in
          ("ScaledDotProductFlashAttentionForCpuBackward0", "UnsafeViewBackward0", "MmBackward0", "AddBackward0")}


def _bias(mask: Any, causal: bool, ls: tuple[int, int], dtype: Any) -> Any:
    """The additive mask: a float mask as is, 0 / -inf for a bool or causal (upper-left) mask."""
    if causal:
        return xp.where(xp.tri(*ls, dtype=bool), xp.zeros((), dtype), xp.array(-xp.inf, dtype))
    if mask is None:
        return None
    m = mask._data if isinstance(mask, Tensor) else mask
    if m.dtype == xp.bool_:
        return xp.where(m, xp.zeros((), dtype), xp.array(-xp.inf, dtype))
    return mask


def _safe_softmax(s: Any, masked: bool) -> tuple[Any, Any]:
    """softmax over the last dim, in place on ``s``; a row that is all -inf gives zeros (torch's
    ``_safe_softmax``). Also returns which rows live (None when all do)."""
    if not s.size:
        return s, None
    m = s.max(axis=-1, keepdims=True)
    live = None
    if masked:
        finite = m > -xp.inf
        if not finite.all():
            live = finite
            m = xp.where(finite, m, xp.zeros((), s.dtype))
    s -= m
    xp.exp(s, out=s)
    total = s.sum(axis=-1, keepdims=True)
    if live is not None:
        total[~live] = 1
    s *= 1 / total
    return s, live


def _uses_flash(q: Any, k: Any, v: Any, mask: Any, dropout_p: float, enable_gqa: bool) -> bool:
    """Whether torch's CPU dispatch picks its flash kernel (it names the grad_fn)."""
    if not q.ndim == k.ndim == v.ndim == 4 or dropout_p > 0 or not q.shape[-1] == k.shape[-1] == v.shape[-1]:
        return False
    if not q.shape[0] == k.shape[0] == v.shape[0] or (mask is not None and mask.ndim not in (2, 4)):
        return False
    hq, hk, hv = q.shape[1], k.shape[1], v.shape[1]
    if not (hk == hv and (hq == hk or enable_gqa and hq % hk == 0)):
        return False
    return all(a.strides[-1] == a.itemsize or a.shape[-1] == 1 for a in (q, k, v))


def _check_sdpa(q: Any, k: Any, v: Any, attn_mask: Tensor | None, is_causal: bool, enable_gqa: bool) -> None:
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_cpp(q)} key.dtype: {_cpp(k)} and value.dtype: {_cpp(v)} instead.")
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if attn_mask is not None:
        m = attn_mask._data
        if m.dtype != xp.bool_ and m.dtype != q.dtype:
            raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_cpp(m)} and  query.dtype: {_cpp(q)} instead.")
        if is_causal:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if q.dtype.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {dtypes.from_numpy_dtype(q.dtype).scalar_name}")
    if enable_gqa and q.ndim >= 3 and (q.shape[-3] % k.shape[-3] or q.shape[-3] % v.shape[-3]):
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")


def _cpp(a: Any) -> str:
    return dtypes.from_numpy_dtype(a.dtype).cpp_name


def _shape_error(qs: Any, kt: Any) -> RuntimeError:
    """torch's error for operands whose sizes don't fit (its math backend's bmm, or the batch broadcast)."""
    try:
        batch = xp.broadcast_shapes(qs.shape[:-2], kt.shape[:-2])
    except ValueError:
        return linalg._matmul_error(Tensor._make(qs), Tensor._make(kt))
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{math.prod(batch)}, "
                        f"{qs.shape[-1]}] but got: [{math.prod(batch)}, {kt.shape[-2]}].")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, *, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v, with dropout on the attention weights.

    ``attn_mask``: bool (True takes part) or float (added), broadcast to (..., L, S); ``is_causal``:
    the upper-left lower-triangular mask; ``scale`` defaults to 1 / sqrt(E); ``enable_gqa``: key and
    value heads are shared by groups of query heads.
    """
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        raise TypeError("scaled_dot_product_attention(): argument 'attn_mask' (position 4) must be Tensor, not "
                        f"{type(attn_mask).__name__}")
    q, k, v = query._data, key._data, value._data
    _check_sdpa(q, k, v, attn_mask, is_causal, enable_gqa)
    flash = _uses_flash(q, k, v, None if attn_mask is None else attn_mask._data, dropout_p, enable_gqa)
    if flash and dropout_p < 0:
        raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not support dropout > 0")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    c, sign = math.sqrt(abs(scale)), (-1.0 if scale < 0 else 1.0)
    qs, ks = q * (sign * c), k * c
    groups = (q.shape[-3] // k.shape[-3], q.shape[-3] // v.shape[-3]) if enable_gqa and q.ndim >= 3 else (1, 1)
    vr = v
    if groups != (1, 1):
        ks, vr = xp.repeat(ks, groups[0], axis=-3), xp.repeat(v, groups[1], axis=-3)
    kt = ks.swapaxes(-1, -2)
    try:
        s = xp.matmul(qs, kt)
    except ValueError:
        raise _shape_error(qs, kt) from None
    bias = _bias(attn_mask, is_causal, s.shape[-2:], q.dtype)
    if bias is not None:
        b = bias._data if isinstance(bias, Tensor) else bias
        try:
            full = xp.broadcast_shapes(b.shape, s.shape)
        except ValueError:
            raise broadcast_error(s.shape, b.shape) from None
        if full != s.shape:
            raise RuntimeError(f"output with shape {list(s.shape)} doesn't match the broadcast shape {list(full)}")
        if b.shape == s.shape[-2:]:  # one (L, S) mask for every matrix: add it as one flat row (faster)
            s.reshape(-1, b.size)[...] += b.reshape(-1)
        else:
            s += b
    p, live = _safe_softmax(s, bias is not None)
    noise = None
    if dropout_p > 0:
        noise = creation.empty(p.shape, dtype=dtypes.from_numpy_dtype(p.dtype)).bernoulli_(1 - dropout_p)._data
        noise /= 1 - dropout_p
    try:
        out = Tensor._make(xp.matmul(p if noise is None else p * noise, vr))
    except ValueError:
        raise _shape_error(p, vr) from None
    mask_grad = attn_mask is not None and attn_mask._requires_grad
    if grad_state.enabled and (query._requires_grad or key._requires_grad or value._requires_grad or mask_grad):
        if not (q.shape[-2] and k.shape[-2]):
            name = "AddBackward0"
        else:
            name = "ScaledDotProductFlashAttentionForCpuBackward0" if flash else (
                "MmBackward0" if q.ndim == 2 else "UnsafeViewBackward0")
        attach(out, _NODES[name], (query, key, value, attn_mask if mask_grad else None),
               {"q": query, "k": key, "v": value, "mask": attn_mask, "qs": qs, "ks": ks, "vr": vr, "probs": p,
                "noise": noise, "live": live, "sign": sign, "c": c, "groups": groups, "causal": is_causal})
    return out


# -- multi-head attention ---------------------------------------------------------------------------
def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None,
                     attn_mask: Tensor | None, num_heads: int) -> bool:
    """torch's shape checks; True when the input is batched (3-d query)."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                     f"found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query tensor")


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type: dtypes.dtype | None, other_name: str,
                    target_type: dtypes.dtype, check_other: bool = True) -> Tensor | None:
    """A bool mask (True = masked out) as a float one (-inf where masked); a float mask as is."""
    if mask is None:
        return None
    if mask.dtype != dtypes.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if not mask.dtype.is_floating_point:
        return Tensor._make(xp.where(mask._data, xp.array(-xp.inf, target_type.numpy), xp.zeros((), target_type.numpy)))
    return mask


def _none_or_dtype(input: Tensor | None) -> dtypes.dtype | None:
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or ember.Tensor")


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None) -> list[Tensor]:
    """q, k, v projected by the (3E, E) weight packed in q, k, v order (one product for self-attention)."""
    E = q.size(-1)
    if k is v:
        if q is k:
            proj = linear(q, w, b).unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
            return [proj[0], proj[1], proj[2]]
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return [linear(q, w_q, b_q), kv[0], kv[1]]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)]


def _in_projection(q: Tensor, k: Tensor, v: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor, b_q: Tensor | None,
                   b_k: Tensor | None, b_v: Tensor | None) -> list[Tensor]:
    """q, k, v projected by their own weights (key and value may have other embedding sizes)."""
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    for what, w, shape in (("query", w_q, (Eq, Eq)), ("key", w_k, (Eq, Ek)), ("value", w_v, (Eq, Ev))):
        if tuple(w.shape) != shape:
            raise AssertionError(f"expecting {what} weights shape of {shape}, but got {w.shape}")
    for what, bias in (("query", b_q), ("key", b_k), ("value", b_v)):
        if bias is not None and tuple(bias.shape) != (Eq,):
            raise AssertionError(f"expecting {what} bias shape of {(Eq,)}, but got {bias.shape}")
    return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)]


def _heads(x: Tensor, static: Tensor | None, name: str, bsz: int, num_heads: int, head_dim: int) -> Tensor:
    """(S, N, E) -> (N * heads, S, head_dim), or the given static key/value after torch's checks."""
    if static is None:
        return x.view(x.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.size(0) != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None, bias_v: Tensor | None,
        add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
        training: bool = True, key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
        k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """MultiheadAttention's computation on (L, N, E) query and (S, N, E) key/value (or unbatched (L, E)):
    project, split into heads, attend (weights = softmax(q k^T / sqrt(head_dim) + masks)), merge, project.
    Returns the output and, with ``need_weights``, the attention weights (averaged over heads unless
    ``average_attn_weights=False``)."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
                           "`generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone: SDPA builds the causal mask
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(bsz * num_heads, tgt_len, src_len)}.")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k, v = cat([k, bias_k.repeat(1, bsz, 1)]), cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else nn_ops.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else nn_ops.pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz, num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        zeros = creation.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype)
        k, v = cat([k, zeros], dim=1), cat([v, zeros.to(v.dtype)], dim=1)
        attn_mask = None if attn_mask is None else nn_ops.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else nn_ops.pad(key_padding_mask, (0, 1))
    src_len = k.size(1)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            weights = linalg.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            weights = linalg.bmm(q_scaled, k.transpose(-2, -1))
        weights = softmaxes.softmax(weights, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = linalg.bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, out_proj_weight.shape[0])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.size(0) == 1 and attn_mask.dim() == 3 else attn_mask.view(
            bsz, num_heads, -1, src_len)
    q, k, v = (t.view(bsz, num_heads, -1, head_dim) for t in (q, k, v))
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, out_proj_weight.shape[0])
    return (out if is_batched else out.squeeze(1)), None
