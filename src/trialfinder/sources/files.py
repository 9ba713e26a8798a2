"""Find the records in local sources: files, folders, JSON pages, JSON Lines, zip and tar archives.

Everything streams: a folder or archive yields one record at a time, and a JSON page or export is
split into its studies without decoding them (`msgspec.Raw` keeps each study's bytes).

`source_parts` cuts a source into `SourcePart`s instead: small picklable descriptions (a few
files of a folder, a few members of a zip) that another process reads with `read_part`, so a
parallel ingest inflates and splits records in its parsing processes, not in its writer.
Reading every part in turn yields exactly the records `read_source` yields.
"""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO

import msgspec

from trialfinder.errors import SourceError
from trialfinder.sources.base import RawRecord
from trialfinder.sources.ctgov_json import MAX_RECORD_BYTES

JSON_SUFFIXES = (".json",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
XML_SUFFIXES = (".xml",)
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")


class _Page(msgspec.Struct):
    studies: list[msgspec.Raw]


_page_decoder = msgspec.json.Decoder(_Page | list[msgspec.Raw])


def read_source(source: str | Path) -> Iterator[RawRecord]:
    """Yield every record found at `source` (a file, folder or archive), in a stable order."""
    path = Path(source)
    if path.is_dir():
        yield from _read_folder(path)
    elif path.is_file():
        yield from _read_file(path)
    else:
        raise SourceError(f"Source {str(source)!r} is not a file or folder")


def _suffix(name: str) -> str:
    lowered = name.lower()
    for suffix in (*TAR_SUFFIXES, *ZIP_SUFFIXES, *JSONL_SUFFIXES, *JSON_SUFFIXES, *XML_SUFFIXES):
        if lowered.endswith(suffix):
            return suffix
    return ""


def _read_folder(folder: Path) -> Iterator[RawRecord]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and _suffix(p.name)):
        yield from _read_file(path)


def _read_file(path: Path) -> Iterator[RawRecord]:
    suffix = _suffix(path.name)
    origin = str(path)
    if suffix in ZIP_SUFFIXES:
        yield from _read_zip(path)
    elif suffix in TAR_SUFFIXES:
        yield from _read_tar(path)
    elif suffix in JSONL_SUFFIXES:
        with path.open("rb") as stream:
            yield from read_json_lines(stream, origin)
    else:
        yield from _split_member(origin, "", path.read_bytes(), suffix or ".json")


def _split_member(origin: str, member: str, data: bytes, suffix: str) -> Iterator[RawRecord]:
    """Yield the records of one file's bytes: a study, an API page, an export array, or XML."""
    position = member or "file"
    if suffix in XML_SUFFIXES:
        yield RawRecord(origin, position, data, "ctgov_xml")
    elif suffix in JSONL_SUFFIXES:
        yield from read_json_lines(iter(data.splitlines(keepends=True)), origin, member)
    else:
        yield from split_json_document(origin, position, data)


def split_json_document(origin: str, position: str, data: bytes) -> Iterator[RawRecord]:
    """Split a JSON document into studies: `{"studies": [...]}` pages and `[...]` exports.

    Anything else (a single study, or bytes that are not JSON at all) is yielded whole, so the
    parser can accept it or quarantine it with its reason.
    """
    head = data[:4096].lstrip()
    is_container = head.startswith(b"[") or (head.startswith(b"{") and b'"studies"' in head)
    if is_container:
        try:
            page = _page_decoder.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError):
            page = None
        if page is not None:
            studies = page.studies if isinstance(page, _Page) else page
            prefix = "studies" if isinstance(page, _Page) else ""
            for index, raw in enumerate(studies):
                where = f"{position} {prefix}[{index}]".replace("file ", "")
                yield RawRecord(origin, where, bytes(raw), "ctgov_json")
            return
    yield RawRecord(origin, position, data, "ctgov_json")


def read_json_lines(
    lines: IO[bytes] | Iterator[bytes], origin: str, member: str = ""
) -> Iterator[RawRecord]:
    """Yield one record per non-blank line of a JSON Lines stream."""
    prefix = f"{member} " if member else ""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield RawRecord(origin, f"{prefix}line {number}", line.rstrip(b"\r\n"), "ctgov_json")


