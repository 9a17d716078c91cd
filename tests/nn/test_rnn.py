"""Recurrent layers against torch: built from the same seed each holds torch's exact weights under
torch's names and order; the same inputs give the same outputs, final states and gradients (of the
input, the initial states and every parameter) for each mode and option, packed input included;
dropout between layers draws torch's masks; a few SGD steps stay with torch; bad input raises
torch's exception with torch's message. The fused LSTM ops (one step; one whole layer) pass gradcheck
and gradgradcheck."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from ember.nn import _functional_rnn
from helpers import assert_same, grad_fn_name

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

RNG = np.random.default_rng(0)
TOL = {np.float64: (1e-12, 1e-12), np.float32: (1e-5, 1e-6)}


def _build(make: Callable[[Any], Any], dtype: Any = np.float64, seed: int = 0) -> tuple[Any, Any]:
    """The module made by ``make(T)`` in each library from one seed: the same parameters, names and order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(seed)
        t = make(torch)
        ember.manual_seed(seed)
        e = make(ember)
    t_params, e_params = list(t.named_parameters()), list(e.named_parameters())
    assert [n for n, _ in e_params] == [n for n, _ in t_params]
    for (name, ep), (_, tp) in zip(e_params, t_params, strict=True):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=name)
    if dtype == np.float64:
        e.double(), t.double()
    return e, t


def _leaves(shapes: list[tuple[int, ...]], dtype: Any) -> tuple[list[Any], list[Any]]:
    arrays = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _flat(out: Any) -> list[Any]:
    """The tensors of an RNN's result (output or PackedSequence, then h or (h, c)), in order."""
    output, hidden = out
    data = output.data if hasattr(output, "batch_sizes") else output
    return [data, *(hidden if isinstance(hidden, tuple) else (hidden,))]


def _compare(e: Any, t: Any, e_out: Any, t_out: Any, e_in: list[Any], t_in: list[Any], dtype: Any) -> None:
    """Same outputs and grad_fn names; then, under one random upstream gradient, the same gradients
    of the inputs and of every parameter."""
    rtol, atol = TOL[dtype]
    e_flat, t_flat = _flat(e_out), _flat(t_out)
    for a, b in zip(e_flat, t_flat, strict=True):
        assert_same(a, b, rtol, atol)
    grads = [RNG.standard_normal(tuple(b.shape)).astype(dtype) for b in t_flat]
    ember.autograd.backward(e_flat, [ember.tensor(g) for g in grads])
    torch.autograd.backward(t_flat, [torch.tensor(g) for g in grads])
    for a, b in zip(e_in, t_in, strict=True):
        assert_same(a.grad, b.grad, rtol, atol)
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters(), strict=True):
        assert ep.grad is not None, name
        assert_same(ep.grad, tp.grad, rtol, atol)


CONFIGS: dict[str, Callable[[Any], Any]] = {
    "LSTM": lambda T: T.nn.LSTM(3, 4),
    "LSTM_2layer_bidir": lambda T: T.nn.LSTM(3, 4, num_layers=2, bidirectional=True),
    "LSTM_proj_batch_first": lambda T: T.nn.LSTM(3, 5, num_layers=2, proj_size=2, batch_first=True),
    "LSTM_proj_bidir_nobias": lambda T: T.nn.LSTM(3, 4, proj_size=3, bidirectional=True, bias=False),
    "GRU": lambda T: T.nn.GRU(3, 4),
    "GRU_2layer_bidir_batch_first": lambda T: T.nn.GRU(3, 4, 2, bidirectional=True, batch_first=True),
    "GRU_nobias": lambda T: T.nn.GRU(3, 4, bias=False),
    "RNN_tanh_2layer": lambda T: T.nn.RNN(3, 4, 2),
    "RNN_relu_bidir": lambda T: T.nn.RNN(3, 4, nonlinearity="relu", bidirectional=True),
    "RNN_relu_positional_nobias": lambda T: T.nn.RNN(3, 4, 1, "relu", False, True),
}


def _hidden_shapes(m: Any, batch: int | None) -> list[tuple[int, ...]]:
    layers = m.num_layers * (2 if m.bidirectional else 1)
    lead = (layers,) if batch is None else (layers, batch)
    h = (*lead, m.proj_size or m.hidden_size)
    return [h, (*lead, m.hidden_size)] if m.mode == "LSTM" else [h]


