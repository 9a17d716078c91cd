"""The recurrent computations behind ``nn.RNN / LSTM / GRU`` and their cells (torch's ``_VF.lstm``,
``_VF.gru``, ``_VF.rnn_tanh`` ... and ``lstm_cell``, ``gru_cell`` ...).

Per layer and direction the input projection of all time steps is one matrix product; then each
step adds the recurrent term. With gates split as torch orders them:

    RNN:  h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)                       act = tanh or relu
    LSTM: i, f, g, o = sig, sig, tanh, sig of (x W_ih^T + b_ih + h W_hh^T + b_hh)
          c' = f c + i g,   h' = o tanh(c')            (then h' W_hr^T with projections)
    GRU:  r, z = sig(x W_ih^T + b_ih + h W_hh^T + b_hh)  (their chunks)
          n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),   h' = (1 - z) n + z h

An LSTM step is one fused op (``lstm_step``): forward on arrays, and a backward that computes the
gates' gradient once for all four inputs; under ``create_graph`` it recomputes the step from its
saved inputs with ember ops, so higher-order gradients work too. RNN and GRU steps are composed
of ember ops.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ember import creation
from ember.autograd import node as _node
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node
from ember.backend import xp
from ember.nn._functional_layers import dropout
from ember.ops import elementwise
from ember.ops.joining import cat, split, stack, unbind
from ember.ops.linalg import addmm, matmul
from ember.ops.registry import attach
from ember.tensor import Tensor

__all__ = ["gru_cell", "lstm_cell", "lstm_cell_gates", "lstm_layer", "lstm_step", "rnn", "rnn_relu_cell",
           "rnn_tanh_cell"]


# -- the fused LSTM step and layer -----------------------------------------------------------------
def _step_forward(gx: Any, h: Any, c: Any, w: Any, act: Any, c_out: Any, tc_out: Any, h_out: Any) -> None:
    """One step on arrays: gate activations into ``act`` (i, f, o sigmoid; g tanh), c', tanh(c'), h'."""
    n = c.shape[1]
    xp.matmul(h, w.T, out=act)
    act += gx
    g = xp.tanh(act[:, 2 * n:3 * n])
    xp.negative(act, out=act)  # sigmoid over all four blocks in place, then the g block set to its tanh
    xp.exp(act, out=act)
    act += 1
    xp.reciprocal(act, out=act)
    act[:, 2 * n:3 * n] = g
    xp.multiply(act[:, n:2 * n], c, out=c_out)
    c_out += act[:, :n] * g
    xp.tanh(c_out, out=tc_out)
    xp.multiply(act[:, 3 * n:], tc_out, out=h_out)


def _step_backward(dh: Any, dc: Any, act: Any, tc: Any, c: Any, d: Any) -> Any:
    """One step's backward on arrays: dL/dgates into ``d``; returns dL/dc (either incoming gradient may be None)."""
    n = tc.shape[1]
    i, f, g, o = act[:, :n], act[:, n:2 * n], act[:, 2 * n:3 * n], act[:, 3 * n:]
    if dh is None:
        dct = dc
        d[:, 3 * n:] = 0
    else:  # dL/dc' in total: through h' = o tanh(c') and directly
        dct = dh * o
        dct *= 1 - tc * tc
        if dc is not None:
            dct += dc
        xp.multiply(dh, tc, out=d[:, 3 * n:])
    xp.multiply(dct, g, out=d[:, :n])
    xp.multiply(dct, c, out=d[:, n:2 * n])
    xp.multiply(dct, i, out=d[:, 2 * n:3 * n])
    slope = act * (1 - act)  # sigmoid' = s (1 - s); tanh' = 1 - t^2 for the g block
    xp.subtract(1, g * g, out=slope[:, 2 * n:3 * n])
    d *= slope
    return dct * f


class LstmStepBackward0(Node):
    """The node of ``lstm_step``: outputs (h', c'), inputs (gates_x, h, c, w_hh)."""

    __slots__ = ()
    _num_outputs = 2

    def apply(self, grads: list[Any], needs: tuple[bool, ...], as_tensor: bool) -> list[Any]:
        if self._versions:
            self._check_versions()
        ctx = self._ctx
        if "act" not in ctx:
            raise RuntimeError(_node._FREED_MESSAGE)
        if as_tensor:
            return _lstm_step_grads_tensor(*grads, ctx["gx"], ctx["h"], ctx["c"], ctx["w"], needs)
        act, h, w = ctx["act"], ctx["h"]._data, ctx["w"]._data
        d = xp.empty_like(act)
        dc = _step_backward(grads[0], grads[1], act, ctx["tc"], ctx["c"]._data, d)
        return [d if needs[0] else None, d @ w if needs[1] else None, dc if needs[2] else None,
                d.T @ h if needs[3] else None]


