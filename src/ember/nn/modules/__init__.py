"""The layer classes of ember.nn (re-exports only)."""
from ember.nn.modules.activation import (
                                         CELU,
                                         ELU,
                                         GELU,
                                         GLU,
                                         SELU,
                                         Hardshrink,
                                         Hardsigmoid,
                                         Hardswish,
                                         Hardtanh,
                                         LeakyReLU,
                                         LogSigmoid,
                                         LogSoftmax,
                                         Mish,
                                         PReLU,
                                         ReLU,
                                         ReLU6,
                                         RReLU,
                                         Sigmoid,
                                         SiLU,
                                         Softmax,
                                         Softmax2d,
                                         Softmin,
                                         Softplus,
                                         Softshrink,
                                         Softsign,
                                         Tanh,
                                         Tanhshrink,
                                         Threshold,
)
from ember.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from ember.nn.modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from ember.nn.modules.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ember.nn.modules.distance import CosineSimilarity, PairwiseDistance
from ember.nn.modules.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from ember.nn.modules.flatten import Flatten, Unflatten
from ember.nn.modules.linear import Bilinear, Identity, Linear
from ember.nn.modules.loss import (
                                         BCELoss,
                                         BCEWithLogitsLoss,
                                         CosineEmbeddingLoss,
                                         CrossEntropyLoss,
                                         CTCLoss,
                                         GaussianNLLLoss,
                                         HingeEmbeddingLoss,
                                         HuberLoss,
                                         KLDivLoss,
                                         L1Loss,
                                         MarginRankingLoss,
                                         MSELoss,
                                         MultiLabelMarginLoss,
                                         MultiLabelSoftMarginLoss,
                                         MultiMarginLoss,
                                         NLLLoss,
                                         PoissonNLLLoss,
                                         SmoothL1Loss,
                                         SoftMarginLoss,
                                         TripletMarginLoss,
                                         TripletMarginWithDistanceLoss,
)
from ember.nn.modules.module import Module
from ember.nn.modules.normalization import GroupNorm, LayerNorm, RMSNorm
from ember.nn.modules.pooling import (
                                         AdaptiveAvgPool1d,
                                         AdaptiveAvgPool2d,
                                         AdaptiveMaxPool1d,
                                         AdaptiveMaxPool2d,
                                         AvgPool1d,
                                         AvgPool2d,
                                         AvgPool3d,
                                         MaxPool1d,
                                         MaxPool2d,
                                         MaxPool3d,
)
from ember.nn.modules.sparse import Embedding

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d",
    "AvgPool3d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d",
    "MaxPool2d", "MaxPool3d",
    "AlphaDropout", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Bilinear", "CELU",
    "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "ELU", "Embedding", "FeatureAlphaDropout",
    "Flatten", "GELU", "GLU", "GaussianNLLLoss", "GroupNorm", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "HuberLoss", "Identity", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax",
    "MSELoss", "Mish", "Module", "ModuleDict", "ModuleList", "NLLLoss", "PReLU", "ParameterDict", "ParameterList",
    "RMSNorm", "RReLU", "ReLU", "ReLU6", "SELU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax",
    "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold", "Unflatten",
    "CosineSimilarity", "PairwiseDistance",
    "CTCLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PoissonNLLLoss", "SoftMarginLoss", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
]
