"""nn.Module, nn.Parameter, the containers and nn.utils against torch: each scenario is written
once as ``scenario(T)`` with ``T`` torch or ember and runs on both; names, orders, reprs, state
dicts, error types and messages (``torch.`` read as ``ember.``) and numbers are compared."""
from __future__ import annotations

import copy
import pickle
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same

torch = pytest.importorskip("torch")


def _both(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    return fn(ember), fn(torch)


def _same_error(fn: Callable[[Any], Any]) -> None:
    with pytest.raises(Exception) as expected:
        fn(torch)
    with pytest.raises(type(expected.value)) as got:
        fn(ember)
    # torch's messages say "torch.X" and, for buffers, "torch Tensor": ember's say ember
    assert str(got.value) == str(expected.value).replace("torch.", "ember.").replace("torch Tensor", "ember Tensor")


def _net(T: Any) -> Any:
    """A model with nested modules, a shared submodule, a buffer, a non-persistent buffer, a
    direct parameter and a None parameter."""
    nn = T.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.norm = nn.LayerNorm(4)
            self.register_buffer("steps", T.zeros(()))

        def forward(self, x: Any) -> Any:
            return self.norm(self.fc(x).relu())

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(T.ones(4))
            self.register_parameter("unused", None)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.shared = self.blocks[0]
            self.head = nn.Sequential(OrderedDict(act=nn.Tanh(), out=nn.Linear(4, 2)))
            self.register_buffer("cache", T.zeros(2), persistent=False)

        def forward(self, x: Any) -> Any:
            for block in self.blocks:
                x = block(x)
            return self.head(x * self.scale)

    T.manual_seed(0)
    return Net()


# -- Parameter ----------------------------------------------------------------------------------------------
def test_parameter() -> None:
    for make in (lambda T: T.nn.Parameter(T.ones(2, 2)), lambda T: T.nn.Parameter(),
                 lambda T: T.nn.Parameter(T.arange(3), requires_grad=False),
                 lambda T: T.nn.Parameter(T.ones(2, dtype=T.float64), requires_grad=False)):
        e, t = _both(make)
        assert repr(e) == repr(t).replace("torch.", "ember.")
        assert e.requires_grad == t.requires_grad and e.is_leaf and type(e).__name__ == "Parameter"
    _same_error(lambda T: T.nn.Parameter(T.tensor([1, 2])))
    base = ember.zeros(3)
    p = ember.nn.Parameter(base * 1)
    q = ember.nn.Parameter(base)
    with ember.no_grad():
        q.add_(1)
    assert p.is_leaf and p.grad_fn is None and base.tolist() == [1.0, 1.0, 1.0]  # shares memory
    assert type(p * 2) is ember.Tensor and type(p.detach()) is ember.Tensor
    p.grad = ember.ones(3)
    c = copy.deepcopy(p)
    assert isinstance(c, ember.nn.Parameter) and c.grad is None and c.tolist() == p.tolist()
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, ember.nn.Parameter) and r.requires_grad and r.tolist() == p.tolist()


def test_buffer_class() -> None:
    def scenario(T: Any) -> Any:
        m = T.nn.Module()
        m.a = T.nn.Buffer(T.ones(2))
        m.b = T.nn.Buffer(T.zeros(1), persistent=False)
        return list(m.state_dict()), [n for n, _ in m.named_buffers()]

    e, t = _both(scenario)
    assert e == t


# -- registration and iteration ---------------------------------------------------------------------------
def test_named_members_and_state_dict_keys() -> None:
    def scenario(T: Any) -> Any:
        m = _net(T)
        return ([n for n, _ in m.named_parameters()], [n for n, _ in m.named_parameters(remove_duplicate=False)],
                [n for n, _ in m.named_buffers()], [n for n, _ in m.named_children()],
                [n for n, _ in m.named_modules()], [n for n, _ in m.named_modules(remove_duplicate=False)],
                [n for n, _ in m.named_parameters(prefix="model", recurse=False)],
                len(list(m.parameters())), len(list(m.buffers(recurse=False))), len(list(m.children())),
                len(list(m.modules())), list(m.state_dict()), list(m.state_dict(prefix="p.", keep_vars=True)),
                [type(v).__name__ for v in m.state_dict(keep_vars=True).values()], dict(m.state_dict()._metadata),
                [k in dir(m) for k in ("scale", "blocks", "head", "cache", "unused", "forward", "0")])

    e, t = _both(scenario)
    assert e == t


