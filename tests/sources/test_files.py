"""Finding records in every local shape: files, pages, exports, JSON Lines, folders, archives."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from support import FIXTURES
from trialfinder.errors import SourceError
from trialfinder.sources import parse_record, read_source

STUDY = (FIXTURES / "NCT05397184.json").read_bytes()


def _study(nct_id: str) -> dict[str, object]:
    return {"protocolSection": {"identificationModule": {"nctId": nct_id, "briefTitle": nct_id}}}


def _ids(source: Path) -> list[tuple[str, str]]:
    return [(r.position, parse_record(r).nct_id) for r in read_source(source)]


def test_single_study_file(tmp_path: Path) -> None:
    path = tmp_path / "NCT05397184.json"
    path.write_bytes(STUDY)
    assert _ids(path) == [("file", "NCT05397184")]


def test_api_page_is_split_into_studies(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    page = {"studies": [_study("NCT00000001"), _study("NCT00000002")], "nextPageToken": "abc"}
    path.write_text(json.dumps(page))
    assert _ids(path) == [("studies[0]", "NCT00000001"), ("studies[1]", "NCT00000002")]


def test_website_export_array_is_split(tmp_path: Path) -> None:
    path = tmp_path / "ctg-studies.json"
    path.write_text(json.dumps([_study("NCT00000001"), _study("NCT00000002")]))
    assert _ids(path) == [("[0]", "NCT00000001"), ("[1]", "NCT00000002")]


def test_json_lines_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "studies.jsonl"
    path.write_text(
        json.dumps(_study("NCT00000001")) + "\n\n" + json.dumps(_study("NCT00000002")) + "\n"
    )
    assert _ids(path) == [("line 1", "NCT00000001"), ("line 3", "NCT00000002")]


def test_folder_is_read_recursively_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "NCT00000002.json").write_text(json.dumps(_study("NCT00000002")))
    (tmp_path / "NCT00000001.json").write_text(json.dumps(_study("NCT00000001")))
    (tmp_path / "notes.txt").write_text("not a record")
    assert [r.origin for r in read_source(tmp_path)] == [
        str(tmp_path / "NCT00000001.json"),
        str(tmp_path / "b" / "NCT00000002.json"),
    ]


def test_bulk_zip_with_one_json_per_study(tmp_path: Path) -> None:
    path = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("NCT00000002.json", json.dumps(_study("NCT00000002")))
        archive.writestr("NCT00000001.json", json.dumps(_study("NCT00000001")))
        archive.writestr("README.txt", "ignored")
    assert _ids(path) == [("NCT00000001.json", "NCT00000001"), ("NCT00000002.json", "NCT00000002")]


def test_tar_gz_of_json(tmp_path: Path) -> None:
    path = tmp_path / "studies.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = json.dumps(_study("NCT00000003")).encode()
        info = tarfile.TarInfo("dump/NCT00000003.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    assert _ids(path) == [("dump/NCT00000003.json", "NCT00000003")]


def test_xml_files_are_yielded_as_xml(tmp_path: Path) -> None:
    path = tmp_path / "NCT00000001.xml"
    path.write_text("<clinical_study/>")
    (record,) = read_source(path)
    assert record.format == "ctgov_xml"


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as error:
        list(read_source(tmp_path / "nope"))
    assert str(error.value) == f"Source {str(tmp_path / 'nope')!r} is not a file or folder"


def test_truncated_page_is_yielded_whole_for_quarantine(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text('{"studies": [{"protocolSection": ')
    (record,) = read_source(path)
    assert (record.position, record.data) == ("file", path.read_bytes())