def _requires_grad(*tensors: Tensor) -> bool:
    return grad_state.enabled and any(t._requires_grad for t in tensors)


def _attach_outputs(outs: tuple[Tensor, ...], cls: type[Node], inputs: tuple[Tensor, ...], ctx: dict[str, Any]) -> None:
    attach(outs[0], cls, inputs, ctx)
    for nr, t in enumerate(outs[1:], 1):
        t._grad_fn, t._requires_grad, t._output_nr = outs[0]._grad_fn, True, nr


def lstm_step(gates_x: Tensor, h: Tensor, c: Tensor, w_hh: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step: gates = gates_x + h W_hh^T (gates_x holds x W_ih^T and both biases); returns (h', c')."""
    c_data = c._data
    act = xp.empty(gates_x._data.shape, c_data.dtype)
    c_new, tc, h_new = xp.empty_like(c_data), xp.empty_like(c_data), xp.empty_like(c_data)
    _step_forward(gates_x._data, h._data, c_data, w_hh._data, act, c_new, tc, h_new)
    outs = Tensor._make(h_new), Tensor._make(c_new)
    if _requires_grad(gates_x, h, c, w_hh):
        _attach_outputs(outs, LstmStepBackward0, (gates_x, h, c, w_hh),
                        {"act": act, "tc": tc, "gx": gates_x, "h": h, "c": c, "w": w_hh})
    return outs


class MkldnnRnnLayerBackward0(Node):
    """The node of ``lstm_layer`` (torch names its whole-layer LSTM node so): outputs (out, h_n, c_n),
    inputs (gates_x, h0, c0, w_hh)."""

    __slots__ = ()
    _num_outputs = 3

    def apply(self, grads: list[Any], needs: tuple[bool, ...], as_tensor: bool) -> list[Any]:
        if self._versions:
            self._check_versions()
        ctx = self._ctx
        if "act" not in ctx:
            raise RuntimeError(_node._FREED_MESSAGE)
        if as_tensor:
            return _lstm_layer_grads_tensor(grads, ctx["gx"], ctx["h0"], ctx["c0"], ctx["w"], ctx["reverse"], needs)
        act, tc, out, cs, w = ctx["act"], ctx["tc"], ctx["result"], ctx["cs"], ctx["w"]._data
        h0, c0 = ctx["h0"]._data, ctx["c0"]._data
        steps = act.shape[0]
        # the state each step started from, in time order
        if ctx["reverse"]:
            h_prev, c_prev = xp.concatenate([out[1:], h0[None]]), xp.concatenate([cs[1:], c0[None]])
            order = range(steps)
        else:
            h_prev, c_prev = xp.concatenate([h0[None], out[:-1]]), xp.concatenate([c0[None], cs[:-1]])
            order = range(steps - 1, -1, -1)
        dout, dh, dc = grads
        d = xp.empty_like(act)
        for t in order:
            if dout is not None:
                dh = dout[t] if dh is None else dh + dout[t]
            dc = _step_backward(dh, dc, act[t], tc[t], c_prev[t], d[t])
            dh = d[t] @ w
        flat = d.reshape(-1, d.shape[2])
        return [d if needs[0] else None, dh if needs[1] else None, dc if needs[2] else None,
                flat.T @ h_prev.reshape(flat.shape[0], -1) if needs[3] else None]


def lstm_layer(gates_x: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, reverse: bool = False
               ) -> tuple[Tensor, Tensor, Tensor]:
    """One direction of an LSTM layer over all steps of ``gates_x`` (T, B, 4H): (outputs (T, B, H), h_n, c_n)."""
    gx = gates_x._data
    steps, batch = gx.shape[0], gx.shape[1]
    h, c, w = h0._data, c0._data, w_hh._data
    act = xp.empty(gx.shape, c.dtype)
    out, cs, tc = (xp.empty((steps, batch, c.shape[1]), c.dtype) for _ in range(3))
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        _step_forward(gx[t], h, c, w, act[t], cs[t], tc[t], out[t])
        h, c = out[t], cs[t]
    outs = Tensor._make(out), Tensor._make(h.copy()), Tensor._make(c.copy())
    if _requires_grad(gates_x, h0, c0, w_hh):
        _attach_outputs(outs, MkldnnRnnLayerBackward0, (gates_x, h0, c0, w_hh),
                        {"act": act, "tc": tc, "result": out, "cs": cs, "gx": gates_x, "h0": h0, "c0": c0,
                         "w": w_hh, "reverse": reverse})
    return outs


def _lstm_layer_grads_tensor(grads: list[Any], gx: Tensor, h0: Tensor, c0: Tensor, w: Tensor, reverse: bool,
                             needs: tuple[bool, ...]) -> list[Any]:
    """The layer's gradients as ember ops: the steps recomputed, then back-propagated one by one."""
    order = list(range(gx.shape[0] - 1, -1, -1) if reverse else range(gx.shape[0]))
    starts, h, c = {}, h0, c0
    for t in order:
        starts[t] = (h, c)
        h, c = lstm_cell_gates(gx[t] + matmul(h, w.t()), c)
    dout, dh, dc = grads
    dgx: list[Any] = [None] * len(order)
    dw = None
    for t in reversed(order):
        if dout is not None:
            dh = dout[t] if dh is None else dh + dout[t]
        dgx[t], dh, dc, dw_t = _lstm_step_grads_tensor(dh, dc, gx[t], *starts[t], w, (True,) * 4)
        dw = dw_t if dw is None else dw + dw_t
    return [stack(dgx) if needs[0] else None, dh if needs[1] else None, dc if needs[2] else None,
            dw if needs[3] else None]


def _lstm_step_grads_tensor(dh: Tensor | None, dc: Tensor | None, gx: Tensor, h: Tensor, c: Tensor, w: Tensor,
                            needs: tuple[bool, ...]) -> list[Any]:
    """The step's gradients as ember ops on the step recomputed from its inputs (differentiable again)."""
    i, f, g, o = _gates(gx + matmul(h, w.t()))
    tc = elementwise.tanh(f * c + i * g)
    dct = creation.zeros_like(c) if dc is None else dc
    if dh is not None:
        dct = dct + dh * o * (1 - tc * tc)
    do = creation.zeros_like(c) if dh is None else dh * tc
    d = cat([dct * g * i * (1 - i), dct * c * f * (1 - f), dct * i * (1 - g * g), do * o * (1 - o)], 1)
    return [d if needs[0] else None,
            matmul(d, w) if needs[1] else None,
            dct * f if needs[2] else None,
            matmul(d.t(), h) if needs[3] else None]


# -- cells, composed of ember ops (torch's lstm_cell, gru_cell, rnn_tanh_cell, rnn_relu_cell) -------
def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    return matmul(x, w.t()) if b is None else addmm(b, x, w.t())


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return elementwise.tanh(_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh))


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return elementwise.relu(_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh))