def test_attribute_assignment_rules() -> None:
    def scenario(T: Any) -> Any:
        m = T.nn.Module()
        m.w = T.nn.Parameter(T.ones(1))
        m.w = None  # stays a registered (None) parameter
        m.sub = T.nn.Linear(1, 1)
        m.sub = None
        m.buf = T.nn.Buffer(T.ones(1))
        m.buf = T.zeros(2)  # a tensor assigned to a buffer name stays a buffer
        m.plain = T.zeros(1)  # a plain tensor is a plain attribute
        m.w = T.nn.Parameter(T.ones(3))
        m.buf2 = T.nn.Buffer(T.ones(1))
        m.buf2 = T.nn.Linear(1, 1)  # a module replaces a buffer
        del m.sub
        return (list(m._parameters), list(m._buffers), list(m._modules), "plain" in m.__dict__,
                [n for n, _ in m.named_parameters()], m.w.shape == (3,), "sub" in dir(m))

    e, t = _both(scenario)
    assert e == t


REGISTRATION_ERRORS: dict[str, Callable[[Any], Any]] = {
    "param_type": lambda T: setattr(_with_param(T), "w", T.ones(1)),
    "module_type": lambda T: setattr(_with_child(T), "c", 3),
    "buffer_type": lambda T: setattr(_with_buffer(T), "b", 3),
    "register_buffer_type": lambda T: T.nn.Module().register_buffer("b", 3),
    "register_buffer_name": lambda T: T.nn.Module().register_buffer("a.b", T.ones(1)),
    "register_buffer_empty": lambda T: T.nn.Module().register_buffer("", T.ones(1)),
    "register_buffer_int_name": lambda T: T.nn.Module().register_buffer(1, T.ones(1)),
    "register_buffer_exists": lambda T: T.nn.Module().register_buffer("train", T.ones(1)),
    "register_parameter_type": lambda T: T.nn.Module().register_parameter("p", T.ones(1)),
    "register_parameter_name": lambda T: T.nn.Module().register_parameter("a.b", None),
    "register_parameter_empty": lambda T: T.nn.Module().register_parameter("", None),
    "add_module_type": lambda T: T.nn.Module().add_module("m", 3),
    "add_module_name": lambda T: T.nn.Module().add_module("a.b", None),
    "add_module_empty": lambda T: T.nn.Module().add_module("", None),
    "add_module_int_name": lambda T: T.nn.Module().add_module(1, None),
    "add_module_exists": lambda T: T.nn.Module().add_module("training", None),
    "before_init_param": lambda T: _uninitialised(T).__setattr__("p", T.nn.Parameter(T.ones(1))),
    "before_init_module": lambda T: _uninitialised(T).__setattr__("m", T.nn.Linear(1, 1)),
    "before_init_buffer": lambda T: _uninitialised(T).register_buffer("b", T.ones(1)),
    "before_init_register_param": lambda T: _uninitialised(T).register_parameter("p", None),
    "missing_attribute": lambda T: T.nn.Linear(1, 1).nothing,
    "init_kwargs": lambda T: T.nn.Module(x=1),
    "init_args": lambda T: T.nn.Module(1),
    "forward_missing": lambda T: T.nn.Module()(T.ones(1)),
    "get_submodule": lambda T: _net(T).get_submodule("blocks.0.nothing"),
    "get_submodule_not_module": lambda T: _net(T).get_submodule("blocks.0.fc.weight"),
    "get_parameter": lambda T: _net(T).get_parameter("blocks.0.norm.nothing"),
    "get_parameter_not_param": lambda T: _net(T).get_parameter("blocks.0.steps"),
    "get_buffer": lambda T: _net(T).get_buffer("blocks.0.fc.weight"),
    "train_mode": lambda T: T.nn.Linear(1, 1).train("yes"),
    "to_int": lambda T: T.nn.Linear(1, 1).to(T.int64),
}


