"""Optimizers side by side with torch: the same initial parameters and the same gradients give
the same parameters after N steps for every optimizer and option; the base class's parameter
groups, state dicts, zero_grad and closures behave as torch's, with torch's errors.

Tolerances: float64 agrees to 1e-12. In float32, torch's CPU kernels for ``add(alpha=)``,
``addcmul`` and ``lerp`` use fused multiply-adds (one rounding where NumPy rounds twice), so
the two differ by an ulp per op; 1e-6 relative holds, with an absolute floor of 1e-6 for
parameters that pass near zero (RMSprop's centered variance cancels in float32).
"""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

SHAPES = [(5, 4), (4,), (3,)]
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, foreach=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, fused=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.4, 0.9), maximize=True)),  # lerp weight >= 0.5: torch's other branch
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.01, foreach=True)),
    ("Adam", dict(lr=0.01, fused=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(alpha=0.9, maximize=True, foreach=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(rho=0.5, weight_decay=0.1, lr=0.5, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(weight_decay=0.1, maximize=True)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.01)),
    ("RAdam", dict()),  # 12 steps: rho_t crosses 5 at step 6, so both branches run
    ("RAdam", dict(weight_decay=0.1, maximize=True)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
]


def _data(dtype, steps, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return init, grads


def _params(lib, init):
    return [lib.tensor(a.copy(), requires_grad=True) for a in init]


def _feed(lib, params, grads):
    for p, g in zip(params, grads, strict=True):
        p.grad = lib.tensor(g.copy())


def _same_params(e_params, t_params, dtype):
    for e, t in zip(e_params, t_params, strict=True):
        assert e.dtype.itemsize == t.dtype.itemsize
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **TOL[dtype])


def _same_state(e_state, t_state, dtype):
    """Two ``state_dict()["state"]`` dicts: same keys, same entries, same values."""
    assert list(e_state) == list(t_state)
    for k in t_state:
        assert list(e_state[k]) == list(t_state[k]), (e_state[k].keys(), t_state[k].keys())
        for name, tv in t_state[k].items():
            ev = e_state[k][name]
            if isinstance(tv, torch.Tensor):
                assert str(ev.dtype).split(".")[1] == str(tv.dtype).split(".")[1], name
                np.testing.assert_allclose(ev.numpy(), tv.numpy(), **TOL[dtype])
            else:
                assert ev == tv


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CONFIGS])
def test_steps_match_torch(name, kwargs, dtype):
    init, grads = _data(dtype, steps=12)
    e_params, t_params = _params(ember, init), _params(torch, init)
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    for g in grads:
        _feed(ember, e_params, g)
        _feed(torch, t_params, g)
        e_opt.step()
        t_opt.step()
    _same_params(e_params, t_params, dtype)
    e_sd, t_sd = e_opt.state_dict(), t_opt.state_dict()
    _same_state(e_sd["state"], t_sd["state"], dtype)
    assert e_sd["param_groups"] == t_sd["param_groups"]


@pytest.mark.parametrize("name", sorted({n for n, _ in CONFIGS} | {"LBFGS"}))
def test_defaults_and_repr_match_torch(name):
    e_opt = getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)])
    t_opt = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert e_opt.defaults == t_opt.defaults
    assert repr(e_opt) == repr(t_opt)


def test_training_loop_on_a_real_loss():
    """Gradients from backward, an optimizer per layer group, a closure: the trajectories agree."""
    rng = np.random.default_rng(1)
    w1, b1 = rng.standard_normal((8, 5)) * 0.3, rng.standard_normal(8) * 0.1
    w2, x, y = rng.standard_normal((1, 8)) * 0.3, rng.standard_normal((16, 5)), rng.standard_normal((16, 1))
    results = []
    for lib in (ember, torch):
        ps = _params(lib, [w1, b1, w2])
        xs, ys = lib.tensor(x), lib.tensor(y)
        opt = lib.optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.05}], lr=0.01, amsgrad=True)

        def closure(lib=lib, ps=ps, xs=xs, ys=ys, opt=opt):
            opt.zero_grad()
            h = (xs @ ps[0].T + ps[1]).tanh()
            loss = ((h @ ps[2].T - ys) ** 2).mean()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(20)]
        results.append((losses, [p.detach().numpy().copy() for p in ps]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    for e, t in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)


def test_update_is_in_place_under_no_grad():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    data, version = p.detach(), p._version
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.9)
    p.grad = ember.tensor([1.0, 1.0])
    seen = []
    opt.step(lambda: seen.append(ember.is_grad_enabled()))
    assert seen == [True]  # the closure runs with grad enabled
    assert opt.param_groups[0]["params"][0] is p and p.is_leaf and p.requires_grad and p.grad_fn is None
    assert data.tolist() == [0.5, 1.5] and p._version == version + 1
    assert ember.is_grad_enabled()