def _read_zip(path: Path) -> Iterator[RawRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise SourceError(f"{path}: not a readable zip archive ({error})") from None
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            suffix = _suffix(info.filename)
            if info.is_dir() or suffix not in (*JSON_SUFFIXES, *JSONL_SUFFIXES, *XML_SUFFIXES):
                continue
            data = _read_bounded(archive.open(info), info.file_size)
            yield from _split_member(str(path), info.filename, data, suffix)


def _read_tar(path: Path) -> Iterator[RawRecord]:
    try:
        archive = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as error:
        raise SourceError(f"{path}: not a readable tar archive ({error})") from None
    with archive:
        for info in archive:
            suffix = _suffix(info.name)
            if not info.isfile() or suffix not in (*JSON_SUFFIXES, *JSONL_SUFFIXES, *XML_SUFFIXES):
                continue
            stream = archive.extractfile(info)
            if stream is None:
                continue
            yield from _split_member(str(path), info.name, _read_bounded(stream, info.size), suffix)


def _read_bounded(stream: IO[bytes] | io.BufferedIOBase, size: int) -> bytes:
    """Read an archive member, but never more than a page of studies could hold."""
    limit = max(MAX_RECORD_BYTES, 1000 * MAX_RECORD_BYTES // 16)
    with stream:
        return stream.read(min(size, limit) + 1)


# -- parts: sources cut up to be read in other processes --------------------------------------


@dataclass(frozen=True, slots=True)
class FilesPart:
    """Some files of a folder (or one file), each holding one or more records."""

    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ZipPart:
    """Some members of a zip archive; the entries carry where each member's bytes lie."""

    path: str
    members: tuple[zipfile.ZipInfo, ...]


@dataclass(frozen=True, slots=True)
class RecordsPart:
    """Records already read (JSON Lines, tar archives, an unreadable source's quarantine entry)."""

    records: tuple[RawRecord, ...]


SourcePart = FilesPart | ZipPart | RecordsPart


def source_parts(source: str | Path, size: int) -> Iterator[SourcePart]:
    """Cut `source` into parts of about `size` records (files or zip members), in read order."""
    path = Path(source)
    if path.is_dir():
        files = (p for p in sorted(path.rglob("*")) if p.is_file() and _suffix(p.name))
        yield from _file_parts(files, size)
    elif path.is_file():
        yield from _file_parts(iter([path]), size)
    else:
        raise SourceError(f"Source {str(source)!r} is not a file or folder")


def _file_parts(files: Iterator[Path], size: int) -> Iterator[SourcePart]:
    plain: list[str] = []
    for path in files:
        suffix = _suffix(path.name)
        if suffix in (*JSON_SUFFIXES, *XML_SUFFIXES):
            plain.append(str(path))
            if len(plain) >= size:
                yield FilesPart(tuple(plain))
                plain.clear()
            continue
        if plain:
            yield FilesPart(tuple(plain))
            plain.clear()
        if suffix in ZIP_SUFFIXES:
            yield from _zip_parts(path, size)
        else:
            records = _read_file(path)
            while chunk := tuple(islice(records, size)):
                yield RecordsPart(chunk)
    if plain:
        yield FilesPart(tuple(plain))


def _zip_parts(path: Path, size: int) -> Iterator[ZipPart]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise SourceError(f"{path}: not a readable zip archive ({error})") from None
    with archive:
        members = sorted(
            (
                info
                for info in archive.infolist()
                if not info.is_dir()
                and _suffix(info.filename) in (*JSON_SUFFIXES, *JSONL_SUFFIXES, *XML_SUFFIXES)
            ),
            key=lambda i: i.filename,
        )
    for start in range(0, len(members), size):
        yield ZipPart(str(path), tuple(members[start : start + size]))


def read_part(part: SourcePart) -> Iterator[RawRecord]:
    """Yield the records of one part, as `read_source` would yield them."""
    if isinstance(part, RecordsPart):
        yield from part.records
    elif isinstance(part, FilesPart):
        for name in part.paths:
            yield from _read_file(Path(name))
    else:
        with open(part.path, "rb") as stream:
            for info in part.members:
                data = _read_member(stream, info)
                yield from _split_member(part.path, info.filename, data, _suffix(info.filename))


_LOCAL_HEADER = struct.Struct("<4s22xHH")
"""A zip local file header: signature, then (after 22 bytes) file name and extra field lengths."""


def _read_member(stream: IO[bytes], info: zipfile.ZipInfo) -> bytes:
    """Read one zip member by its directory entry, without reading the archive's directory again.

    `ZipExtFile` inflates it and checks its CRC, as `ZipFile.open` does.
    """
    stream.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(stream.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"{info.filename}: bad local file header")
    stream.seek(name_length + extra_length, 1)
    return _read_bounded(zipfile.ZipExtFile(stream, "r", info), info.file_size)