def _with_param(T: Any) -> Any:
    m = T.nn.Module()
    m.w = T.nn.Parameter(T.ones(1))
    return m


def _with_child(T: Any) -> Any:
    m = T.nn.Module()
    m.c = T.nn.Linear(1, 1)
    return m


def _with_buffer(T: Any) -> Any:
    m = T.nn.Module()
    m.register_buffer("b", T.ones(1))
    return m


def _uninitialised(T: Any) -> Any:
    class Early(T.nn.Module):
        def __init__(self) -> None:
            pass

    return Early()


@pytest.mark.parametrize("name", REGISTRATION_ERRORS)
def test_registration_errors(name: str) -> None:
    _same_error(REGISTRATION_ERRORS[name])


def test_get_submodule_parameter_buffer() -> None:
    e, t = _both(_net)
    assert e.get_submodule("") is e and type(e.get_submodule("blocks.1.fc")).__name__ == "Linear"
    assert e.get_parameter("blocks.1.fc.bias") is e.blocks[1].fc.bias
    assert e.get_buffer("blocks.0.steps") is e.blocks[0].steps
    assert e.get_parameter("scale") is e.scale


# -- state dicts ------------------------------------------------------------------------------------------
def test_state_dict_round_trip_from_torch() -> None:
    e, t = _both(_net)
    with torch.no_grad():
        for p in t.parameters():
            p.add_(torch.randn_like(p))
    result = e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert repr(result) == repr(torch.nn.Module().load_state_dict({})) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)))
    w = e.blocks[0].fc.weight
    e.load_state_dict(e.state_dict())
    assert e.blocks[0].fc.weight is w  # copied in place: the Parameter keeps its identity
    e2 = _net(ember)
    e2.load_state_dict(e.state_dict(), assign=True)
    assert e2.blocks[0].fc.weight is not w and isinstance(e2.blocks[0].fc.weight, ember.nn.Parameter)
    assert e2.blocks[0].fc.weight.tolist() == w.tolist()


STATE_DICT_CASES: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "missing": lambda T, sd: {k: v for k, v in sd.items() if "norm" not in k},
    "unexpected": lambda T, sd: {**sd, "blocks.0.extra": T.ones(1), "other.weight": T.ones(1), "blocks.7.x": T.ones(1)},
    "size_mismatch": lambda T, sd: {**sd, "head.out.weight": T.ones(3, 4), "blocks.1.steps": T.ones(2)},
    "not_tensor": lambda T, sd: {**sd, "scale": [1.0, 2.0]},
    "all": lambda T, sd: {**{k: v for k, v in sd.items() if k != "scale"}, "head.out.bias": T.ones(5),
                          "head.extra": T.ones(1)},
    "one_element_for_0d": lambda T, sd: {**sd, "blocks.0.steps": T.ones(1) * 3},
}


@pytest.mark.parametrize("name", STATE_DICT_CASES)
def test_load_state_dict_errors_and_non_strict(name: str) -> None:
    def load(T: Any, strict: bool) -> Any:
        m = _net(T)
        return m.load_state_dict(STATE_DICT_CASES[name](T, dict(m.state_dict())), strict=strict)

    if name == "one_element_for_0d":
        assert repr(load(ember, True)) == repr(load(torch, True))
        return
    _same_error(lambda T: load(T, True))
    if name in ("missing", "unexpected"):
        e, t = load(ember, False), load(torch, False)
        assert repr(e) == repr(t) and e.missing_keys == t.missing_keys and e.unexpected_keys == t.unexpected_keys
    _same_error(lambda T: T.nn.Linear(1, 1).load_state_dict([("weight", T.ones(1, 1))]))


