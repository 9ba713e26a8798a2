"""Find the records in local sources: files, folders, JSON pages, JSON Lines, zip and tar archives.

Everything streams: a folder or archive yields one record at a time, and a JSON page or export is
split into its studies without decoding them (`msgspec.Raw` keeps each study's bytes).
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
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


def _read_bounded(stream: IO[bytes], size: int) -> bytes:
    """Read an archive member, but never more than a page of studies could hold."""
    limit = max(MAX_RECORD_BYTES, 1000 * MAX_RECORD_BYTES // 16)
    with stream:
        return stream.read(min(size, limit) + 1)
