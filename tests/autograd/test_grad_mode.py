"""Grad mode: no_grad / enable_grad / set_grad_enabled / inference_mode as context managers and
decorators, on generators, nested, on exceptions and per thread; each scenario runs on torch and
on ember and the observations must be equal."""
from __future__ import annotations

import threading
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _restore_modes():
    yield
    for L in (torch, ember):
        L.set_grad_enabled(True)
    assert not torch.is_inference_mode_enabled() and not ember.is_inference_mode_enabled()


def both(scenario):
    t = scenario(torch)
    e = scenario(ember)
    assert e == t
    return t


def modes(L):
    return (L.is_grad_enabled(), L.is_inference_mode_enabled())


def records(L):
    """Whether an op on a tensor that requires grad records a graph right now."""
    x = L.ones(2, requires_grad=True)
    y = x * 2
    return (y.requires_grad, y.grad_fn is not None)


# -- context managers -----------------------------------------------------------------------
def test_no_grad_context():
    def scenario(L):
        out = [modes(L), records(L)]
        with L.no_grad():
            out += [modes(L), records(L)]
            x = L.ones(2, requires_grad=True)  # a factory still makes a leaf that requires grad
            out.append((x.requires_grad, x.is_leaf, (x + 1).requires_grad))
        out += [modes(L), records(L)]
        return out

    both(scenario)


def test_enable_grad_inside_no_grad():
    def scenario(L):
        out = []
        with L.no_grad():
            with L.enable_grad():
                out += [modes(L), records(L)]
            out += [modes(L), records(L)]
        return out

    both(scenario)


def test_set_grad_enabled_context_and_plain_call():
    def scenario(L):
        out = []
        with L.set_grad_enabled(False):
            out += [modes(L), records(L)]
            with L.set_grad_enabled(True):
                out += [modes(L), records(L)]
            out.append(modes(L))
        out.append(modes(L))
        L.set_grad_enabled(False)  # a plain call takes effect at once and stays
        out += [modes(L), records(L)]
        L.set_grad_enabled(True)
        out += [modes(L), records(L)]
        return out

    both(scenario)


def test_set_grad_enabled_object_sets_mode_on_construction_and_enter():
    def scenario(L):
        out = []
        manager = L.set_grad_enabled(False)
        out.append(modes(L))
        L.set_grad_enabled(True)
        with manager:
            out.append(modes(L))
        out.append(modes(L))
        return out

    both(scenario)


def test_set_grad_enabled_repr():
    def scenario(L):
        m = L.set_grad_enabled(False)
        L.set_grad_enabled(True)
        return repr(m).replace("torch.", "ember."), str(m).replace("torch.", "ember.")

    both(scenario)


def test_inference_mode_context():
    def scenario(L):
        out = [modes(L)]
        with L.inference_mode():
            out += [modes(L), records(L)]
            with L.inference_mode(False):
                out += [modes(L), records(L)]
            out.append(modes(L))
        with L.inference_mode(False):
            out.append(modes(L))
        with L.no_grad():
            with L.inference_mode(False):  # torch: InferenceMode(false) turns grad mode on
                out.append(modes(L))
        out.append(modes(L))
        return out

    both(scenario)


def test_enable_grad_inside_inference_mode():
    def scenario(L):
        with L.inference_mode():
            with L.enable_grad():
                return modes(L)

    both(scenario)


def test_deep_nesting_restores_each_level():
    def scenario(L):
        out = []
        with L.no_grad():
            with L.enable_grad():
                with L.set_grad_enabled(False):
                    with L.inference_mode():
                        with L.enable_grad():
                            out.append(modes(L))
                        out.append(modes(L))
                    out.append(modes(L))
                out.append(modes(L))
            out.append(modes(L))
        out.append(modes(L))
        return out

    both(scenario)