def _pack_hidden(hidden: list[Any], lstm: bool) -> Any:
    return tuple(hidden) if lstm else hidden[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_torch(name: str, batched: bool, with_hx: bool, dtype: Any) -> None:
    e, t = _build(CONFIGS[name], dtype)
    steps, batch = 4, 3
    shape = ((batch, steps, 3) if e.batch_first else (steps, batch, 3)) if batched else (steps, 3)
    shapes = [shape] + (_hidden_shapes(e, batch if batched else None) if with_hx else [])
    e_in, t_in = _leaves(shapes, dtype)
    lstm = e.mode == "LSTM"
    e_args = [e_in[0]] + ([_pack_hidden(e_in[1:], lstm)] if with_hx else [])
    t_args = [t_in[0]] + ([_pack_hidden(t_in[1:], lstm)] if with_hx else [])
    e_out, t_out = e(*e_args), t(*t_args)
    # the states' nodes always match; the output's unless torch's oneDNN path made it (its own node) or torch
    # transposed it in place for batch_first (TransposeBackward1; ember has no in-place transpose)
    e_names, t_names = [grad_fn_name(x) for x in _flat(e_out)], [grad_fn_name(x) for x in _flat(t_out)]
    assert e_names[1:] == t_names[1:]
    if (e.mode != "LSTM" or e.proj_size or e.num_layers > 1 or not batched) and not (e.batch_first and batched):
        assert e_names[0] == t_names[0]
    _compare(e, t, e_out, t_out, e_in, t_in, dtype)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("name", ["LSTM_2layer_bidir", "LSTM_proj_batch_first", "GRU_2layer_bidir_batch_first",
                                  "RNN_relu_bidir"])
def test_packed_input_matches_torch(name: str, enforce_sorted: bool) -> None:
    e, t = _build(CONFIGS[name])
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    shape = (4, 5, 3) if e.batch_first else (5, 4, 3)
    shapes = [shape, *_hidden_shapes(e, 4)]
    e_in, t_in = _leaves(shapes, np.float64)
    lstm = e.mode == "LSTM"
    e_packed = ember.nn.utils.rnn.pack_padded_sequence(e_in[0], lengths, e.batch_first, enforce_sorted)
    t_packed = torch.nn.utils.rnn.pack_padded_sequence(t_in[0], lengths, t.batch_first, enforce_sorted)
    e_out = e(e_packed, _pack_hidden(e_in[1:], lstm))
    t_out = t(t_packed, _pack_hidden(t_in[1:], lstm))
    assert type(e_out[0]).__name__ == "PackedSequence"
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        ev, tv = getattr(e_out[0], field), getattr(t_out[0], field)
        assert (ev is None) == (tv is None) and (tv is None or ev.tolist() == tv.tolist())
    assert [grad_fn_name(x) for x in _flat(e_out)] == [grad_fn_name(x) for x in _flat(t_out)]
    _compare(e, t, e_out, t_out, e_in, t_in, np.float64)


def test_packed_input_without_hx() -> None:
    e, t = _build(lambda T: T.nn.LSTM(3, 4, bidirectional=True))
    e_in, t_in = _leaves([(3, 3, 3)], np.float64)
    e_out = e(ember.nn.utils.rnn.pack_padded_sequence(e_in[0], [1, 3, 2], enforce_sorted=False))
    t_out = t(torch.nn.utils.rnn.pack_padded_sequence(t_in[0], [1, 3, 2], enforce_sorted=False))
    _compare(e, t, e_out, t_out, e_in, t_in, np.float64)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_dropout_between_layers_draws_torchs_masks(mode: str) -> None:
    e, t = _build(lambda T: getattr(T.nn, mode)(3, 4, 3, dropout=0.4, bidirectional=True))
    e_in, t_in = _leaves([(5, 2, 3)], np.float64)
    torch.manual_seed(5)
    ember.manual_seed(5)
    e_out, t_out = e(e_in[0]), t(t_in[0])
    _compare(e, t, e_out, t_out, e_in, t_in, np.float64)
    e.eval(), t.eval()
    assert_same(e(e_in[0])[0], t(t_in[0])[0], 1e-12, 1e-12)


def test_parameters_repr_and_attributes() -> None:
    for make in [*CONFIGS.values(), lambda T: T.nn.LSTM(3, 4, 2, bias=False, batch_first=True, dropout=0.5,
                                                          bidirectional=True, proj_size=2)]:
        e, t = _build(make, np.float32)
        assert repr(e) == repr(t)
        assert [[p.shape for p in ps] for ps in e.all_weights] == [[p.shape for p in ps] for ps in t.all_weights]
        assert [p for ps in e.all_weights for p in ps] == list(e.parameters())
        assert e._flat_weights_names == t._flat_weights_names
        assert e.flatten_parameters() is None
    for make in (lambda T: T.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), lambda T: T.nn.LSTMCell(3, 4),
                 lambda T: T.nn.GRUCell(3, 4, dtype=T.float64)):
        e, t = _build(make, np.float32)
        assert repr(e) == repr(t)


