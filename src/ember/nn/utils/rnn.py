"""Variable-length sequences for the recurrent layers, as ``torch.nn.utils.rnn``.

A batch of sequences of lengths L_0 >= L_1 >= ... is *packed* time step by time step: step t
holds the rows of the sequences still running (``batch_sizes[t]`` = #{b : L_b > t}), so
``data`` has sum(L_b) rows and no padding. ``sorted_indices`` records how an unsorted batch was
ordered by decreasing length, ``unsorted_indices`` its inverse.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ember import creation, dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import broadcast_error
from ember.ops.registry import attach, node_class
from ember.ops.sorting import sort
from ember.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """The packed rows ``data`` of a batch of sequences, ``batch_sizes[t]`` of them at step t.

    Made by ``pack_padded_sequence`` / ``pack_sequence``, never by hand; the recurrent layers take
    and return it.
    """

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)), as torch accepts
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)``; the same PackedSequence when that changes nothing."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to(*args, **kwargs)

    def double(self) -> PackedSequence:
        return self.to(dtype=dtypes.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=dtypes.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=dtypes.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=dtypes.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=dtypes.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=dtypes.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=dtypes.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=dtypes.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation: ``out[permutation[i]] = i``."""
    if permutation is None:
        return None
    output = creation.empty_like(permutation)
    return output.scatter_(0, permutation, creation.arange(0, permutation.numel()))


# the packed rows are x[index]; their gradient goes back to those places of zeros shaped like x
_PackPadded = node_class("PackPaddedSequenceBackward0",
                         lambda F, grad, index, shape: F.index_zeros(grad, index, shape, False))


def _pack(input: Tensor, lengths: Any, batch_first: bool) -> tuple[Tensor, Tensor]:
    """torch's ``_pack_padded_sequence``: the packed rows and the batch sizes (checks as torch's)."""
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if lengths.dim() != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D cpu Long "
                           "tensor")
    batch_size = input.size(0) if batch_first and input.dim() > 1 else input.size(1)
    n = lengths._data.shape[0]
    if n != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {n} (batch_size={batch_size})")
    lens = lengths._data
    if lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if (lens[:-1] < lens[1:]).any():
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
                           "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    steps = input.size(1) if batch_first else input.size(0)
    if lens[0] > steps:
        raise RuntimeError(f"the longest length ({int(lens[0])}) exceeds the sequence dim of the input ({steps})")
    running = xp.arange(int(lens[0]))[:, None] < lens[None, :]  # (step, sequence): still running
    t_idx, b_idx = xp.nonzero(running)  # step-major, as the rows are packed
    index = (b_idx, t_idx) if batch_first else (t_idx, b_idx)
    data = Tensor._make(input._data[index])
    if input._requires_grad and grad_state.enabled:
        attach(data, _PackPadded, (input,), {"index": index, "shape": input._data.shape})
    return data, Tensor._make(running.sum(1))


def pack_padded_sequence(input: Tensor, lengths: Tensor | list[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) when ``batch_first``) of sequences of ``lengths``.

    ``enforce_sorted=False`` sorts the batch by decreasing length first and records the order.
    """
    if isinstance(lengths, Tensor):
        lengths = lengths.to(dtype=dtypes.int64)
    else:
        lengths = creation.as_tensor(lengths, dtype=dtypes.int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = sort(lengths, descending=True, stable=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: the padded batch (``total_length`` steps if given) and the lengths."""
    batch_sizes = sequence.batch_sizes._data
    max_seq_length = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = int(batch_sizes[0])
    running = xp.arange(batch)[None, :] < batch_sizes[:, None]  # (step, sequence)
    padded = creation.full((max_seq_length, batch, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded[xp.nonzero(running)] = data
    lengths = Tensor._make(running.sum(0))
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        return padded.index_select(0 if batch_first else 1, sequence.unsorted_indices), \
            lengths[sequence.unsorted_indices]
    return padded, lengths


def pad_sequence(sequences: Tensor | list[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padded with ``padding_value``
    on the ``padding_side``."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    if first.dim() == 0:
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    max_len = max(s.size(0) for s in sequences)
    trailing = tuple(first.shape[1:])
    shape = (len(sequences), max_len, *trailing) if batch_first else (max_len, len(sequences), *trailing)
    out = creation.full(shape, padding_value, dtype=first.dtype)
    for i, seq in enumerate(sequences):
        length = seq.size(0)
        start = max_len - length if padding_side == "left" else 0
        _check_trailing(seq, trailing)
        if batch_first:
            out[i, start:start + length] = seq
        else:
            out[start:start + length, i] = seq
    return out


def _check_trailing(seq: Tensor, trailing: tuple[int, ...]) -> None:
    """torch's copy_ check of one sequence (L, *) against the padded slot (L, *trailing) it fills."""
    slot, got = (seq.size(0) if seq.dim() else 1, *trailing), tuple(seq.shape)
    try:
        shape = xp.broadcast_shapes(slot, got)
    except ValueError:
        raise broadcast_error(slot, got) from None
    if shape != slot:
        raise RuntimeError(f"output with shape {list(slot)} doesn't match the broadcast shape {list(shape)}")


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (the first ``lengths[b]`` steps of each)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    idx = creation.arange(padded_sequences.shape[1])
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *), longest first unless ``enforce_sorted=False``."""
    lengths = creation.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Undo ``pack_sequence``: the list of sequences, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
