"""Datasets, samplers and the DataLoader (``torch.utils.data``)."""
from ember.utils.data.collate import default_collate, default_convert
from ember.utils.data.dataloader import DataLoader, _DatasetKind, get_worker_info
from ember.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from ember.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
    "Sampler", "SequentialSampler", "Subset", "TensorDataset", "WeightedRandomSampler", "default_collate",
    "default_convert", "random_split",
    "StackDataset", "SubsetRandomSampler", "_DatasetKind", "get_worker_info",
]
