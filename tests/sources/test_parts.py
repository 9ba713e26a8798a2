"""Sources cut into parts for the parsing processes read back exactly as read_source reads."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from support import FIXTURES
from trialfinder.errors import SourceError
from trialfinder.sources import read_source
from trialfinder.sources.files import (
    FilesPart,
    RecordsPart,
    ZipPart,
    read_part,
    source_parts,
)

STUDY = (FIXTURES / "NCT05397184.json").read_bytes()
XML = (FIXTURES / "NCT03204344.xml").read_bytes()


def _mixed_folder(folder: Path) -> Path:
    """A folder with every kind of source: files, a page, JSON Lines, zip and tar archives."""
    folder.mkdir()
    (folder / "a.json").write_bytes(STUDY)
    (folder / "b.xml").write_bytes(XML)
    (folder / "c.json").write_bytes(b'{"studies": [' + STUDY + b", " + STUDY + b"]}")
    (folder / "d.jsonl").write_bytes(b"\n".join([b'{"x": 1}', b"", b"not json"]))
    with zipfile.ZipFile(folder / "e.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(5):
            archive.writestr(f"study-{n}.json", STUDY.replace(b"NCT05397184", b"NCT9000000%d" % n))
        archive.writestr("stored.xml", XML, compress_type=zipfile.ZIP_STORED)
        archive.writestr("notes.txt", b"skipped")
    with tarfile.open(folder / "f.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("inner/g.json")
        info.size = len(STUDY)
        archive.addfile(info, io.BytesIO(STUDY))
    (folder / "h.json").write_bytes(b'{"truncated": ')
    return folder


@pytest.mark.parametrize("size", [1, 2, 250], ids=["size-1", "size-2", "size-250"])
def test_parts_read_back_exactly_what_read_source_reads(tmp_path: Path, size: int) -> None:
    folder = _mixed_folder(tmp_path / "src")
    parts = list(source_parts(folder, size))
    assert [r for part in parts for r in read_part(part)] == list(read_source(folder))


def test_a_folder_is_cut_into_files_zip_members_and_read_records(tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path / "src")
    parts = list(source_parts(folder, 4))
    assert [type(p).__name__ for p in parts] == [
        "FilesPart",
        "RecordsPart",
        "ZipPart",
        "ZipPart",
        "RecordsPart",
        "FilesPart",
    ]
    first, _, zip_part, *_ = parts
    assert isinstance(first, FilesPart)
    assert [Path(p).name for p in first.paths] == ["a.json", "b.xml", "c.json"]
    assert isinstance(zip_part, ZipPart)
    assert [m.filename for m in zip_part.members] == ["stored.xml"] + [
        f"study-{n}.json" for n in range(3)
    ]
    assert isinstance(parts[1], RecordsPart)
    assert [r.position for r in parts[1].records] == ["line 1", "line 3"]


def test_an_unreadable_zip_is_a_source_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK not really")
    with pytest.raises(SourceError) as error:
        list(source_parts(bad, 10))
    assert error.value.args[0].startswith(f"{bad}: not a readable zip archive")


def test_a_damaged_zip_member_is_detected_not_returned(tmp_path: Path) -> None:
    path = tmp_path / "one.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.json", STUDY)
    (part,) = source_parts(path, 10)
    data = bytearray(path.read_bytes())
    offset = data.index(STUDY[:40])
    data[offset + 10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(zipfile.BadZipFile) as error:
        list(read_part(part))
    assert error.value.args[0] == "Bad CRC-32 for file 'a.json'"
