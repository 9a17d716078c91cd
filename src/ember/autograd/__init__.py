"""ember.autograd: reverse-mode differentiation (re-exports only)."""
from ember.autograd.api import backward, grad
from ember.autograd.function import Function, FunctionCtx, once_differentiable
from ember.autograd.grad_mode import (
                                      enable_grad,
                                      inference_mode,
                                      is_grad_enabled,
                                      is_inference_mode_enabled,
                                      no_grad,
                                      set_grad_enabled,
)
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from ember.autograd.node import AccumulateGrad, Node

__all__ = [
    "AccumulateGrad", "Function", "FunctionCtx", "GradcheckError", "Node", "backward", "enable_grad", "grad",
    "gradcheck", "gradgradcheck", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "no_grad",
    "once_differentiable", "set_grad_enabled",
]