@pytest.mark.parametrize("manager", ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"])
def test_mode_restored_on_exception(manager):
    def scenario(L):
        make = {"no_grad": L.no_grad, "enable_grad": L.enable_grad,
                "set_grad_enabled": lambda: L.set_grad_enabled(False), "inference_mode": L.inference_mode}[manager]
        out = []
        for outer in (True, False):
            L.set_grad_enabled(outer)
            try:
                with make():
                    out.append(modes(L))
                    raise KeyError("boom")
            except KeyError:
                pass
            out.append(modes(L))
        L.set_grad_enabled(True)
        return out

    both(scenario)


def test_manager_object_reusable():
    def scenario(L):
        out = []
        m = L.no_grad()
        for _ in range(2):
            with m:
                out.append(modes(L))
            out.append(modes(L))
        return out

    both(scenario)


# -- decorators -----------------------------------------------------------------------------
def _decorated(L, kind):
    decorators = {
        "no_grad()": L.no_grad(),
        "no_grad": L.no_grad,
        "enable_grad()": L.enable_grad(),
        "enable_grad": L.enable_grad,
        "set_grad_enabled(False)": L.set_grad_enabled(False),
        "set_grad_enabled(True)": L.set_grad_enabled(True),
        "inference_mode()": L.inference_mode(),
        "inference_mode": L.inference_mode,
        "inference_mode(False)": L.inference_mode(False),
    }
    deco = decorators[kind]

    @deco
    def f(a, b=1):
        """Docstring kept."""
        return modes(L), records(L), a + b

    return f


DECORATORS = ["no_grad()", "no_grad", "enable_grad()", "enable_grad", "set_grad_enabled(False)",
              "set_grad_enabled(True)", "inference_mode()", "inference_mode", "inference_mode(False)"]


@pytest.mark.parametrize("kind", DECORATORS)
def test_decorator(kind):
    def scenario(L):
        L.set_grad_enabled(True)
        f = _decorated(L, kind)
        out = [modes(L), f.__name__, f.__doc__]  # making the decorator changes nothing now
        for outer in (True, False):
            L.set_grad_enabled(outer)
            out += [f(1, b=2), modes(L)]
        L.set_grad_enabled(True)
        return out

    both(scenario)


@pytest.mark.parametrize("kind", DECORATORS)
def test_decorator_restores_on_exception(kind):
    def scenario(L):
        L.set_grad_enabled(False)
        f = _decorated(L, kind)
        try:
            f(None)  # None + 1 raises inside the decorated call
        except TypeError:
            pass
        state = modes(L)
        L.set_grad_enabled(True)
        return state

    both(scenario)


def test_decorated_method():
    def scenario(L):
        class Model:
            @L.no_grad()
            def forward(self, x):
                return (x * 2).requires_grad, L.is_grad_enabled()

        return Model().forward(L.ones(1, requires_grad=True)), L.is_grad_enabled()

    both(scenario)


def test_decorating_a_class_warns_and_wraps_its_constructor():
    def scenario(L):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")

            @L.no_grad()
            class Thing:
                def __init__(self):
                    self.seen = L.is_grad_enabled()

        return Thing().seen, L.is_grad_enabled(), [(w.category.__name__, str(w.message)) for w in caught]

    both(scenario)


# -- generators -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["no_grad()", "no_grad", "enable_grad()", "set_grad_enabled(False)",
                                  "inference_mode()", "inference_mode"])
def test_decorated_generator_mode_only_while_it_runs(kind):
    def scenario(L):
        deco = {"no_grad()": L.no_grad(), "no_grad": L.no_grad, "enable_grad()": L.enable_grad(),
                "set_grad_enabled(False)": L.set_grad_enabled(False), "inference_mode()": L.inference_mode(),
                "inference_mode": L.inference_mode}[kind]
        L.set_grad_enabled(True)

        @deco
        def gen(n):
            got = []
            for i in range(n):
                got.append((yield (i, modes(L), records(L))))
            return got

        out = []
        for outer in (True, False):
            L.set_grad_enabled(outer)
            g = gen(3)
            out.append(modes(L))  # creating it runs nothing
            out.append(next(g))
            out.append(modes(L))  # the caller between steps keeps its own mode
            out.append(g.send("a"))
            out.append(modes(L))
            out.append(g.send("b"))
            try:
                g.send("c")
            except StopIteration as stop:
                out.append(stop.value)
            out.append(modes(L))
        L.set_grad_enabled(True)
        return out

    both(scenario)


