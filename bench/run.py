"""Tripod's benchmark: how fast assessment, batches and the command are on this machine.

Run ``uv run python bench/run.py`` (about ten minutes) or ``--quick`` (well under a minute). It
generates valid random case files into a temporary folder, every field drawn within its validator
range from the knowledge catalog (so the generator follows the catalog when a range changes), red
flags mostly ``no``, some sections and fields left out as "not assessed"; then it measures:

- cases per second of ``tripod batch`` (the real command, a real process) with one and two jobs,
  and per CPU-second with one job, of the YAML files and of the same cases written as JSON;
- one ``assess(case, engine)`` with the engine already built: the classic example (a fully assessed
  case with many findings; median of many runs) and the generated cases (median and 90th
  percentile), and the parts around it (reading the example as a YAML and as a JSON case file,
  writing the JSON);
- ``tripod --help``, ``tripod assess <example>`` and ``tripod whatif <example>`` from process start
  to exit (median of several, wall clock and CPU time: on a shared machine the CPU time is the
  steadier figure), with Python's bytecode cache in use as on an installed machine (a
  ``PYTHONDONTWRITEBYTECODE`` in the environment would make every start compile every module);
- the what-if analysis of the classic example in-process, and the practitioner PDF with its "How
  solid is this?" section (render only, fonts already loaded);
- the peak resident memory of a one-job batch of N cases against one of N/10 cases: equal figures
  show memory does not grow with the batch.

Every figure is printed beside its goal (``GOALS``). ``--no-batch`` skips the batches and the
generated cases: the command, what-if and report figures in well under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from engine.intake import Case, instrument_of, literal_values
from engine.visit import VISIT_SECTIONS
from knowledge.catalog import catalog

# The goals, as the issues state them; a figure without a goal gets none.
GOALS = {
    "batch": ">= 1,000 cases/s per core",
    "batch_cpu": ">= 500 (YAML)",
    "batch_cpu_json": ">= 1,000 (JSON)",
    "assess": "<= 0.9 ms (2x CLIPS, 0.47 ms)",
    "help": "< 0.15 s",
    "assess_command": "< 0.25 s",
    "whatif": "< 0.4 s",
    "pdf": "< 0.35 s",
    "memory": "flat",
}

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "classic_compensatory_pronation.yaml"
LEAVE_OUT = 0.15  # share of optional sections and fields left out ("not assessed")
# Most clients answer no to every red-flag question; the others give a few yes or unknown answers.
ALL_NO = 0.85
RED_FLAG_ANSWERS = (("no", 0.9), ("unknown", 0.06), ("yes", 0.04))


# --------------------------------------------------------------------------------------------------
# Random valid cases, drawn from the intake model and the catalog


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found:
            return found
    return None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list or any(_is_list(a) for a in typing.get_args(annotation))


def _answer(rng: random.Random) -> str:
    return rng.choices([a for a, _ in RED_FLAG_ANSWERS], [w for _, w in RED_FLAG_ANSWERS])[0]


def _draw(model: type[BaseModel], rng: random.Random) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in VISIT_SECTIONS:  # what the client says and outcome measures: not screened
            continue
        if not info.is_required() and rng.random() < LEAVE_OUT:
            continue
        annotation = info.annotation
        instrument = instrument_of(model, name)
        spec = catalog().instruments.get(instrument) if instrument else None
        if spec is not None and spec.kind in ("integer", "number"):
            low, high = spec.min, spec.max
            assert low is not None and high is not None
            document[name] = (rng.randint(int(low), int(high)) if spec.kind == "integer"
                              else round(rng.uniform(low, high), 1))
        elif _is_list(annotation):
            choices = literal_values(annotation)
            document[name] = rng.sample(choices, rng.randint(1, min(3, len(choices))))
        elif (values := literal_values(annotation)):
            document[name] = rng.choice(values)
        elif (sub := _submodel(annotation)) is not None:
            document[name] = _draw(sub, rng)
    return document


def random_case(rng: random.Random, index: int) -> dict[str, Any]:
    """One valid tripod-case/1 document."""
    document = _draw(Case, rng)
    document["format"] = "tripod-case/1"
    document["client"] |= {"id": f"BENCH-{index:06d}"}
    document["client"].pop("name", None)
    document.pop("practitioner", None)
    document.pop("notes", None)
    days = rng.randint(0, 3 * 365)
    document["assessed_on"] = (dt.date.today() - dt.timedelta(days=days)).isoformat()
    flags = catalog().red_flags.flags
    clear = rng.random() < ALL_NO
    document["red_flags"] = {flag: "no" if clear else _answer(rng) for flag in flags
                             if not (flag.startswith("preg_") and document["client"]["sex"] == "male")}
    return document


def generate(folder: Path, count: int, seed: int, as_json: bool = False) -> None:
    """Write ``count`` valid random case files (YAML, as practitioners write them, or JSON) into
    ``folder``."""
    from storage.casefile import case_to_document

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for index in range(count):
        case = Case.model_validate(random_case(rng, index))  # fails loudly if the generator drifts
        if as_json:
            text = json.dumps(case_to_document(case), ensure_ascii=False, indent=1)
        else:
            text = yaml.dump(case_to_document(case), Dumper=dumper, sort_keys=False)
        (folder / f"case_{index:06d}.{'json' if as_json else 'yaml'}").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Measurements


def _tripod() -> str:
    found = Path(sys.executable).with_name("tripod")
    return str(found) if found.exists() else (shutil.which("tripod") or "tripod")


@dataclass(frozen=True)
class Run:
    seconds: float  # wall clock
    code: int
    cpu: float  # user + system seconds of the child and the descendants it waited for
    peak: int  # KiB, the largest single process among them (ru_maxrss)


# Start-up is measured as an installed machine has it: with the bytecode cache written and read.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(command: list[str]) -> Run:
    began = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)
    _, status, usage = os.wait4(child.pid, 0)
    return Run(time.perf_counter() - began, os.waitstatus_to_exitcode(status),
               usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def batch(cases: Path, out: Path, jobs: int) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    done = _run([_tripod(), "batch", str(cases), "--out", str(out), "--jobs", str(jobs)])
    if done.code != 0:
        raise SystemExit(f"bench: tripod batch --jobs {jobs} exited {done.code}; "
                         f"see {out / 'errors.txt'}")
    return done


def median_seconds(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``command``, after one run that fills the caches."""
    wall, cpu = [], []
    for index in range(runs + 1):
        done = _run(command)
        if done.code != 0:
            raise SystemExit(f"bench: {' '.join(command)} exited {done.code}")
        if index:
            wall.append(done.seconds)
            cpu.append(done.cpu)
    return statistics.median(wall), statistics.median(cpu)