def test_extra_state_and_batch_norm_old_checkpoints() -> None:
    def scenario(T: Any) -> Any:
        class WithExtra(T.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.value = 1

            def get_extra_state(self) -> Any:
                return {"value": self.value}

            def set_extra_state(self, state: Any) -> None:
                self.value = state["value"]

        m = WithExtra()
        sd = m.state_dict()
        sd["_extra_state"] = {"value": 5}
        m.load_state_dict(sd)
        bn = T.nn.BatchNorm1d(2)
        old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
        bn.load_state_dict(old)  # no _metadata: an old checkpoint, num_batches_tracked is kept
        missing = T.nn.Linear(1, 1).load_state_dict({"weight": T.ones(1, 1), "_extra_state": 1}, strict=False)
        return list(sd), m.value, repr(missing)

    e, t = _both(scenario)
    assert e == t


# -- modes, gradients, dtypes, apply ----------------------------------------------------------------------
def test_train_eval_requires_grad_zero_grad() -> None:
    def scenario(T: Any) -> Any:
        m = _net(T)
        modes = [m.training, m.eval().training, m.blocks[1].norm.training, m.train().head.out.training]
        m.requires_grad_(False)
        frozen = [p.requires_grad for p in m.parameters()]
        m.requires_grad_()
        m(T.ones(2, 4)).sum().backward()
        before = [p.grad is not None for p in m.parameters()]
        m.zero_grad(set_to_none=False)
        zeroed = [p.grad.abs().sum().item() for p in m.parameters()]
        m.zero_grad()
        return modes, frozen, before, zeroed, [p.grad is None for p in m.parameters()]

    e, t = _both(scenario)
    assert e == t


def test_to_float_double_half_keep_parameter_identity() -> None:
    def scenario(T: Any) -> Any:
        m = _net(T)
        w = m.head.out.weight
        m(T.ones(1, 4)).sum().backward()
        m.double()
        same = m.head.out.weight is w
        dtypes = [str(v.dtype) for v in m.state_dict().values()] + [str(w.grad.dtype)]
        m.to(T.float16)
        half = [str(p.dtype) for p in m.parameters()]
        m.to("cpu", T.float32).to(T.zeros(1, dtype=T.float64)).float()
        m.to(device="cpu", dtype=T.float64)
        m.half().float().cpu()
        return same, dtypes, half, [str(p.dtype) for p in m.parameters()], [str(b.dtype) for b in m.buffers()]

    e, t = _both(scenario)
    assert e == tuple(v if not isinstance(v, list) else [s.replace("torch.", "ember.") for s in v] for v in t)


def test_apply_and_nested_init() -> None:
    def scenario(T: Any) -> Any:
        seen: list[str] = []

        def init(m: Any) -> None:
            seen.append(type(m).__name__)
            if isinstance(m, T.nn.Linear):
                T.nn.init.constant_(m.weight, 0.5)
                T.nn.init.zeros_(m.bias)

        m = _net(T).apply(init)
        return seen, m.blocks[1].fc.weight.sum().item(), m.head.out.bias.abs().sum().item()

    e, t = _both(scenario)
    assert e == t


# -- hooks ------------------------------------------------------------------------------------------------
def test_forward_hooks() -> None:
    def scenario(T: Any) -> Any:
        m = T.nn.Linear(3, 2)
        calls: list[Any] = []
        h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] * 2,))
        h2 = m.register_forward_pre_hook(lambda mod, args, kwargs: calls.append("pre_kw") or None, with_kwargs=True)
        h3 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
        h4 = m.register_forward_hook(lambda mod, args, kw, out: calls.append("post_kw") or None, with_kwargs=True,
                                     prepend=True)
        x = T.ones(1, 3)
        y1 = m(x)
        h1.remove(), h3.remove()
        y2 = m(x)
        with h2, h4:
            pass
        m(x)
        return calls, (y1 - y2).tolist()

    e, t = _both(scenario)
    assert e[0] == t[0]
    np.testing.assert_allclose(e[1], t[1], rtol=1e-6)


def test_always_call_forward_hook_and_pre_hook_errors() -> None:
    def scenario(T: Any) -> Any:
        m = T.nn.Linear(3, 2)
        calls: list[Any] = []
        m.register_forward_hook(lambda mod, args, out: calls.append("always"), always_call=True)
        with pytest.raises(RuntimeError):
            m(T.ones(1, 4))
        return calls

    assert _both(scenario)[0] == _both(scenario)[1]
    _same_error(lambda T: _pre_hook_returning(T, 5)(T.ones(1, 3)))