def test_dropout_warning_matches_torch() -> None:
    with warnings.catch_warnings(record=True) as t_w:
        warnings.simplefilter("always")
        torch.nn.LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings(record=True) as e_w:
        warnings.simplefilter("always")
        ember.nn.LSTM(3, 4, dropout=0.5)
    assert [str(w.message) for w in e_w] == [str(w.message) for w in t_w]
    # stacklevel=2 names the subclass's __init__ in both: torch/nn/modules/rnn.py, ember/nn/modules/rnn.py
    assert e_w[0].category is t_w[0].category
    assert e_w[0].filename.endswith("ember/nn/modules/rnn.py") and t_w[0].filename.endswith("torch/nn/modules/rnn.py")


def test_sgd_steps_match_torch() -> None:
    e, t = _build(lambda T: T.nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True), np.float32)
    x = RNG.standard_normal((6, 2, 3)).astype(np.float32)
    e_opt = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        for m, opt, T in ((e, e_opt, ember), (t, t_opt, torch)):
            opt.zero_grad()
            out, (h, c) = m(T.tensor(x))
            ((out ** 2).mean() + h.sum() + c.mean()).backward()
            opt.step()
    for ep, tp in zip(e.parameters(), t.parameters(), strict=True):
        assert_same(ep, tp, 1e-5, 1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", ["RNNCell", "RNNCell_relu", "LSTMCell", "GRUCell", "GRUCell_nobias"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cells_match_torch(cell: str, batched: bool, with_hx: bool, dtype: Any) -> None:
    name, _, opt = cell.partition("_")
    kwargs = {"nonlinearity": "relu"} if opt == "relu" else {"bias": False} if opt == "nobias" else {}
    e, t = _build(lambda T: getattr(T.nn, name)(3, 4, **kwargs), dtype)
    lead = (2,) if batched else ()
    shapes = [(*lead, 3)] + ([(*lead, 4)] * (2 if name == "LSTMCell" else 1) if with_hx else [])
    e_in, t_in = _leaves(shapes, dtype)
    lstm = name == "LSTMCell"
    e_out = e(e_in[0], _pack_hidden(e_in[1:], lstm)) if with_hx else e(e_in[0])
    t_out = t(t_in[0], _pack_hidden(t_in[1:], lstm)) if with_hx else t(t_in[0])
    e_flat, t_flat = (list(e_out), list(t_out)) if lstm else ([e_out], [t_out])
    assert [grad_fn_name(x) for x in e_flat] == [grad_fn_name(x) for x in t_flat]
    _compare(e, t, (e_flat[0], tuple(e_flat[1:])), (t_flat[0], tuple(t_flat[1:])), e_in, t_in, dtype)


def test_lstm_step_gradcheck() -> None:
    """The fused step: finite differences agree with its backward, and with its double backward."""
    rng = np.random.default_rng(3)
    args = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 12), (2, 3), (2, 3), (12, 3))]

    def step(*xs: Any) -> tuple[Any, Any]:
        return _functional_rnn.lstm_step(*xs)

    assert ember.autograd.gradcheck(step, args)
    assert ember.autograd.gradgradcheck(step, args)
    # only c' used: h' gets no gradient
    assert ember.autograd.gradcheck(lambda *xs: step(*xs)[1], args)
    assert ember.autograd.gradgradcheck(lambda *xs: step(*xs)[0], args)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_layer_gradcheck(reverse: bool) -> None:
    """The fused whole-layer op (unpacked LSTM without projections): backward and double backward."""
    rng = np.random.default_rng(5)
    args = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 2, 8), (2, 2), (2, 2), (8, 2))]

    def layer(*xs: Any) -> tuple[Any, ...]:
        return _functional_rnn.lstm_layer(*xs, reverse=reverse)

    assert ember.autograd.gradcheck(layer, args)
    assert ember.autograd.gradgradcheck(layer, args)
    assert ember.autograd.gradcheck(lambda *xs: layer(*xs)[2], args)  # only c_n used
    assert ember.autograd.gradgradcheck(lambda *xs: layer(*xs)[0], args)