def _wall_cpu(figures: tuple[float, float]) -> str:
    return f"{figures[0]:.2f} s (CPU {figures[1]:.2f} s)"


def assess_in_process(runs: int, folder: Path) -> dict[str, float]:
    """Median seconds of reading the classic example (YAML, and the same case written as JSON into
    ``folder``), of assessing it with the engine built, and of writing its JSON."""
    from engine.inference import assess, build_engine
    from storage.casefile import dump_case, load_case

    engine = build_engine()
    case = load_case(EXAMPLE)
    as_json = folder / "classic.json"
    as_json.write_text(dump_case(case, "json"), encoding="utf-8")
    figures: dict[str, list[float]] = {"load": [], "load_json": [], "assess": [], "json": []}
    for _ in range(runs):
        began = time.perf_counter()
        load_case(EXAMPLE)
        loaded = time.perf_counter()
        load_case(as_json)
        loaded_json = time.perf_counter()
        assessment = assess(case, engine)
        assessed = time.perf_counter()
        assessment.to_json()
        figures["load"].append(loaded - began)
        figures["load_json"].append(loaded_json - loaded)
        figures["assess"].append(assessed - loaded_json)
        figures["json"].append(time.perf_counter() - assessed)
    return {name: statistics.median(values) for name, values in figures.items()}


