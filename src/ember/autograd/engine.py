"""The backward walk: order the nodes, run their rules, unbroadcast, accumulate, free.

Iterative throughout (Kahn's algorithm over dependency counts), so graph depth is bounded by
memory, not by Python's recursion limit. The engine knows no op: it calls ``node.apply`` and
reduces a gradient to its input's shape with the namespace's ``sum_to``.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ember.autograd import node as _node
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import AccumulateGrad, Node
from ember.backend import xp

Edge = tuple[Node, int]
_NEEDS_ONE, _NEEDS_NONE = (True,), (False,)


def run_backward(
    roots: Sequence[tuple[Edge, Any]],
    *,
    retain_graph: bool,
    create_graph: bool,
    targets: Sequence[Edge] | None = None,
    accumulate: bool = True,
) -> list[Any] | None:
    """Back-propagate ``roots`` (edge, gradient) pairs through the graph.

    ``targets``: edges whose incoming gradient is wanted. With ``accumulate`` they are the only
    leaves written (``backward(inputs=...)``); without, their gradients are returned instead
    (``autograd.grad``), each ``None`` where no gradient reached it.
    """
    as_tensor = create_graph
    F = _node._F_tensor if as_tensor else _node._F_array
    dependencies = _count_dependencies([edge[0] for edge, _ in roots])
    needed = None if targets is None else _needed_nodes(dependencies, [e[0] for e, _ in roots], targets)
    wanted = None if targets is None else {edge: i for i, edge in enumerate(targets)}
    captured: list[Any] = [None] * len(targets) if targets is not None else []

    buffers: dict[Node, list[Any]] = {}
    for (fn, nr), grad in roots:
        _add_to_buffer(buffers, fn, nr, grad)
    ready = [fn for fn in buffers if fn not in dependencies]

    conform = F.conform
    _Tensor = _node._tensor_type
    plain = not as_tensor and needed is None  # the common case, run with Node.apply inlined
    prev_mode = grad_state.enabled
    grad_state.enabled = create_graph
    try:
        while ready:
            fn = ready.pop()
            grads = buffers.pop(fn, None)
            if grads is not None:
                if fn._pre_hooks is not None or fn._retained is not None:
                    _run_tensor_hooks(fn, grads, F)
                if wanted is not None:
                    for nr, g in enumerate(grads):
                        i = wanted.get((fn, nr))
                        if i is not None:
                            captured[i] = g
            edges = fn.next_functions
            if not edges:  # a leaf's AccumulateGrad (or a node with no inputs)
                if (type(fn) is AccumulateGrad and grads is not None and grads[0] is not None and accumulate
                        and (wanted is None or (fn, 0) in wanted)):
                    _accumulate(fn.variable, grads[0], as_tensor)
                continue
            if grads is None or (needed is not None and fn not in needed):
                pass
            elif plain and fn._plain_apply and not fn._hooks:
                # Node.apply for one output, each input's gradient routed as soon as its rule returns
                if fn._versions:
                    for _, counter, expected in fn._versions:
                        if counter[0] != expected:
                            fn._check_versions()
                grad = grads[0]
                ctx = fn._ctx
                for (nxt, nr), vjp, names, meta in zip(edges, fn._vjps, fn._arg_names, fn._input_meta):
                    if nxt is None:
                        continue
                    if not names:
                        g = vjp(F, grad)
                    elif len(names) == 1:
                        name = names[0]
                        try:
                            value = ctx[name]
                        except KeyError:
                            raise RuntimeError(_node._FREED_MESSAGE) from None
                        g = vjp(F, grad, value._data if name != "result" and isinstance(value, _Tensor) else value)
                    else:
                        g = vjp(F, grad, *fn._saved_arrays(names))
                    if g is not None:
                        if g.shape != meta[0] or (g.dtype is not meta[1] and g.dtype != meta[1]):
                            g = conform(g, meta)
                        buf = buffers.get(nxt)
                        if buf is None:
                            if nxt._num_outputs == 1:
                                buffers[nxt] = [g]
                            else:
                                buffers[nxt] = buf = [None] * nxt._num_outputs
                                buf[nr] = g
                        else:
                            old = buf[nr]
                            buf[nr] = g if old is None else old + g
                    left = dependencies[nxt] - 1
                    dependencies[nxt] = left
                    if not left:
                        ready.append(nxt)
                grad = g = value = None  # drop references, so _accumulate may steal the arrays
                if not retain_graph:
                    fn.release()
                continue
            else:
                if len(edges) == 1:
                    nxt = edges[0][0]
                    needs = _NEEDS_ONE if nxt is not None and (needed is None or nxt in needed) else _NEEDS_NONE
                elif needed is None:
                    needs = tuple([nxt is not None for nxt, _ in edges])
                else:
                    needs = tuple([nxt is not None and nxt in needed for nxt, _ in edges])
                if True in needs:
                    in_grads = fn.apply(grads, needs, as_tensor)
                    if fn._hooks:
                        in_grads = _run_post_hooks(fn, in_grads, grads, F)
                    for (nxt, nr), g, meta in zip(edges, in_grads, fn._input_meta):
                        if g is not None and nxt is not None:
                            g = conform(g, meta)
                            buf = buffers.get(nxt)
                            if buf is None:
                                buffers[nxt] = buf = [None] * nxt._num_outputs
                            buf[nr] = g if buf[nr] is None else buf[nr] + g
                    del in_grads, g  # drop references, so _accumulate may steal the arrays
                if not retain_graph:
                    fn.release()
            for nxt, _ in edges:
                if nxt is not None:
                    left = dependencies[nxt] - 1
                    dependencies[nxt] = left
                    if not left:
                        ready.append(nxt)
    finally:
        grad_state.enabled = prev_mode
    return captured if not accumulate else None


def _count_dependencies(roots: Iterable[Node]) -> dict[Node, int]:
    """How many edges from nodes reachable from ``roots`` point at each node."""
    dependencies: dict[Node, int] = {}
    root_set = set(roots)
    stack = list(root_set)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                if nxt in dependencies:
                    dependencies[nxt] += 1
                else:
                    dependencies[nxt] = 1
                    if nxt not in root_set:  # a root is walked once, from the start
                        stack.append(nxt)
    return dependencies


def _needed_nodes(dependencies: dict[Node, int], roots: list[Node], targets: Sequence[Edge]) -> set[Node]:
    """Nodes that lie on a path from a root to a target: only they need to run."""
    order: list[Node] = []  # a topological order, found on a copy of the counts
    remaining = dict(dependencies)
    ready = [fn for fn in set(roots) if remaining.get(fn, 0) == 0]
    while ready:
        fn = ready.pop()
        order.append(fn)
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                remaining[nxt] -= 1
                if remaining[nxt] == 0:
                    ready.append(nxt)
    needed = {fn for fn, _ in targets}
    for fn in reversed(order):
        if fn not in needed and any(nxt in needed for nxt, _ in fn.next_functions if nxt is not None):
            needed.add(fn)
    return needed


def _add_to_buffer(buffers: dict[Node, list[Any]], fn: Node, nr: int, grad: Any) -> None:
    buf = buffers.get(fn)
    if buf is None:
        buffers[fn] = buf = [None] * fn._num_outputs
    buf[nr] = grad if buf[nr] is None else buf[nr] + grad


def _run_tensor_hooks(fn: Node, grads: list[Any], F: Any) -> None:
    """Tensor hooks (``register_hook`` on a non-leaf) may replace its gradient; then
    ``retain_grad`` stores it, last, as torch does."""
    for nr, hooks in (fn._pre_hooks or {}).items():
        if grads[nr] is not None:
            for hook in list(hooks):
                replaced = hook(F.as_tensor(grads[nr]))
                if replaced is not None:
                    grads[nr] = F.from_tensor(replaced)
    for nr, ref in (fn._retained or {}).items():
        tensor = ref()
        if tensor is not None and grads[nr] is not None:
            g = F.as_tensor(grads[nr])
            tensor._grad = g.detach().clone() if tensor._grad is None else tensor._grad + g


def _run_post_hooks(fn: Node, in_grads: list[Any], out_grads: list[Any], F: Any) -> list[Any]:
    as_t = F.as_tensor
    for hook in list(fn._hooks or ()):
        replaced = hook(
            tuple(None if g is None else as_t(g) for g in in_grads),
            tuple(None if g is None else as_t(g) for g in out_grads),
        )
        if replaced is not None:
            in_grads = [None if g is None else F.from_tensor(g) for g in replaced]
    return in_grads


def _accumulate(variable: Any, grad: Any, as_tensor: bool) -> None:
    """Add ``grad`` into a leaf's ``.grad`` (torch's AccumulateGrad)."""
    stealable = True
    if variable._hooks:
        for hook in list(variable._hooks):
            replaced = hook(grad if as_tensor else _node._tensor_type._make(grad))
            if replaced is not None:
                grad = replaced if as_tensor else replaced._data
                stealable = False  # the hook's tensor may be the caller's: refcounts can't tell
    old = variable._grad
    if as_tensor:
        variable._grad = grad if old is None else old + grad
    elif old is None:
        # Steal the array when nothing else can see it (the engine's buffer and the locals
        # here hold the only references); otherwise copy, so .grad never aliases another tensor.
        if not stealable or sys.getrefcount(grad) > _STEALABLE_REFCOUNT or not _owns(grad):
            grad = grad.copy()
        variable._grad = _node._tensor_type._make(grad)
    elif old._grad_fn is None and not old._requires_grad and old._data.shape == grad.shape:
        old._data += grad  # in place, as torch does outside create_graph: .grad keeps its identity
    else:
        variable._grad = old + _node._tensor_type._make(grad)


# references to a gradient array held by run_backward's `grads` list, this function's argument,
# and getrefcount's own argument
_STEALABLE_REFCOUNT = 3


def _owns(grad: Any) -> bool:
    """Whether ``grad`` alone sees its memory: it owns it, or it is a C-contiguous view of all of an
    array that nothing else references (a reduction's keepdims result reshaped, say)."""
    base = grad.base
    if base is None:
        return True
    # references to `base`: grad's own, this local, and getrefcount's argument
    return (type(base) is xp.ndarray and base.base is None and base.size == grad.size and grad.flags.c_contiguous
            and sys.getrefcount(base) == 3)
