"""Criteria engine benchmark (issue 5): trials/s on one core over the shared records' criteria.

Reads every eligibility text in ../shared/data/ctgov (API v2 JSON) and ctgov-xml-2023 (legacy
XML), then parses all of them with `parse_criteria` several times in this one process (one
core) and prints the median. Each run starts with an empty repeat memo (`parser.MEMO`), so a
run never profits from an earlier one; within a run, word-for-word repeated criteria are read
once, as in `trialfinder reparse`. Each repeat also times a run with the memo off, right after
the one with it, so both figures come from the same minutes; `memo_repeats` is the share of
criteria a run served from the memo. CPU time (`time.process_time`) is used, so other load on
the machine does not count; wall time is printed beside it.

    .venv/bin/python bench/criteria_bench.py --repeat 5

``--dump FILE`` writes every reading instead (memo off; each text alone, then each JSON record's
text with its condition MeSH terms), one JSON line per text, so that two engines' outputs can be
compared byte for byte (`cmp before.jsonl after.jsonl`).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import msgspec
from lxml import etree

from trialfinder.criteria import parser
from trialfinder.criteria.parser import parse_criteria

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def load_texts(data: Path) -> list[str]:
    """Return every non-empty eligibility criteria text in the shared JSON and 2023 XML."""
    texts = []
    for path in sorted((data / "ctgov").glob("*.json")):
        study = json.loads(path.read_text(encoding="utf-8"))["protocolSection"]
        text = study.get("eligibilityModule", {}).get("eligibilityCriteria")
        if text:
            texts.append(text)
    for path in sorted((data / "ctgov-xml-2023").glob("*.xml")):
        text = etree.parse(str(path)).findtext("eligibility/criteria/textblock")
        if text:
            texts.append(text)
    return texts


def load_mesh_records(data: Path) -> list[tuple[str, list[str]]]:
    """Return (criteria text, condition MeSH terms) for each shared JSON record with both."""
    records = []
    for path in sorted((data / "ctgov").glob("*.json")):
        study = json.loads(path.read_text(encoding="utf-8"))
        text = study["protocolSection"].get("eligibilityModule", {}).get("eligibilityCriteria")
        meshes = study.get("derivedSection", {}).get("conditionBrowseModule", {}).get("meshes", [])
        terms = [mesh["term"] for mesh in meshes]
        if text and terms:
            records.append((text, terms))
    return records


def dump_readings(texts: list[str], data: Path, out: Path) -> None:
    """Write every text's reading, then each JSON record's with its MeSH terms, memo off."""
    cache = getattr(parser, "MEMO", None)
    if cache is not None:
        cache.clear()
        cache.size = 0
    no_terms: list[str] = []
    records = [(text, no_terms) for text in texts] + load_mesh_records(data)
    with out.open("wb") as lines:
        for text, terms in records:
            lines.write(msgspec.json.encode(parse_criteria(text, mesh_terms=terms)) + b"\n")


def one_run(texts: list[str], memo: bool) -> tuple[float, float, int, int]:
    """Return (cpu seconds, wall seconds, criteria, memo hits) for parsing every text once."""
    # getattr: the bench also times older checkouts, which have no memo.
    cache = getattr(parser, "MEMO", None)
    saved = cache.size if cache is not None else 0
    if cache is not None:
        cache.clear()
        cache.size = saved if memo else 0
    cpu, wall = time.process_time(), time.perf_counter()
    criteria = 0
    try:
        for text in texts:
            parsed = parse_criteria(text)
            criteria += len(parsed.inclusion) + len(parsed.exclusion)
    finally:
        if cache is not None:
            cache.size = saved
    hits = getattr(cache, "hits", 0) if memo else 0
    return time.process_time() - cpu, time.perf_counter() - wall, criteria, hits


def main() -> None:
    """Parse the shared criteria ``--repeat`` times and print the median trials/s."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, default=DATA)
    options.add_argument("--repeat", type=int, default=5)
    options.add_argument("--no-memo", action="store_true", help="only time runs without memo")
    options.add_argument("--dump", type=Path, help="write every reading to this file, no timing")
    args = options.parse_args()
    texts = load_texts(args.data)
    if args.dump:
        dump_readings(texts, args.data, args.dump)
        return
    for text in texts[:20]:  # compile the tables before timing
        parse_criteria(text)
    runs, bare = [], []
    for _ in range(args.repeat):
        if not args.no_memo:
            runs.append(one_run(texts, True))
        bare.append(one_run(texts, False))
    runs = runs or bare
    cpu = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    bare_cpu = statistics.median(r[0] for r in bare)
    print(
        json.dumps(
            {
                "trials": len(texts),
                "criteria": runs[0][2],
                "memo": not args.no_memo,
                "repeat": args.repeat,
                "trials_per_cpu_s": round(len(texts) / cpu),
                "trials_per_wall_s": round(len(texts) / wall),
                "criteria_per_cpu_s": round(runs[0][2] / cpu),
                "trials_per_cpu_s_without_memo": round(len(texts) / bare_cpu),
                "memo_repeats": round(runs[0][3] / runs[0][2], 3),
                # A mypyc-compiled build (BENCHMARKS.md, "Criteria") loads parser from a .so.
                "compiled": Path(parser.__file__ or "").suffix != ".py",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "processor": platform.processor() or platform.machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