def test_params_without_grad_are_skipped():
    init, grads = _data(np.float32, steps=2)
    for lib in (ember, torch):
        ps = _params(lib, init)
        opt = lib.optim.Adam(ps)
        ps[0].grad = lib.tensor(grads[0][0])
        opt.step()
        assert len(opt.state) == 1 and ps[0] in opt.state
        assert np.array_equal(ps[1].detach().numpy(), init[1])


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    out = []
    for lib in (ember, torch):
        p = lib.ones(3, requires_grad=True)
        (p * 2).sum().backward()
        lib.optim.SGD([p]).zero_grad(set_to_none=set_to_none)
        out.append(None if p.grad is None else (p.grad.tolist(), p.grad.requires_grad))
    assert out[0] == out[1]


def test_tensor_lr_and_param_names():
    init, grads = _data(np.float32, steps=3)
    out = []
    for lib in (ember, torch):
        ps = _params(lib, init)
        opt = lib.optim.SGD([(f"p{i}", p) for i, p in enumerate(ps)], lr=lib.tensor(0.1), momentum=0.5)
        for g in grads:
            _feed(lib, ps, g)
            opt.step()
        out.append((ps, opt.state_dict()["param_groups"][0]["param_names"]))
    assert out[0][1] == out[1][1] == ["p0", "p1", "p2"]
    _same_params(*(o[0] for o in out), np.float32)


def test_add_param_group_then_step():
    init, grads = _data(np.float64, steps=4)
    results = []
    for lib in (ember, torch):
        ps = _params(lib, init)
        opt = lib.optim.RMSprop(ps[:1], lr=0.01)
        for i, g in enumerate(grads):
            if i == 2:
                opt.add_param_group({"params": ps[1:], "lr": 0.1, "momentum": 0.5})
            _feed(lib, ps, g)
            opt.step()
        results.append(ps)
        assert opt.param_groups[1]["alpha"] == 0.99  # defaults filled in
    _same_params(*results, np.float64)


@pytest.mark.parametrize("name,kwargs", [("Adam", dict(amsgrad=True)), ("SGD", dict(momentum=0.9)),
                                         ("NAdam", {}), ("Adagrad", dict(lr_decay=0.1)), ("LBFGS", {})])
def test_state_dict_round_trip(name, kwargs):
    """Saving after 3 steps and loading into a fresh optimizer continues the same trajectory; a
    torch state dict (as ``ember.load`` returns it) loads into ember too."""
    if name == "LBFGS":
        return _lbfgs_round_trip()
    init, grads = _data(np.float64, steps=6)
    t_params = _params(torch, init)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    e_params = _params(ember, init)
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    for g in grads[:3]:
        _feed(torch, t_params, g)
        _feed(ember, e_params, g)
        t_opt.step()
        e_opt.step()
    saved = [e_opt.state_dict(), _torch_state_to_ember(t_opt.state_dict())]
    start = [p.detach().numpy().copy() for p in e_params]
    for g in grads[3:]:
        _feed(torch, t_params, g)
        t_opt.step()
    for sd in saved:
        resumed = _params(ember, start)
        opt = getattr(ember.optim, name)(resumed, **kwargs)
        opt.load_state_dict(sd)
        assert opt.param_groups[0]["params"][0] is resumed[0]
        for g in grads[3:]:
            _feed(ember, resumed, g)
            opt.step()
        _same_params(resumed, t_params, np.float64)


def _torch_state_to_ember(sd):
    def conv(v):
        if isinstance(v, torch.Tensor):
            return ember.tensor(v.detach().numpy().copy())
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(conv(x) for x in v)
        return v
    return conv(sd)


