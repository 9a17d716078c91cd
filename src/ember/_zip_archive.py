"""The zip container of torch's checkpoint format, written record by record as torch's writer
(miniz) lays it out, and read back with :mod:`zipfile`.

Every record is stored uncompressed under ``<archive>/``; an ``FB`` extra field of ``Z`` padding
puts each record's data at a multiple of 64 bytes (so a loader can map tensors straight from the
file); a data descriptor follows each non-empty record; zip64 end records close the archive.
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from typing import IO, Any

ALIGNMENT = 64
_ZIP64_LIMIT = 0xFFFFFFFF  # a size or offset at least this large needs zip64 fields
_CORRUPT = (". If you are seeing this error, there is a high likelihood that your checkpoint file is corrupted. "
            "This can happen if the checkpoint was not saved properly, was transferred incorrectly, or the file "
            "was modified after saving.")


class ZipWriter:
    """Appends records to ``out`` from its current position; :meth:`close` writes the directory."""

    def __init__(self, out: IO[bytes], archive_name: str) -> None:
        self.out = out
        self.prefix = archive_name + "/"
        self.pos = 0
        self.entries: list[tuple[bytes, int, int, int, int]] = []  # name, flags, crc, size, header offset

    def write_record(self, name: str, data: Any, size: int) -> None:
        """Write ``size`` bytes of ``data`` (bytes or any buffer) as record ``<archive>/name``."""
        full = (self.prefix + name).encode()
        offset = self.pos
        big_size, big_offset = size >= _ZIP64_LIMIT, offset >= _ZIP64_LIMIT
        zip64 = _zip64_extra(size if big_size else None, offset if big_offset else None)
        pad = -(offset + 30 + len(full) + len(zip64) + 4) % ALIGNMENT
        extra = zip64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = 0x0808 if size else 0x0800  # bit 3: sizes in a descriptor after the data; bit 11: UTF-8 names
        crc = zlib.crc32(data) if size else 0
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0, len(full), len(extra)),
                    full, extra, data)
        if size:
            wide = big_size or big_offset
            self._write(struct.pack("<IIQQ" if wide else "<IIII", 0x08074B50, crc, size, size))
        self.entries.append((full, flags, crc, size, offset))

    def close(self) -> None:
        start = self.pos
        for full, flags, crc, size, offset in self.entries:
            big_size, big_offset = size >= _ZIP64_LIMIT, offset >= _ZIP64_LIMIT
            extra = _zip64_extra(size if big_size else None, offset if big_offset else None)
            size32 = 0xFFFFFFFF if big_size else size
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0, crc, size32, size32,
                                    len(full), len(extra), 0, 0, 0, 0, 0xFFFFFFFF if big_offset else offset),
                        full, extra)
        count, cd_size, end64 = len(self.entries), self.pos - start, self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x002D, 0, 0, count, count, cd_size, start),
                    struct.pack("<IIQI", 0x07064B50, 0, end64, 1),
                    struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                                min(cd_size, 0xFFFFFFFF), min(start, 0xFFFFFFFF), 0))

    def _write(self, *chunks: Any) -> None:
        for chunk in chunks:
            self.out.write(chunk)
            self.pos += memoryview(chunk).nbytes


def _zip64_extra(size: int | None, offset: int | None) -> bytes:
    """The zip64 extended-information field for the values that do not fit 32 bits (empty if none)."""
    values = ([size, size] if size is not None else []) + ([offset] if offset is not None else [])
    return struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values) if values else b""


class ZipReader:
    """The records of a checkpoint archive, by name relative to its top folder."""

    def __init__(self, f: IO[bytes]) -> None:
        try:
            self.zip = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise RuntimeError(f"ember.load failed reading zip archive: failed finding central directory ({e})"
                               + _CORRUPT) from None
        names = self.zip.namelist()
        if names and "/" not in names[0]:
            raise RuntimeError(f"ember.load failed reading zip archive: file in archive is not in a subdirectory: "
                               f"{names[0]}")
        self.prefix = names[0].split("/", 1)[0] + "/" if names else ""
        self.names = set(names)

    def has_record(self, name: str) -> bool:
        return self.prefix + name in self.names

    def _info(self, name: str) -> zipfile.ZipInfo:
        if not self.has_record(name):
            raise RuntimeError(f"ember.load failed locating file {name}: file not found" + _CORRUPT)
        return self.zip.getinfo(self.prefix + name)

    def record_size(self, name: str) -> int:
        return self._info(name).file_size

    def get_record(self, name: str) -> bytes:
        try:
            return self.zip.read(self._info(name))
        except (zipfile.BadZipFile, EOFError, OSError, struct.error) as e:
            raise RuntimeError(f"ember.load failed reading file {name}: {e}" + _CORRUPT) from None

    def read_into(self, name: str, buffer: Any) -> None:
        """Fill ``buffer`` (a writable byte buffer of the record's size) with the record's bytes."""
        try:
            with self.zip.open(self._info(name)) as src:
                view, done = memoryview(buffer).cast("B"), 0
                while done < len(view):
                    n = src.readinto(view[done:])
                    if not n:
                        raise EOFError("unexpected end of data")
                    done += n
                if src.read(1):
                    raise ValueError("the record is longer than its storage")
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error) as e:
            raise RuntimeError(f"ember.load failed reading file {name}: {e}" + _CORRUPT) from None

    def data_offset(self, name: str) -> int:
        """Where the record's data starts in the file (for memory-mapping it)."""
        info = self._info(name)
        fp = self.zip.fp
        fp.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", fp.read(4))
        return info.header_offset + 30 + name_len + extra_len
