"""The web front end's benchmark: ``uv run python bench/web.py``.

It runs ``tripod serve`` as a real process over a new SQLite store (in a temporary folder, on
loopback) and measures, each figure beside its goal:

- an answer's save round trip through the JSON API, one practitioner alone (``POST
  /api/v1/intakes/{id}/answers``: read, checked, saved in the draft and the next questions back),
  median and 95th percentile over several whole intakes;
- the load test: 20 simulated practitioners at once, each logging in, answering a whole intake and
  signing it (``tests/load.py``, held to its outcome by ``tests/test_web_load.py``): the wall time
  of the crowd, the slowest intake, and the round trips under that load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.load import add_practitioners, case_values, crowd, intake, summary
from tests.web import serving

CASE = ROOT / "examples" / "classic_compensatory_pronation.yaml"
GOALS = {"median": "< 50 ms", "p95": "< 150 ms", "crowd": "< 60 s"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alone", type=int, default=5, help="intakes by one practitioner")
    parser.add_argument("--crowd", type=int, default=20, help="practitioners at once")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder)) as clinic:
        users = add_practitioners(clinic.db, options.crowd)
        values = case_values(CASE)
        alone = [intake(clinic.url, users[0], {**values, "client.id": f"ALONE-{n}"})
                 for n in range(options.alone)]
        one = summary(alone)
        results, seconds = crowd(clinic.url, users, CASE)
        many = summary(results)
    rows = [
        ("answer round trip, one practitioner: median", f"{one['median_ms']:.1f} ms",
         GOALS["median"]),
        ("  95th percentile", f"{one['p95_ms']:.1f} ms", GOALS["p95"]),
        (f"  ({int(one['answers'])} answers in {options.alone} intakes)", "", ""),
        (f"{options.crowd} practitioners at once, each a whole intake: wall time",
         f"{seconds:.1f} s", GOALS["crowd"]),
        ("  slowest intake", f"{many['slowest_intake_s']:.1f} s", ""),
        ("  answer round trip under that load: median / 95th",
         f"{many['median_ms']:.0f} / {many['p95_ms']:.0f} ms", ""),
        (f"  ({int(many['answers'])} answers, every one stored once: tests/test_web_load.py)",
         "", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'result'.ljust(10)}  goal")
    for measure, result, goal in rows:
        print(f"{measure.ljust(width)}  {result.ljust(10)}  {goal}".rstrip())


if __name__ == "__main__":
    main()