def _lbfgs_round_trip():
    init, _ = _data(np.float64, steps=0)
    e_params = _params(ember, init)
    opt = ember.optim.LBFGS(e_params, max_iter=3)
    closure = _quartic_closure(ember, e_params, opt)
    opt.step(closure)
    resumed = _params(ember, [p.detach().numpy() for p in e_params])
    opt2 = ember.optim.LBFGS(resumed, max_iter=3)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))  # as saved: no tensor shared with opt
    opt.step(closure)
    opt2.step(_quartic_closure(ember, resumed, opt2))
    _same_params(e_params, resumed, np.float64)


def test_load_casts_state_to_param_dtype_but_not_step():
    p32 = ember.zeros(3, requires_grad=True)
    opt = ember.optim.Adam([p32])
    p32.grad = ember.ones(3)
    opt.step()
    p64 = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    opt64 = ember.optim.Adam([p64])
    opt64.load_state_dict(opt.state_dict())
    assert opt64.state[p64]["exp_avg"].dtype == ember.float64
    assert opt64.state[p64]["step"].dtype == ember.float32


def test_old_checkpoint_step_numbers_become_tensors():
    p = ember.zeros(3, requires_grad=True)
    opt = ember.optim.NAdam([p])
    p.grad = ember.ones(3)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["step"], sd["state"][0]["mu_product"] = 1.0, sd["state"][0]["mu_product"].item()
    opt.load_state_dict(sd)
    assert isinstance(opt.state[p]["step"], ember.Tensor) and isinstance(opt.state[p]["mu_product"], ember.Tensor)


def _quartic_closure(lib, params, opt):
    def closure():
        opt.zero_grad()
        loss = sum(((p - 0.5) ** 4).sum() + (p * p).sum() * 0.1 for p in params)
        loss.backward()
        return loss
    return closure


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kwargs", [{}, dict(line_search_fn="strong_wolfe"),
                                    dict(history_size=3, max_iter=7, lr=0.5, line_search_fn="strong_wolfe")],
                         ids=["plain", "wolfe", "wolfe-short-history"])
def test_lbfgs_matches_torch(kwargs, dtype):
    # float32 runs one step: near convergence its stopping tests flip on an ulp of a dot product
    init, _ = _data(dtype, steps=0)
    out = []
    for lib in (ember, torch):
        ps = _params(lib, init)
        opt = lib.optim.LBFGS(ps, **kwargs)
        closure = _quartic_closure(lib, ps, opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch: float() of a loss that requires grad
            losses = [float(opt.step(closure)) for _ in range(3 if dtype == np.float64 else 1)]
        state = opt.state[ps[0]]
        out.append((ps, losses, state["func_evals"], state["n_iter"], len(state["old_dirs"])))
    _same_params(out[0][0], out[1][0], dtype)
    np.testing.assert_allclose(out[0][1], out[1][1], **TOL[dtype])
    assert out[0][2:] == out[1][2:]


def test_lbfgs_errors():
    for lib in (ember, torch):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\)$"):
            lib.optim.LBFGS([{"params": [a]}, {"params": [b]}])
        opt = lib.optim.LBFGS([a], line_search_fn="armijo")
        a.grad = None
        with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
            opt.step(_quartic_closure(lib, [a], opt))


def _errors(fn):
    """Run ``fn(lib)`` on both libraries; both raise the same exception type and message."""
    caught = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        caught.append((type(info.value), str(info.value)))
    assert caught[0] == caught[1]
    return caught[0]


BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1e-2)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("SGD", dict(fused=True, differentiable=True)), ("SGD", dict(fused=True, foreach=True)),
    ("Adam", dict(lr=-0.1)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)), ("Adam", dict(betas=(0, 0.9))),
    ("AdamW", dict(lr=-1e-3)), ("Adam", dict(fused=True, foreach=True)),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-1)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(weight_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Adamax", dict(lr=-1)), ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(lr=-1)), ("NAdam", dict(betas=(-0.1, 0.9))), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(lr=-1)), ("RAdam", dict(eps=-1)), ("RAdam", dict(weight_decay=-1)),
    ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name,kwargs", BAD_HYPERPARAMETERS,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in BAD_HYPERPARAMETERS])
def test_bad_hyperparameters_raise_torch_errors(name, kwargs):
    _errors(lambda lib: getattr(lib.optim, name)([lib.zeros(2, requires_grad=True)], **kwargs))


def test_tensor_lr_must_have_one_element():
    _errors(lambda lib: lib.optim.Adam([lib.zeros(2, requires_grad=True)], lr=lib.tensor([0.1, 0.2])))
    _errors(lambda lib: lib.optim.Adam([lib.zeros(2, requires_grad=True)], lr=lib.tensor(0.1), foreach=True))
    _errors(lambda lib: lib.optim.Adam([lib.zeros(2, requires_grad=True)], betas=(lib.tensor(0.9), 0.99)))


PARAM_ERRORS = {
    "non-leaf": lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True) * 2]),
    "tensor-as-params": lambda lib: lib.optim.SGD(lib.ones(2, requires_grad=True)),
    "empty": lambda lib: lib.optim.SGD([]),
    "not-a-tensor": lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True), 3]),
    "set": lambda lib: lib.optim.SGD([{"params": {lib.ones(2, requires_grad=True)}}]),
    "group-not-dict": lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)]).add_param_group([1]),
    "in-two-groups": lambda lib: (lambda p: lib.optim.SGD([{"params": [p]}, {"params": [p]}]))(
        lib.ones(2, requires_grad=True)),
    "names-missing": lambda lib: lib.optim.SGD([("a", lib.ones(2, requires_grad=True)),
                                                lib.ones(2, requires_grad=True)]),
    "names-mixed-groups": lambda lib: lib.optim.SGD([{"params": [("a", lib.ones(2, requires_grad=True))]},
                                                     {"params": [lib.ones(2, requires_grad=True)]}]),
    "load-groups": lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)]).load_state_dict(
        {"state": {}, "param_groups": []}),
    "load-sizes": lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)]).load_state_dict(
        {"state": {}, "param_groups": [{"params": [0, 1]}]}),
}


@pytest.mark.parametrize("case", list(PARAM_ERRORS))
def test_parameter_errors_match_torch(case):
    _errors(PARAM_ERRORS[case])


def test_required_hyperparameter_and_duplicates():
    from torch.optim.optimizer import required as t_required

    from ember.optim.optimizer import required as e_required

    assert repr(e_required) == repr(t_required)
    _errors(lambda lib: lib.optim.Optimizer([lib.ones(2, requires_grad=True)],
                                            {"lr": e_required if lib is ember else t_required}))
    for lib in (ember, torch):
        p = lib.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            lib.optim.SGD([p, p])


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_retained_non_leaf_and_differentiable_step():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.retain_grad()
        lib.optim.SGD([y])  # a non-leaf that retains its grad is accepted
    # differentiable=True: the step runs with grad enabled and is recorded on a non-leaf parameter
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        p = x * 1.0
        opt = lib.optim.SGD([p], lr=0.5, momentum=0.9, differentiable=True)
        for _ in range(2):
            p.grad = (p * p).detach()
            opt.step()
        p.sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1]


def test_scalar_state_follows_the_default_dtype():
    dtypes = []
    for lib in (ember, torch):
        previous = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            p = lib.zeros(2, dtype=lib.float32, requires_grad=True)
            opt = lib.optim.Adam([p])
            p.grad = lib.ones(2, dtype=lib.float32)
            opt.step()
            dtypes.append((str(opt.state[p]["step"].dtype).split(".")[1], str(opt.state[p]["exp_avg"].dtype)[-7:]))
        finally:
            lib.set_default_dtype(previous)
    assert dtypes[0] == dtypes[1] == ("float64", "float32")


def test_nn_module_training_with_scheduler():
    """A torch-style loop over an nn model's Parameters: AdamW + OneCycleLR, same weights."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 10)).astype(np.float32), rng.standard_normal((32, 1)).astype(np.float32)
    t_model = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    e_model = ember.nn.Sequential(ember.nn.Linear(10, 16), ember.nn.ReLU(), ember.nn.Linear(16, 1))
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})
    results = []
    for lib, model in ((ember, e_model), (torch, t_model)):
        params = list(model.parameters())
        opt = lib.optim.AdamW(model.parameters(), lr=0.01)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=30)
        xs, ys = lib.tensor(x), lib.tensor(y)
        for _ in range(30):
            opt.zero_grad()
            loss = ((model(xs) - ys) ** 2).mean()
            loss.backward()
            opt.step()
            sched.step()
        assert all(a is b for a, b in zip(params, model.parameters(), strict=True))
        results.append((loss.item(), params, repr(opt)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    _same_params(results[0][1], results[1][1], np.float32)
    assert results[0][2] == results[1][2]
