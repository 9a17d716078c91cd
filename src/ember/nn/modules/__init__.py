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
from ember.nn.modules.attention import MultiheadAttention
from ember.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from ember.nn.modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from ember.nn.modules.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ember.nn.modules.distance import CosineSimilarity, PairwiseDistance
from ember.nn.modules.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from ember.nn.modules.flatten import Flatten, Unflatten
from ember.nn.modules.fold import Fold, Unfold
from ember.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
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
from ember.nn.modules.pixelshuffle import ChannelShuffle, PixelShuffle, PixelUnshuffle
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
from ember.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from ember.nn.modules.sparse import Embedding, EmbeddingBag
from ember.nn.modules.transformer import (
                                         Transformer,
                                         TransformerDecoder,
                                         TransformerDecoderLayer,
                                         TransformerEncoder,
                                         TransformerEncoderLayer,
)
from ember.nn.modules.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "ChannelShuffle", "EmbeddingBag", "Fold", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "PixelShuffle",
    "PixelUnshuffle", "Unfold", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d",
    "AvgPool3d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d",
    "MaxPool2d", "MaxPool3d",
    "CosineSimilarity", "PairwiseDistance",
    "AlphaDropout", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Bilinear", "CELU",
    "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "ELU", "Embedding", "FeatureAlphaDropout",
    "Flatten", "GELU", "GLU", "GaussianNLLLoss", "GroupNorm", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "HuberLoss", "Identity", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax",
    "MSELoss", "Mish", "Module", "ModuleDict", "ModuleList", "NLLLoss", "PReLU", "ParameterDict", "ParameterList",
    "RMSNorm", "RReLU", "ReLU", "ReLU6", "SELU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax",
    "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold", "Unflatten",
    "CTCLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PoissonNLLLoss", "SoftMarginLoss", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase",
    "MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer",
]