def _pre_hook_returning(T: Any, value: Any) -> Any:
    m = T.nn.Linear(3, 2)
    m.register_forward_pre_hook(lambda mod, args, kwargs: value, with_kwargs=True)
    return m


def test_full_backward_hooks() -> None:
    def scenario(T: Any) -> Any:
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2))
        seen: list[Any] = []

        def hook(mod: Any, grad_input: Any, grad_output: Any) -> Any:
            seen.append((type(mod).__name__, [None if g is None else g.tolist() for g in grad_input],
                         [g.tolist() for g in grad_output]))
            return (grad_input[0] * 2,)

        def pre_hook(mod: Any, grad_output: Any) -> Any:
            seen.append(("pre", [g.tolist() for g in grad_output]))
            return (grad_output[0] * 3,)

        m[1].register_full_backward_hook(hook)
        m[2].register_full_backward_pre_hook(pre_hook)
        x = T.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
        m(x).sum().backward()
        first = T.nn.Linear(3, 1)
        first.register_full_backward_hook(lambda mod, gi, go: seen.append(("no_input_grad", list(gi), go[0].tolist())))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first(T.ones(1, 3)).sum().backward()  # no input requires grad: the hook runs on the output's gradient
        return seen, x.grad.tolist(), [str(w.message)[:40] for w in caught]

    e, t = _both(scenario)
    np.testing.assert_allclose(np.array(e[1]), np.array(t[1]), rtol=1e-5)
    assert [s[0] for s in e[0]] == [s[0] for s in t[0]] and e[2] == t[2]
    for se, st in zip(e[0], t[0], strict=True):
        for a, b in zip(se[1:], st[1:], strict=True):
            for ga, gb in zip(a, b, strict=True):
                assert (ga is None) == (gb is None)
                if ga is not None:
                    np.testing.assert_allclose(ga, gb, rtol=1e-5)


# -- repr ---------------------------------------------------------------------------------------------------
def test_repr_nested_and_containers() -> None:
    def scenario(T: Any) -> Any:
        nn = T.nn
        lists = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
        return [repr(_net(T)), repr(lists), repr(nn.ModuleList()), repr(nn.Sequential()),
                repr(nn.ModuleDict({"a": nn.ReLU(), "b": nn.Sequential(nn.Linear(1, 1))})),
                repr(nn.ParameterList([nn.Parameter(T.ones(2, 3)), T.zeros(2, dtype=T.float64)])),
                repr(nn.ParameterDict({"b": nn.Parameter(T.ones(1)), "a": T.ones(2, 2)})),
                repr(nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU(), nn.Dropout(0.2)))),
                repr(nn.Identity()), repr(nn.Flatten()), repr(nn.Unflatten(1, (2, 3))),
                repr(nn.LayerNorm([2, 3])), repr(nn.GroupNorm(2, 4)), repr(nn.RMSNorm(3)),
                repr(nn.BatchNorm2d(3, momentum=None)), repr(nn.Embedding(5, 2, max_norm=1.0, sparse=True)),
                repr(nn.Bilinear(1, 2, 3, bias=False)), repr(nn.PReLU(3))]

    e, t = _both(scenario)
    assert e == [r.replace("torch.", "ember.") for r in t]


