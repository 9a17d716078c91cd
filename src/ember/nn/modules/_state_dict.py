"""Saving a module's own entries of a state dict, and loading a state dict into a module tree
(``Module.load_state_dict``) with torch's key rules and its one combined error for missing keys,
unexpected keys and size mismatches."""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

from ember.autograd.grad_mode import no_grad
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(NamedTuple("IncompatibleKeys", [("missing_keys", list), ("unexpected_keys", list)])):
    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def save_own(self: Any, destination: dict[str, Any], prefix: str, keep_vars: bool, has_extra_state: bool) -> None:
    """One module's own parameters and persistent buffers (``Module._save_to_state_dict``)."""
    for name, param in self._parameters.items():
        if param is not None:
            destination[prefix + name] = param if keep_vars else param.detach()
    for name, buf in self._buffers.items():
        if buf is not None and name not in self._non_persistent_buffers_set:
            destination[prefix + name] = buf if keep_vars else buf.detach()
    if has_extra_state:
        destination[prefix + EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()


def load_own(self: Any, state_dict: Mapping[str, Any], prefix: str, local_metadata: dict[str, Any], strict: bool,
             missing_keys: list[str], unexpected_keys: list[str], error_msgs: list[str],
             sets_extra_state: bool) -> None:
    """One module's own parameters and persistent buffers (``Module._load_from_state_dict``)."""
    persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
    local_state = {k: v for k, v in itertools.chain(self._parameters.items(), persistent.items()) if v is not None}
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, param in local_state.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        input_param = state_dict[key]
        if not isinstance(input_param, Tensor):
            error_msgs.append(f'While copying the parameter named "{key}", expected ember.Tensor or Tensor-like '
                              f"object from checkpoint but received {type(input_param)}")
            continue
        if param.dim() == 0 and input_param.dim() == 1 and input_param.shape[0] == 1:
            input_param = input_param[0]  # a 0-d parameter saved as one element
        if input_param.shape != param.shape:
            error_msgs.append(f"size mismatch for {key}: copying a param with shape {input_param.shape} from "
                              f"checkpoint, the shape in current model is {param.shape}.")
            continue
        try:
            with no_grad():
                if assign:
                    if isinstance(param, Parameter) and not isinstance(input_param, Parameter):
                        input_param = Parameter(input_param, requires_grad=param.requires_grad)
                    elif isinstance(param, Parameter):
                        input_param.requires_grad_(param.requires_grad)
                    setattr(self, name, input_param)
                else:
                    param.copy_(input_param)
        except Exception as ex:
            error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                              f"{param.size()} and whose dimensions in the checkpoint are {input_param.size()}, "
                              f"an exception occurred : {ex.args}.")
    extra_key = prefix + EXTRA_STATE_KEY_SUFFIX
    if sets_extra_state:
        if extra_key in state_dict:
            self.set_extra_state(state_dict[extra_key])
        elif strict:
            missing_keys.append(extra_key)
    elif strict and extra_key in state_dict:
        unexpected_keys.append(extra_key)
    if strict:
        for key in state_dict:
            if key.startswith(prefix) and key != extra_key:
                first, *rest = key[len(prefix):].split(".", 1)
                if (first not in self._modules) if rest else (first not in local_state):
                    unexpected_keys.append(key)


def load(self: Any, state_dict: Mapping[str, Any], strict: bool, assign: bool) -> _IncompatibleKeys:
    """``Module.load_state_dict``: every module in turn, then one error listing every problem."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing_keys: list[str] = []
    unexpected_keys: list[str] = []
    error_msgs: list[str] = []
    metadata = getattr(state_dict, "_metadata", None)
    stack: list[tuple[Any, dict[str, Any], str]] = [(self, dict(state_dict), "")]
    while stack:  # parents before children, children in registration order, as torch's recursion
        module, local_state_dict, prefix = stack.pop()
        local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
        if assign:
            local_metadata["assign_to_params_buffers"] = assign
        module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing_keys,
                                     unexpected_keys, error_msgs)
        children = []
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                children.append((child, {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)},
                                 child_prefix))
        stack.extend(reversed(children))
    if strict:
        if unexpected_keys:
            error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in unexpected_keys)))
        if missing_keys:
            error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in missing_keys)))
    if error_msgs:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
            self.__class__.__name__, "\n\t".join(error_msgs)))
    return _IncompatibleKeys(missing_keys, unexpected_keys)