def test_decorated_generator_that_returns_at_once():
    def scenario(L):
        @L.no_grad()
        def gen():
            return 5
            yield  # never reached: it makes this function a generator

        g = gen()
        try:
            next(g)
        except StopIteration as stop:
            return stop.value, modes(L)

    both(scenario)


def test_decorated_generator_throw_close_and_list():
    def scenario(L):
        seen = []

        @L.no_grad()
        def gen():
            try:
                while True:
                    try:
                        yield modes(L)
                    except ValueError:
                        seen.append(("caught", modes(L)))
            finally:
                seen.append(("closing", modes(L)))

        g = gen()
        out = [next(g), g.throw(ValueError("x")), modes(L)]
        g.close()
        out.append(modes(L))

        @L.enable_grad()
        def count(n):
            yield from (L.is_grad_enabled() for _ in range(n))

        with L.no_grad():
            out.append(list(count(3)))
        return out, seen

    both(scenario)


def test_exception_raised_inside_decorated_generator_restores_mode():
    def scenario(L):
        @L.no_grad()
        def gen():
            yield 1
            raise KeyError("boom")

        g = gen()
        next(g)
        try:
            next(g)
        except KeyError:
            pass
        return modes(L)

    both(scenario)


# -- threads --------------------------------------------------------------------------------
def _in_thread(fn):
    result = []
    t = threading.Thread(target=lambda: result.append(fn()))
    t.start()
    t.join()
    return result[0]


def test_new_thread_starts_with_grad_enabled():
    def scenario(L):
        out = []
        with L.no_grad():
            out.append(_in_thread(lambda: (modes(L), records(L))))
            out.append(modes(L))
        with L.inference_mode():
            out.append(_in_thread(lambda: modes(L)))
        L.set_grad_enabled(False)
        out.append(_in_thread(lambda: modes(L)))
        L.set_grad_enabled(True)
        return out

    both(scenario)


def test_thread_changing_mode_does_not_affect_caller():
    def scenario(L):
        def work():
            L.set_grad_enabled(False)
            return modes(L)

        inside = _in_thread(work)
        return inside, modes(L)

    both(scenario)


def test_threads_hold_different_modes_at_the_same_time():
    def scenario(L):
        barrier = threading.Barrier(2)
        seen = {}

        def worker(name, enabled):
            with L.set_grad_enabled(enabled):
                barrier.wait()  # both are inside their block now
                seen[name] = modes(L)
                barrier.wait()

        threads = [threading.Thread(target=worker, args=(n, e)) for n, e in (("on", True), ("off", False))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sorted(seen.items()), modes(L)

    both(scenario)


# -- in-place ops and grad mode -------------------------------------------------------------
def test_in_place_on_leaf_allowed_under_no_grad():
    def scenario(L):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        with L.no_grad():
            w.sub_(0.1 * w.grad)  # the optimizer step pattern
            w.mul_(2)
        return w.detach().tolist(), w.is_leaf, w.requires_grad, w.grad_fn is None

    both(scenario)


def test_results_under_no_grad_are_leaves_and_can_require_grad_later():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.no_grad():
            y = x * 3
        before = (y.requires_grad, y.is_leaf)
        y.requires_grad_()
        (y * y).sum().backward()
        return before, y.grad.tolist(), x.grad is None

    both(scenario)


def test_backward_inside_no_grad_still_computes_grads():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        with L.no_grad():
            y.backward()
            mode = modes(L)
        return x.grad.tolist(), mode

    both(scenario)


def test_create_graph_backward_inside_no_grad_records_the_grad_graph():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x ** 3).sum()
        with L.no_grad():
            (g,) = L.autograd.grad(y, x, create_graph=True)
            mode = modes(L)
        return g.requires_grad, g.tolist() if not g.requires_grad else g.detach().tolist(), mode

    both(scenario)