# -- containers ---------------------------------------------------------------------------------------------
def test_sequential_operations() -> None:
    def scenario(T: Any) -> Any:
        nn = T.nn
        s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        out = [len(s), type(s[-1]).__name__, repr(s[1:]), type(s[::2]).__name__, [type(m).__name__ for m in s]]
        s.append(nn.Tanh()).insert(1, nn.Sigmoid()).extend([nn.Identity()])
        s[0] = nn.Linear(2, 3)
        out.append(list(s._modules))
        del s[1]
        out.append(list(s._modules))
        out.append(type(s.pop(0)).__name__)
        out.append([type(m).__name__ for m in s + nn.Sequential(nn.ReLU())])
        s += nn.Sequential(nn.ELU())
        out.append(len(s) * 10 + len(s * 2) + len(2 * s))
        s *= 2
        out.append(list(s._modules))
        named = nn.Sequential(OrderedDict([("first", nn.Linear(1, 1)), ("second", nn.ReLU())]))
        out += [list(named._modules), repr(named[0:1]), [n for n, _ in named.named_parameters()]]
        return out

    e, t = _both(scenario)
    assert e == t
    for fn in (lambda T: T.nn.Sequential(T.nn.ReLU())[3], lambda T: T.nn.Sequential() + [1],
               lambda T: T.nn.Sequential(T.nn.ReLU()) * 0, lambda T: T.nn.Sequential(T.nn.ReLU()) * 1.5,
               lambda T: T.nn.Sequential().insert(0, 1), lambda T: T.nn.Sequential().insert(2, T.nn.ReLU()),
               lambda T: T.nn.Sequential(T.nn.ReLU())["a"]):
        _same_error(fn)


def test_sequential_forward_matches_torch() -> None:
    def make(T: Any) -> Any:
        T.manual_seed(4)
        return T.nn.Sequential(T.nn.Linear(3, 5), T.nn.SiLU(), T.nn.Linear(5, 2))

    e, t = _both(make)
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 5
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)))


def test_module_list_and_dict() -> None:
    def scenario(T: Any) -> Any:
        nn = T.nn
        ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        ml.append(nn.Sigmoid()).extend([nn.ELU()])
        ml.insert(1, nn.Identity())
        ml += [nn.GELU()]
        ml[-1] = nn.SiLU()
        out = [len(ml), [type(m).__name__ for m in ml], type(ml[1:3]).__name__, type(ml.pop(0)).__name__]
        del ml[0:2]
        out.append([type(m).__name__ for m in ml + nn.ModuleList([nn.ReLU()])])
        out.append(list(ml._modules))
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
        md.update([("c", nn.ELU())])
        md["d"] = nn.Identity()
        out += [list(md), list(md.keys()), len(md), "a" in md, type(md.pop("b")).__name__,
                [type(v).__name__ for v in md.values()], [k for k, _ in md.items()]]
        del md["a"]
        md.clear()
        out.append(len(md))
        return out

    e, t = _both(scenario)
    assert e == t
    for fn in (lambda T: T.nn.ModuleList().extend(3), lambda T: T.nn.ModuleList([T.nn.ReLU()])[2],
               lambda T: T.nn.ModuleDict().update(3), lambda T: T.nn.ModuleDict().update([(1, 2, 3)]),
               lambda T: T.nn.ModuleDict().update([3]), lambda T: T.nn.ModuleDict({"a": 3})):
        _same_error(fn)


def test_parameter_list_and_dict() -> None:
    def scenario(T: Any) -> Any:
        nn = T.nn
        pl = nn.ParameterList([T.ones(2), nn.Parameter(T.zeros(3))])
        pl.append(T.ones(1)).extend([T.ones(4)])
        pl[0] = T.full((2,), 3.0)
        m = nn.Module()
        m.params = pl
        out = [len(pl), [tuple(p.shape) for p in pl], type(pl[1:]).__name__, [n for n, _ in m.named_parameters()],
               all(isinstance(p, nn.Parameter) for p in pl)]
        pd = nn.ParameterDict({"z": T.ones(1), "a": nn.Parameter(T.ones(2))})
        pd["m"] = T.zeros(3)
        pd.update(OrderedDict([("y", T.ones(1)), ("b", T.ones(1))]))
        out += [list(pd), list(pd.keys()), "a" in pd, len(pd), pd.get("q", 5), tuple(pd.pop("z").shape),
                list(reversed(pd)), tuple(pd.setdefault("n", T.ones(2)).shape), pd.popitem()[0],
                list(pd.copy()), list(pd | nn.ParameterDict({"k": T.ones(1)})), list(pd.fromkeys(["u", "v"]))]
        m.pd = pd
        out.append([n for n, _ in m.named_parameters()])
        pd.clear()
        out.append(len(pd))
        return out

    e, t = _both(scenario)
    assert e == t
    for fn in (lambda T: T.nn.ParameterList()(1), lambda T: T.nn.ParameterDict()(1),
               lambda T: T.nn.ParameterList().extend(T.ones(2)), lambda T: T.nn.ParameterDict()[1],
               lambda T: T.nn.ParameterDict().update(3), lambda T: T.nn.ParameterDict().update([(1, 2, 3)])):
        _same_error(fn)