def lstm_cell(input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(h', c') of one LSTM step (formulas in the module docstring)."""
    return lstm_cell_gates(_linear(input, w_ih, b_ih) + _linear(hx[0], w_hh, b_hh), hx[1])


def _gates(gates: Tensor) -> tuple[Tensor, ...]:
    i, f, g, o = gates.chunk(4, 1)
    return elementwise.sigmoid(i), elementwise.sigmoid(f), elementwise.tanh(g), elementwise.sigmoid(o)


def lstm_cell_gates(gates: Tensor, cx: Tensor) -> tuple[Tensor, Tensor]:
    """(h', c') from the summed gate pre-activations (B, 4H) and c."""
    i, f, g, o = _gates(gates)
    cy = f * cx + i * g
    return o * elementwise.tanh(cy), cy


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """h' of one GRU step (formulas in the module docstring)."""
    return _gru_step(_linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def _gru_step(gates_x: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    xr, xz, xn = gates_x.chunk(3, 1)
    hr, hz, hn = _linear(h, w_hh, b_hh).chunk(3, 1)
    r = elementwise.sigmoid(hr + xr)
    z = elementwise.sigmoid(hz + xz)
    n = elementwise.tanh(xn + hn * r)
    return (h - n) * z + n


# -- whole layers -----------------------------------------------------------------------------------
Step = Callable[[Tensor, tuple[Tensor, ...]], tuple[Tensor, ...]]


def _step_fn(mode: str, params: Sequence[Tensor], has_biases: bool, proj: bool) -> Step:
    """The recurrence of one step: (gates_x, state) -> state; state[0] is the step's output."""
    w_hh = params[1]
    if mode == "LSTM":
        w_hr = params[-1] if proj else None

        def lstm(gx: Tensor, state: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
            h, c = lstm_step(gx, state[0], state[1], w_hh)
            return (h if w_hr is None else matmul(h, w_hr.t()), c)

        return lstm
    if mode == "GRU":
        b_hh = params[3] if has_biases else None
        return lambda gx, state: (_gru_step(gx, state[0], w_hh, b_hh),)
    act = elementwise.tanh if mode == "RNN_TANH" else elementwise.relu
    return lambda gx, state: (act(addmm(gx, state[0], w_hh.t())),)


def _input_gates(mode: str, x: Tensor, params: Sequence[Tensor], has_biases: bool) -> Tensor:
    """x W_ih^T plus the biases that add outside the recurrence (GRU keeps b_hh for its step)."""
    w_ih = params[0]
    if not has_biases:
        return matmul(x, w_ih.t())
    bias = params[2] if mode == "GRU" else params[2] + params[3]
    return addmm(bias, x, w_ih.t())


def _layer(mode: str, x: Tensor, batch_sizes: list[int] | None, state: tuple[Tensor, ...],
           params: Sequence[Tensor], has_biases: bool, proj: bool, reverse: bool) -> tuple[Tensor, tuple[Tensor, ...]]:
    """One direction of one layer over all steps: (outputs, final state). ``x`` is (T, B, I), or the
    packed rows (N, I) with ``batch_sizes``."""
    if mode == "LSTM" and not proj and batch_sizes is None:  # the whole layer in one op
        gates = _input_gates(mode, x.reshape(-1, x.shape[2]), params, has_biases)
        out, h, c = lstm_layer(gates.view(x.shape[0], x.shape[1], -1), state[0], state[1], params[1], reverse)
        return out, (h, c)
    step = _step_fn(mode, params, has_biases, proj)
    if batch_sizes is None:
        steps, batch = x.shape[0], x.shape[1]
        gates = split(_input_gates(mode, x.reshape(steps * batch, x.shape[2]), params, has_biases), batch)
        outputs = []
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            state = step(gates[t], state)
            outputs.append(state[0])
        return stack(outputs[::-1] if reverse else outputs), state
    gates = split(_input_gates(mode, x, params, has_biases), batch_sizes)
    outputs = []
    if not reverse:
        finished = []  # the final states of sequences that ended, longest-running last
        for t, bs in enumerate(batch_sizes):
            if bs < state[0].shape[0]:
                finished.append(tuple(s[bs:] for s in state))
                state = tuple(s[:bs] for s in state)
            state = step(gates[t], state)
            outputs.append(state[0])
        finished.append(state)
        final = tuple(cat([f[k] for f in reversed(finished)]) if len(finished) > 1 else state[k]
                      for k in range(len(state)))
        return cat(outputs), final
    initial, state = state, tuple(s[:batch_sizes[-1]] for s in state)
    for t in range(len(batch_sizes) - 1, -1, -1):
        bs = batch_sizes[t]
        if bs > state[0].shape[0]:  # sequences that start here (walking backwards) join
            state = tuple(cat([s, s0[s.shape[0]:bs]]) for s, s0 in zip(state, initial, strict=True))
        state = step(gates[t], state)
        outputs.append(state[0])
    return cat(outputs[::-1]), state


def rnn(mode: str, input: Tensor, hx: tuple[Tensor, ...], params: Sequence[Sequence[Tensor]], has_biases: bool,
        num_layers: int, dropout_p: float, train: bool, bidirectional: bool, batch_first: bool,
        batch_sizes: Tensor | None = None, proj_size: int = 0) -> tuple[Tensor, tuple[Tensor, ...]]:
    """A multi-layer RNN/LSTM/GRU (``mode``) over ``input``: (output, final states stacked per layer and
    direction). ``hx`` holds h0 (and c0); ``params[k]`` are layer k // D's weights in direction k % D.
    With ``batch_sizes`` the input is packed rows and so is the output."""
    sizes = None if batch_sizes is None else [int(b) for b in batch_sizes._data]
    x = input.transpose(0, 1) if batch_first and sizes is None else input
    directions = 2 if bidirectional else 1
    initial = [unbind(s, 0) for s in hx]
    finals: list[tuple[Tensor, ...]] = []
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            out, state = _layer(mode, x, sizes, tuple(s[k] for s in initial), params[k], has_biases, proj_size > 0,
                                d == 1)
            outs.append(out)
            finals.append(state)
        x = outs[0] if directions == 1 else cat(outs, x.dim() - 1)
        if dropout_p != 0 and train and layer < num_layers - 1:
            x = dropout(x, dropout_p, True)
    if batch_first and sizes is None:
        x = x.transpose(0, 1)
    return x, tuple(stack([f[k] for f in finals]) for k in range(len(hx)))
