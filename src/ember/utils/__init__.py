"""Utilities (``torch.utils``): ``ember.utils.data``, ``ember.utils.safetensors``."""
from ember.utils import data, safetensors

__all__ = ["data", "safetensors"]