class _Picklable(ember.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = ember.nn.ModuleList([ember.nn.Linear(4, 4), ember.nn.BatchNorm1d(4)])
        self.shared = self.blocks[0]
        self.scale = ember.nn.Parameter(ember.ones(4))

    def forward(self, x: Any) -> Any:
        return self.blocks[1](self.shared(x)) * self.scale


def test_deepcopy_and_pickle_module() -> None:
    m = _Picklable()
    m(ember.ones(3, 4)).sum().backward()
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in m.named_parameters()]
        assert clone.shared is clone.blocks[0] and clone.shared.weight is not m.shared.weight
        assert clone(ember.ones(2, 4)).tolist() == m(ember.ones(2, 4)).tolist()


# -- nn.utils -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf")])
def test_clip_grad_norm(norm_type: float) -> None:
    def scenario(T: Any) -> Any:
        m = _net(T)
        m(T.ones(3, 4) * 3).pow(2).sum().backward()
        total = T.nn.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type=norm_type)
        return total, [p.grad for p in m.parameters()]

    e, t = _both(scenario)
    assert_same(e[0], t[0])
    for ge, gt in zip(e[1], t[1], strict=True):
        assert_same(ge, gt)


def test_clip_grad_value_and_vector_conversion() -> None:
    def scenario(T: Any) -> Any:
        m = _net(T)
        m(T.ones(3, 4) * 3).pow(2).sum().backward()
        T.nn.utils.clip_grad_value_(m.parameters(), 0.01)
        vec = T.nn.utils.parameters_to_vector(m.parameters())
        T.nn.utils.vector_to_parameters(vec * 2, m.parameters())
        empty = T.nn.utils.clip_grad_norm_([T.nn.Parameter(T.ones(1))], 1.0)
        return [p.grad for p in m.parameters()], vec, list(m.parameters()), empty

    e, t = _both(scenario)
    for ge, gt in zip(e[0] + [e[1]] + e[2] + [e[3]], t[0] + [t[1]] + t[2] + [t[3]], strict=True):
        assert_same(ge, gt)
    _same_error(lambda T: T.nn.utils.vector_to_parameters([1.0], []))
    _same_error(lambda T: _nonfinite(T))
    with pytest.warns(UserWarning, match="empty generator"):
        ember.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def _nonfinite(T: Any) -> Any:
    p = T.nn.Parameter(T.ones(2))
    p.grad = T.tensor([float("inf"), 1.0])
    return T.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_public_names_exist() -> None:
    names = ("Module Parameter Buffer Sequential ModuleList ModuleDict ParameterList ParameterDict Identity Linear "
             "Bilinear Flatten Unflatten Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout "
             "Embedding LayerNorm GroupNorm RMSNorm BatchNorm1d BatchNorm2d BatchNorm3d ReLU GELU SiLU Tanh Sigmoid "
             "Softmax LogSoftmax LeakyReLU ELU Mish Hardswish Softplus PReLU RReLU MSELoss L1Loss CrossEntropyLoss "
             "NLLLoss BCELoss BCEWithLogitsLoss SmoothL1Loss HuberLoss KLDivLoss GaussianNLLLoss").split()
    for name in names:
        assert hasattr(torch.nn, name) and hasattr(ember.nn, name), name
    for name in ember.nn.__all__:
        assert hasattr(torch.nn, name), name
    for name in ember.nn.functional.__all__:
        assert hasattr(torch.nn.functional, name), name
    for name in ember.nn.init.__all__:
        assert hasattr(torch.nn.init, name), name
