"""Learning-rate schedulers side by side with torch: the same rates (and cycled momenta) epoch
after epoch, the same state dicts, torch's warnings about calling order and torch's errors.

Each scheduler is built by ``make(lib, opt)`` for both libraries, over an optimizer with two
parameter groups; the rates are Python floats computed by the same formulas, so they agree exactly.
"""
from __future__ import annotations

import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def _optimizer(lib, name="SGD"):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return getattr(lib.optim, name)(groups, lr=0.1)


def _snapshot(opt, sched):
    keys = ("lr", "momentum", "betas")
    return [sched.get_last_lr(), [{k: g[k] for k in keys if k in g} for g in opt.param_groups]]


def _trajectory(lib, make, steps, opt_name="SGD"):
    opt = _optimizer(lib, opt_name)
    sched = make(lib, opt)
    out = [_snapshot(opt, sched)]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(_snapshot(opt, sched))
    return out, sched


def _state(sched):
    return {k: v for k, v in sched.state_dict().items()}


S = lambda lib: lib.optim.lr_scheduler  # noqa: E731

SCHEDULES = {
    "StepLR": (lambda lib, o: S(lib).StepLR(o, step_size=3, gamma=0.5), 10, "SGD"),
    "MultiStepLR": (lambda lib, o: S(lib).MultiStepLR(o, milestones=[2, 5, 5], gamma=0.3), 8, "SGD"),
    "ExponentialLR": (lambda lib, o: S(lib).ExponentialLR(o, gamma=0.9), 6, "SGD"),
    "CosineAnnealingLR": (lambda lib, o: S(lib).CosineAnnealingLR(o, T_max=5, eta_min=0.001), 23, "SGD"),
    "CosineAnnealingWarmRestarts": (
        lambda lib, o: S(lib).CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), 20, "SGD"),
    "OneCycleLR": (lambda lib, o: S(lib).OneCycleLR(o, max_lr=[0.5, 0.3], total_steps=20), 20, "SGD"),
    "OneCycleLR-three-phase-linear": (
        lambda lib, o: S(lib).OneCycleLR(o, max_lr=0.4, epochs=3, steps_per_epoch=5, three_phase=True,
                                         anneal_strategy="linear"), 15, "SGD"),
    "OneCycleLR-adam-betas": (lambda lib, o: S(lib).OneCycleLR(o, max_lr=0.01, total_steps=12, pct_start=0.25), 12,
                              "Adam"),
    "CyclicLR": (lambda lib, o: S(lib).CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3), 14, "SGD"),
    "CyclicLR-triangular2": (lambda lib, o: S(lib).CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=2,
                                                             step_size_down=3, mode="triangular2"), 14, "SGD"),
    "CyclicLR-exp-range-adam": (lambda lib, o: S(lib).CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2,
                                                                mode="exp_range", gamma=0.9), 10, "Adam"),
    "LinearLR": (lambda lib, o: S(lib).LinearLR(o, start_factor=0.25, total_iters=4), 7, "SGD"),
    "ConstantLR": (lambda lib, o: S(lib).ConstantLR(o, factor=0.5, total_iters=3), 6, "SGD"),
    "LambdaLR": (lambda lib, o: S(lib).LambdaLR(o, lambda e: 0.95**e), 5, "SGD"),
    "LambdaLR-list": (lambda lib, o: S(lib).LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5]), 5, "SGD"),
    "MultiplicativeLR": (lambda lib, o: S(lib).MultiplicativeLR(o, lambda e: 0.9), 5, "SGD"),
    "PolynomialLR": (lambda lib, o: S(lib).PolynomialLR(o, total_iters=6, power=2.0), 8, "SGD"),
    "SequentialLR": (lambda lib, o: S(lib).SequentialLR(
        o, [S(lib).LinearLR(o, start_factor=0.1, total_iters=3), S(lib).ExponentialLR(o, gamma=0.8)],
        milestones=[3]), 8, "SGD"),
    "SequentialLR-three": (lambda lib, o: S(lib).SequentialLR(
        o, [S(lib).ConstantLR(o, factor=0.5, total_iters=2), S(lib).StepLR(o, step_size=2),
            S(lib).CosineAnnealingLR(o, T_max=4)], milestones=[2, 5]), 12, "SGD"),
    "ChainedScheduler": (lambda lib, o: S(lib).ChainedScheduler(
        [S(lib).ConstantLR(o, factor=0.5, total_iters=3), S(lib).ExponentialLR(o, gamma=0.9)]), 6, "SGD"),
}


