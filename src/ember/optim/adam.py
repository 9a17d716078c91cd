"""Adam and AdamW (Adam with decoupled weight decay), with torch's AMSGrad variant."""
from __future__ import annotations

from typing import Any

from ember.backend import xp
from ember.creation import tensor, zeros_like
from ember.ops.elementwise import maximum
from ember.optim.optimizer import (
    Optimizer,
    ParamsT,
    _check_fused,
    _check_tensor_lr,
    _scalar_dtype,
    _to_scalar,
    _value,
    check_adam_hyperparameters,
)
from ember.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam: adaptive moment estimation.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`:

    .. math::
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{(or } \theta_{t-1} \leftarrow
              \theta_{t-1}(1 - \gamma\lambda) \text{ when decoupled)} \\
        m_t &\leftarrow \mathrm{lerp}(m_{t-1}, g_t, 1 - \beta_1) \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &\leftarrow \max(\hat v_{t-1}, v_t) \text{ (amsgrad), else } v_t \\
        \theta_t &\leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}
                   \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate :math:`\gamma`. Default: 1e-3.
        betas: :math:`(\beta_1, \beta_2)`, the decay rates of the moment averages. Default: (0.9, 0.999).
        eps: :math:`\epsilon`, added to the denominator. Default: 1e-8.
        weight_decay: :math:`\lambda`. Default: 0.
        amsgrad: use the maximum of past second moments (AMSGrad). Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, capturable, fused: kernel choices in torch; accepted (ember has one kernel).
        differentiable: run the step with grad enabled so autograd sees it. Default: False.
        decoupled_weight_decay: decay the weights directly, as AdamW does. Default: False.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3, betas: tuple[Any, Any] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
            _check_tensor_lr(lr)
        check_adam_hyperparameters(lr, eps, betas, weight_decay)
        if not all(isinstance(b, float) for b in betas) and not all(isinstance(b, Tensor) for b in betas):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(map(_to_scalar, betas)), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _update(self, p: Tensor, grad: Tensor, group: dict[str, Any]) -> None:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = tensor(0.0, dtype=_scalar_dtype())
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(p)
        if group["maximize"]:
            grad = -grad
        if not group["differentiable"] and p._base is None and p._data.dtype.kind == "f" \
                and grad._data.dtype == p._data.dtype:
            self._update_arrays(p, grad, state, group)
            return
        exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        lr, weight_decay, eps = _value(group["lr"]), group["weight_decay"], group["eps"]
        beta1, beta2 = (_value(b) for b in group["betas"])
        step_t += 1
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(p, alpha=weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = step_t.item()
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            max_exp_avg_sq.copy_(maximum(max_exp_avg_sq, exp_avg_sq))
            denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        else:
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-step_size)

    @staticmethod
    def _update_arrays(p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """The update above on the arrays, in place, with the same operations in the same order (so the
        same values): no graph is recorded, so the tensor ops' bookkeeping is all it saves."""
        exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        lr, weight_decay, eps = _value(group["lr"]), group["weight_decay"], group["eps"]
        beta1, beta2 = (_value(b) for b in group["betas"])
        step_t += 1
        x, m, v = p._data, exp_avg._data, exp_avg_sq._data
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                x *= 1 - lr * weight_decay
            else:
                grad = grad.add(p, alpha=weight_decay)
        g = grad._data
        w = 1 - beta1
        t = g - m  # lerp(m, g, w): torch's two-sided formula, as ``lerp``
        if abs(w) < 0.5:
            t *= w
            m += t
        else:
            t *= 1 - w
            xp.subtract(g, t, out=m)
        v *= beta2
        xp.multiply(g, 1 - beta2, out=t)  # addcmul: v + (value * g) * g
        t *= g
        v += t
        step = step_t.item()
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            xp.maximum(max_exp_avg_sq._data, v, out=max_exp_avg_sq._data)
            max_exp_avg_sq._vc[0] += 1
            v = max_exp_avg_sq._data
        denom = xp.sqrt(v)
        denom /= bias_correction2_sqrt
        denom += eps
        xp.multiply(m, -(lr / (1 - beta1**step)), out=t)  # addcdiv: x + (value * m) / denom
        t /= denom
        x += t
        for written in (p, exp_avg, exp_avg_sq):
            written._vc[0] += 1


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, :math:`\theta \leftarrow \theta (1 - \gamma\lambda)`
    before the Adam update (see :class:`Adam` for the update and the arguments).

    Args:
        weight_decay: :math:`\lambda`. Default: 1e-2.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3, betas: tuple[Any, Any] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
