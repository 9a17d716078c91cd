"""ember.optim.lr_scheduler: learning-rate schedulers (re-exports only)."""
from ember.optim.lr_scheduler.composite import ChainedScheduler, SequentialLR
from ember.optim.lr_scheduler.cyclic import CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ember.optim.lr_scheduler.decay import (
                                            ConstantLR,
                                            ExponentialLR,
                                            LambdaLR,
                                            LinearLR,
                                            MultiplicativeLR,
                                            MultiStepLR,
                                            PolynomialLR,
                                            StepLR,
)
from ember.optim.lr_scheduler.plateau import ReduceLROnPlateau
from ember.optim.lr_scheduler.scheduler import LRScheduler, _LRScheduler

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
           "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR", "_LRScheduler"]