@pytest.mark.parametrize("case", list(SCHEDULES))
def test_schedule_matches_torch(case):
    make, steps, opt_name = SCHEDULES[case]
    e_traj, e_sched = _trajectory(ember, make, steps, opt_name)
    t_traj, t_sched = _trajectory(torch, make, steps, opt_name)
    assert e_traj == t_traj
    assert _state(e_sched) == _state(t_sched)


@pytest.mark.parametrize("case", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR-triangular2",
                                  "SequentialLR", "ChainedScheduler", "LambdaLR"])
def test_state_dict_resumes_the_schedule(case):
    make, steps, opt_name = SCHEDULES[case]
    full, _ = _trajectory(ember, make, steps, opt_name)
    opt = _optimizer(ember, opt_name)
    sched = make(ember, opt)
    for _ in range(4):
        opt.step()
        sched.step()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    opt2 = _optimizer(ember, opt_name)
    sched2 = make(ember, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    rest = []
    for _ in range(steps - 4):
        opt2.step()
        sched2.step()
        rest.append(_snapshot(opt2, sched2))
    assert rest == full[5:]


def test_reduce_lr_on_plateau():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.91, 0.95, 0.96, 0.97, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    for kwargs in (dict(patience=1, factor=0.5, cooldown=1), dict(mode="max", threshold_mode="abs", patience=0,
                                                                 min_lr=[0.02, 0.04], threshold=0.01)):
        out = []
        for lib in (ember, torch):
            opt = _optimizer(lib)
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
            lrs = []
            for m in metrics:
                opt.step()
                sched.step(lib.tensor(m) if m < 0.9 else m)
                lrs.append(sched.get_last_lr())
            out.append((lrs, _state(sched)))
        assert out[0] == out[1]


def test_closed_form_with_epoch_argument():
    for make in (lambda lib, o: S(lib).StepLR(o, step_size=2, gamma=0.5),
                 lambda lib, o: S(lib).CosineAnnealingLR(o, T_max=6),
                 lambda lib, o: S(lib).MultiStepLR(o, [1, 3])):
        out = []
        for lib in (ember, torch):
            opt = _optimizer(lib)
            sched = make(lib, opt)
            with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
                for epoch in (3, 1, 4):
                    opt.step()
                    sched.step(epoch)
            out.append(sched.get_last_lr())
        assert out[0] == out[1]


def test_warm_restarts_fractional_epochs():
    out = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = S(lib).CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
        lrs = []
        for epoch in range(6):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                lrs.append(sched.get_last_lr())
        out.append(lrs)
    assert out[0] == out[1]


def _messages(caught):
    return [(w.category, str(w.message)) for w in caught]


def test_calling_order_warnings():
    out = []
    for lib in (ember, torch):
        got = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = _optimizer(lib)
            sched = S(lib).StepLR(opt, step_size=1)
            sched.step()  # before optimizer.step()
            got.append(_messages(caught))
            caught.clear()
            sched.get_lr()  # outside step()
            got.append(_messages(caught))
            caught.clear()
            opt2 = _optimizer(lib)
            sched2 = S(lib).ExponentialLR(opt2, gamma=0.5)
            opt2.step = lambda closure=None: None  # overridden after the scheduler wrapped it
            opt2.step()
            sched2.step()
            got.append(_messages(caught))
            caught.clear()
            opt3 = _optimizer(lib)
            sched3 = S(lib).ExponentialLR(opt3, gamma=0.5)
            opt3.step()
            sched3.step()
            got.append(_messages(caught))
        out.append(got)
    assert out[0] == out[1]
    assert [len(g) for g in out[0]] == [1, 1, 1, 0]


def test_tensor_learning_rate_is_updated_in_place():
    out = []
    for lib in (ember, torch):
        p = lib.zeros(2, requires_grad=True)
        lr = lib.tensor(0.1)
        opt = lib.optim.SGD([p], lr=lr)
        sched = S(lib).ExponentialLR(opt, gamma=0.5)
        opt.step()
        sched.step()
        out.append((opt.param_groups[0]["lr"] is lr, lr.item(), [x.item() for x in sched.get_last_lr()]))
    assert out[0] == out[1]


def _errors(fn):
    caught = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            fn(lib, _optimizer(lib))
        caught.append((type(info.value), str(info.value)))
    assert caught[0] == caught[1]


ERRORS = {
    "not-an-optimizer": lambda lib, o: S(lib).StepLR(object(), 1),
    "resume-without-initial-lr": lambda lib, o: S(lib).StepLR(o, 1, last_epoch=3),
    "constant-factor": lambda lib, o: S(lib).ConstantLR(o, factor=1.5),
    "linear-start": lambda lib, o: S(lib).LinearLR(o, start_factor=0),
    "linear-end": lambda lib, o: S(lib).LinearLR(o, end_factor=2),
    "lambda-count": lambda lib, o: S(lib).LambdaLR(o, [lambda e: 1.0]),
    "multiplicative-not-callable": lambda lib, o: S(lib).MultiplicativeLR(o, 0.9),
    "warm-T0": lambda lib, o: S(lib).CosineAnnealingWarmRestarts(o, T_0=0),
    "warm-Tmult": lambda lib, o: S(lib).CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "warm-eta": lambda lib, o: S(lib).CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
    "warm-negative-epoch": lambda lib, o: S(lib).CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    "onecycle-no-steps": lambda lib, o: S(lib).OneCycleLR(o, max_lr=0.1),
    "onecycle-total": lambda lib, o: S(lib).OneCycleLR(o, max_lr=0.1, total_steps=0),
    "onecycle-epochs": lambda lib, o: S(lib).OneCycleLR(o, max_lr=0.1, epochs=0, steps_per_epoch=2),
    "onecycle-pct": lambda lib, o: S(lib).OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=1),
    "onecycle-anneal": lambda lib, o: S(lib).OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="exp"),
    "onecycle-max-lr-count": lambda lib, o: S(lib).OneCycleLR(o, max_lr=[0.1], total_steps=5),
    "onecycle-too-many-steps": lambda lib, o: (lambda s: [s.step() for _ in range(3)])(
        S(lib).OneCycleLR(o, max_lr=0.1, total_steps=2)),
    "cycle-momentum-unsupported": lambda lib, o: S(lib).OneCycleLR(
        lib.optim.Adagrad([lib.zeros(2, requires_grad=True)]), max_lr=0.1, total_steps=5),
    "cyclic-mode": lambda lib, o: S(lib).CyclicLR(o, 0.01, 0.1, mode="sine"),
    "plateau-factor": lambda lib, o: S(lib).ReduceLROnPlateau(o, factor=1.0),
    "plateau-mode": lambda lib, o: S(lib).ReduceLROnPlateau(o, mode="up"),
    "plateau-threshold-mode": lambda lib, o: S(lib).ReduceLROnPlateau(o, threshold_mode="pct"),
    "plateau-min-lrs": lambda lib, o: S(lib).ReduceLROnPlateau(o, min_lr=[0.1]),
    "sequential-empty": lambda lib, o: S(lib).SequentialLR(o, [], []),
    "sequential-milestones": lambda lib, o: S(lib).SequentialLR(o, [S(lib).StepLR(o, 1)], [1]),
    "sequential-plateau": lambda lib, o: S(lib).SequentialLR(o, [S(lib).ReduceLROnPlateau(o)], []),
    "chained-empty": lambda lib, o: S(lib).ChainedScheduler([]),
    "chained-other-optimizer": lambda lib, o: S(lib).ChainedScheduler(
        [S(lib).StepLR(o, 1), S(lib).StepLR(_optimizer(lib), 1)]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_match_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _errors(ERRORS[case])