def assess_generated(folder: Path, limit: int) -> tuple[float, float]:
    """Median and 90th percentile of one assess(case, engine) over generated cases (each once, after
    the engine has seen a few: a batch worker's steady state)."""
    from engine.inference import assess, build_engine
    from storage.casefile import load_case

    engine = build_engine()
    cases = [load_case(path) for path in sorted(folder.glob("*.yaml"))[:limit]]
    for case in cases[:20]:
        assess(case, engine)
    times = []
    for case in cases:
        began = time.perf_counter()
        assess(case, engine)
        times.append(time.perf_counter() - began)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def _timed(call: typing.Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``call``."""
    wall, cpu = [], []
    for _ in range(runs):
        began, used = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - used)
    return statistics.median(wall), statistics.median(cpu)


def whatif_seconds(runs: int) -> tuple[tuple[float, float], int]:
    """Median seconds of the classic example's what-if analysis (engine built), and its runs."""
    from engine.inference import build_engine
    from engine.whatif import analyse
    from storage.casefile import load_case

    engine = build_engine()
    case = load_case(EXAMPLE)
    result = analyse(case, engine)
    return _timed(lambda: analyse(case, engine), runs), result.runs


def pdf_seconds(runs: int) -> tuple[tuple[float, float], int] | None:
    """Median seconds to render the classic practitioner PDF with its "How solid is this?" section
    (what-if done beforehand), and its pages."""
    try:
        from reports.pdf import render_pdf
    except ImportError:
        return None
    from engine.inference import assess
    from engine.whatif import solidity
    from storage.casefile import load_case

    case = load_case(EXAMPLE)
    assessment = assess(case)
    solid = solidity(case)
    data = render_pdf(assessment, case, "practitioner", solid)  # the first loads fonts
    return _timed(lambda: render_pdf(assessment, case, "practitioner", solid), runs), _pages(data)


def _pages(data: bytes) -> int:
    try:
        import pypdf  # a development dependency, as the benchmark is
    except ImportError:
        return 0
    from io import BytesIO

    return len(pypdf.PdfReader(BytesIO(data)).pages)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000, help="cases per batch (default 10000)")
    parser.add_argument("--quick", action="store_true", help="a small run: 500 cases, fewer repeats")
    parser.add_argument("--no-batch", action="store_true",
                        help="skip the batches and generated cases: commands, what-if and report")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated cases")
    args = parser.parse_args(argv)
    count = 500 if args.quick else args.cases
    small = max(1, count // 10)
    repeats = 5 if args.quick else 9
    rows: list[tuple[str, str, str]] = []

    def row(measure: str, result: str, goal: str = "") -> None:
        rows.append((measure, result, GOALS.get(goal, "")))

    with tempfile.TemporaryDirectory(prefix="tripod-bench-") as tmp:
        if not args.no_batch:
            big, little = Path(tmp, "cases"), Path(tmp, "cases-small")
            began = time.perf_counter()
            generate(big, count, args.seed)
            generate(little, small, args.seed + 1)
            generate(Path(tmp, "cases-json"), count, args.seed, as_json=True)
            print(f"generated {count} + {small} valid random cases in "
                  f"{time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)

            one = batch(big, Path(tmp, "out-1"), 1)
            row(f"tripod batch, {count} cases, --jobs 1", f"{count / one.seconds:,.0f} cases/s",
                "batch")
            # CPU time does not count the time other programs held the CPU: the per-core figure.
            row("  same, per CPU-second (start-up included)", f"{count / one.cpu:,.0f} cases",
                "batch_cpu")
            as_json = batch(Path(tmp, "cases-json"), Path(tmp, "out-json"), 1)
            row("  same cases as JSON files, per CPU-second", f"{count / as_json.cpu:,.0f} cases",
                "batch_cpu_json")
            two = batch(big, Path(tmp, "out-2"), 2)
            row(f"tripod batch, {count} cases, --jobs 2", f"{count / two.seconds:,.0f} cases/s")
            small_run = batch(little, Path(tmp, "out-small"), 1)

        parts = assess_in_process(100 if args.quick else 500, Path(tmp))
        row("assess(case, engine), engine built, classic example",
            f"{parts['assess'] * 1000:.2f} ms", "assess")
        if not args.no_batch:
            median, p90 = assess_generated(big, 500 if args.quick else 2000)
            row("  same, generated cases: median / 90th percentile",
                f"{median * 1000:.2f} / {p90 * 1000:.2f} ms", "assess")
        row("load_case (YAML example)", f"{parts['load'] * 1000:.2f} ms")
        row("  same case as a JSON file", f"{parts['load_json'] * 1000:.2f} ms")
        row("Assessment.to_json", f"{parts['json'] * 1000:.2f} ms")
        row("tripod --help, start to exit", _wall_cpu(median_seconds([_tripod(), "--help"], repeats)),
            "help")
        row("tripod assess <example>, start to exit",
            _wall_cpu(median_seconds([_tripod(), "assess", str(EXAMPLE)], repeats)), "assess_command")
        row("tripod whatif <example>, start to exit",
            _wall_cpu(median_seconds([_tripod(), "whatif", str(EXAMPLE)], repeats)))
        seconds, runs = whatif_seconds(3 if args.quick else 7)
        row(f"what-if of the classic example ({runs} runs), engine built", _wall_cpu(seconds),
            "whatif")
        pdf = pdf_seconds(3 if args.quick else 5)
        row("practitioner PDF with \"How solid is this?\", render" if pdf is None else
            f"practitioner PDF with \"How solid is this?\" ({pdf[1]} pages), render",
            "n/a: reports not available" if pdf is None else _wall_cpu(pdf[0]), "pdf")
        if not args.no_batch:
            row(f"peak memory, batch of {count}, --jobs 1", f"{one.peak / 1024:.0f} MiB", "memory")
            row(f"peak memory, batch of {small}, --jobs 1", f"{small_run.peak / 1024:.0f} MiB",
                "memory")
            row(f"peak memory, batch of {count}, --jobs 2 (largest process)",
                f"{two.peak / 1024:.0f} MiB")

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Tripod benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average at the end {load}, {dt.date.today().isoformat()}")
    widths = [max(len(r[i]) for r in rows + [("measure", "result", "goal")]) for i in range(3)]
    for line in [("measure", "result", "goal"), tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


if __name__ == "__main__":
    main()
