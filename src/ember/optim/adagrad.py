"""Adagrad: per-coordinate learning rates from the sum of squared past gradients."""
from __future__ import annotations

from typing import Any

from ember.creation import full_like, tensor
from ember.optim.optimizer import Optimizer, ParamsT, _check_fused, _check_tensor_lr, _scalar_dtype, _value
from ember.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`:

    .. math::
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \\
        \tilde\gamma &\leftarrow \gamma / (1 + (t - 1)\eta) \\
        s_t &\leftarrow s_{t-1} + g_t^2 \\
        \theta_t &\leftarrow \theta_{t-1} - \tilde\gamma \, g_t / (\sqrt{s_t} + \epsilon)

    with :math:`s_0` the initial accumulator value. The state is created for every parameter at
    construction, as torch does.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate :math:`\gamma`. Default: 1e-2.
        lr_decay: learning rate decay :math:`\eta`. Default: 0.
        weight_decay: :math:`\lambda`. Default: 0.
        initial_accumulator_value: :math:`s_0`. Default: 0.
        eps: :math:`\epsilon`, added to the denominator. Default: 1e-10.
        foreach, fused: kernel choices in torch; accepted (ember has one kernel).
        maximize: maximize the objective instead of minimizing. Default: False.
        differentiable: run the step with grad enabled so autograd sees it. Default: False.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        state = self.state[p]
        state["step"] = tensor(0.0, dtype=_scalar_dtype())
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])
        return state

    def _update(self, p: Tensor, grad: Tensor, group: dict[str, Any]) -> None:
        state = self.state[p] if len(self.state[p]) else self._init_state(p)
        step_t, state_sum = state["step"], state["sum"]
        step_t += 1
        step = step_t.item()
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        clr = _value(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state_sum.addcmul_(grad, grad, value=1)
        std = state_sum.sqrt().add_(group["eps"])
        p.addcdiv_(grad, std, value=-clr)