def test_layer_gradcheck() -> None:
    ember.manual_seed(0)
    m = ember.nn.LSTM(2, 3, 2, bidirectional=True, proj_size=1).double()
    x = ember.tensor(np.random.default_rng(4).standard_normal((3, 2, 2)), requires_grad=True)
    params = list(m.parameters())

    def run(x: Any, *ps: Any) -> tuple[Any, ...]:
        out, (h, c) = m(x)
        return out, h, c

    assert ember.autograd.gradcheck(run, [x, *params])


def test_freed_graph_raises_as_torch() -> None:
    e, t = _build(lambda T: T.nn.LSTM(2, 3), np.float32)
    e_in, t_in = _leaves([(2, 1, 2)], np.float32)
    e_out, t_out = e(e_in[0])[0].sum(), t(t_in[0])[0].sum()
    e_out.backward(), t_out.backward()
    with pytest.raises(RuntimeError) as t_err:
        t_out.backward()
    with pytest.raises(RuntimeError) as e_err:
        e_out.backward()
    assert str(e_err.value) == str(t_err.value)


def _errors() -> list[tuple[str, Callable[[Any], Any]]]:
    z = lambda T, *s, **k: T.zeros(*s, **k)  # noqa: E731
    lstm = lambda T: T.nn.LSTM(3, 4)  # noqa: E731
    return [
        ("lstm_input_size", lambda T: lstm(T)(z(T, 5, 2, 6))),
        ("lstm_4d", lambda T: lstm(T)(z(T, 5, 2, 3, 1))),
        ("lstm_h_size", lambda T: lstm(T)(z(T, 5, 2, 3), (z(T, 1, 3, 4), z(T, 1, 2, 4)))),
        ("lstm_c_size", lambda T: lstm(T)(z(T, 5, 2, 3), (z(T, 1, 2, 4), z(T, 1, 2, 5)))),
        ("lstm_proj_h_size", lambda T: T.nn.LSTM(3, 4, proj_size=2)(z(T, 5, 2, 3), (z(T, 1, 2, 4), z(T, 1, 2, 4)))),
        ("lstm_batched_hx_dims", lambda T: lstm(T)(z(T, 5, 2, 3), (z(T, 2, 4), z(T, 1, 2, 4)))),
        ("lstm_unbatched_hx_dims", lambda T: lstm(T)(z(T, 5, 3), (z(T, 1, 2, 4), z(T, 1, 2, 4)))),
        ("lstm_dtype", lambda T: lstm(T)(z(T, 5, 2, 3, dtype=T.float64))),
        ("lstm_hx_not_tuple", lambda T: lstm(T)(z(T, 5, 2, 3), z(T, 1, 2, 4))),
        ("lstm_packed_input_size", lambda T: lstm(T)(T.nn.utils.rnn.pack_padded_sequence(z(T, 3, 2, 5), [3, 1]))),
        ("gru_hx_size", lambda T: T.nn.GRU(3, 4)(z(T, 5, 2, 3), z(T, 1, 3, 4))),
        ("gru_batched_hx_dims", lambda T: T.nn.GRU(3, 4)(z(T, 5, 2, 3), z(T, 2, 4))),
        ("gru_unbatched_hx_dims", lambda T: T.nn.GRU(3, 4)(z(T, 5, 3), z(T, 1, 2, 4))),
        ("gru_4d", lambda T: T.nn.GRU(3, 4)(z(T, 5, 2, 3, 1))),
        ("rnn_4d", lambda T: T.nn.RNN(3, 4)(z(T, 5, 2, 3, 1))),
        ("rnn_input_size", lambda T: T.nn.RNN(3, 4)(z(T, 5, 2, 6))),
        ("rnn_hidden_size", lambda T: T.nn.RNN(3, 4, 2)(z(T, 5, 2, 3), z(T, 1, 2, 4))),
        ("rnn_nonlinearity", lambda T: T.nn.RNN(3, 4, nonlinearity="foo")),
        ("rnn_proj", lambda T: T.nn.RNN(3, 4, proj_size=2)),
        ("gru_proj", lambda T: T.nn.GRU(3, 4, proj_size=2)),
        ("proj_too_big", lambda T: T.nn.LSTM(3, 4, proj_size=4)),
        ("proj_negative", lambda T: T.nn.LSTM(3, 4, proj_size=-1)),
        ("dropout_range", lambda T: T.nn.LSTM(3, 4, dropout=1.5)),
        ("dropout_bool", lambda T: T.nn.LSTM(3, 4, dropout=True)),
        ("hidden_zero", lambda T: T.nn.LSTM(3, 0)),
        ("input_zero", lambda T: T.nn.LSTM(0, 3)),
        ("layers_zero", lambda T: T.nn.LSTM(3, 4, num_layers=0)),
        ("input_float", lambda T: T.nn.LSTM(3.0, 4)),
        ("hidden_float", lambda T: T.nn.GRU(3, 4.0)),
        ("bias_int", lambda T: T.nn.LSTM(3, 4, bias=1)),
        ("batch_first_int", lambda T: T.nn.LSTM(3, 4, batch_first=1)),
        ("lstmcell_input_size", lambda T: T.nn.LSTMCell(3, 4)(z(T, 2, 5))),
        ("lstmcell_h_batch", lambda T: T.nn.LSTMCell(3, 4)(z(T, 2, 3), (z(T, 3, 4), z(T, 2, 4)))),
        ("lstmcell_h_size", lambda T: T.nn.LSTMCell(3, 4)(z(T, 2, 3), (z(T, 2, 5), z(T, 2, 4)))),
        ("lstmcell_c_size", lambda T: T.nn.LSTMCell(3, 4)(z(T, 2, 3), (z(T, 2, 4), z(T, 2, 5)))),
        ("lstmcell_c_batch", lambda T: T.nn.LSTMCell(3, 4)(z(T, 2, 3), (z(T, 2, 4), z(T, 1, 4)))),
        ("lstmcell_3d", lambda T: T.nn.LSTMCell(3, 4)(z(T, 2, 2, 3))),
        ("lstmcell_hx_3d", lambda T: T.nn.LSTMCell(3, 4)(z(T, 2, 3), (z(T, 2, 2, 4), z(T, 2, 4)))),
        ("grucell_input_size", lambda T: T.nn.GRUCell(3, 4)(z(T, 2, 5))),
        ("grucell_h_batch", lambda T: T.nn.GRUCell(3, 4)(z(T, 2, 3), z(T, 3, 4))),
        ("grucell_hx_3d", lambda T: T.nn.GRUCell(3, 4)(z(T, 2, 3), z(T, 2, 2, 4))),
        ("rnncell_h_size", lambda T: T.nn.RNNCell(3, 4)(z(T, 2, 3), z(T, 2, 5))),
        ("rnncell_unbatched_h", lambda T: T.nn.RNNCell(3, 4)(z(T, 3), z(T, 2, 4))),
        ("rnncell_dtype", lambda T: T.nn.RNNCell(3, 4)(z(T, 2, 3, dtype=T.float64))),
        ("rnncell_nonlinearity", lambda T: T.nn.RNNCell(3, 4, nonlinearity="foo")(z(T, 2, 3))),
    ]


@pytest.mark.parametrize("make", [m for _, m in _errors()], ids=[n for n, _ in _errors()])
def test_errors_match_torch(make: Callable[[Any], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t_err:
            make(torch)
        with pytest.raises(type(t_err.value)) as e_err:
            make(ember)
    assert str(e_err.value) == str(t_err.value).replace("torch.", "ember.")
