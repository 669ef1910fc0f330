"""The geometry of the report's two pictures, computed from an Assessment and its Case.

The chain picture stacks pelvis, femur/hip, tibia and foot for each side and marks each segment
with the findings the engine concluded there (a finding's short wording comes from
``report_texts.yaml``; its segment from what its rules read, ``knowledge/rules/reach.py``). The
tripod picture shows the three contact points of each foot in each lift as the practitioner entered
them. Nothing here decides anything clinical: a segment is "found" when the engine concluded a
finding in it, and "not assessed" or "unsure" by what the case file holds. ``reports/templates/_pictures.html.j2`` turns these values into SVG.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from engine.intake import SIDES, Case
from engine.paths import value_at
from engine.trace import Assessment
from knowledge.catalog import catalog
from knowledge.rules.reach import segment_findings
from knowledge.wording import ChainSegment

# Layout constants of the drawing (in SVG user units, 1 unit = 1 CSS px); mechanism, not wording.
WIDTH = 640
LINE = 16
PAD = 8
HEAD = 22
GAP = 30
ARROW_MARGIN = 46
COLUMN_GAP = 40
CHARS_PER_LINE = 32


@dataclass(frozen=True)
class Line:
    """One line of text inside a segment box, with the tone of its marker (None: no marker)."""

    text: str
    tone: str | None
    borderline: bool = False
    muted: bool = False


@dataclass
class Box:
    segment: str
    label: str
    side: str | None
    state: str  # found | empty | unsure | not_assessed
    lines: list[Line]
    origin: bool
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass
class Shared:
    """An unsided finding of a sided segment, drawn between the two boxes of its row."""

    text: str
    tone: str
    y: float
    x1: float
    x2: float


@dataclass
class Arrow:
    x: float
    y1: float
    y2: float
    label: str


@dataclass
class Connector:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class ChainPicture:
    width: float
    height: float
    headers: list[tuple[float, str]]
    boxes: list[Box] = field(default_factory=list)
    shared: list[Shared] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    connectors: list[Connector] = field(default_factory=list)


def _leaves(value: Any) -> list[Any]:
    """Every entered value below a case-file section (left-out fields are not values)."""
    if value is None:
        return []
    if hasattr(value, "model_dump"):
        return [v for item in value.model_dump(exclude_none=True).values() for v in _flatten(item)]
    return _flatten(value)


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flatten(item)]
    if isinstance(value, list):
        return [value] if value else []
    return [value]


def _segment_state(case: Case, segment: ChainSegment, side: str | None) -> str:
    values = [
        v
        for path in segment.observed
        for v in _leaves(value_at(case, path.format(side=side) if side else path))
    ]
    if not values:
        return "not_assessed"
    if all(v == "unsure" for v in values):
        return "unsure"
    return "empty"


def _wrap(text: str, width: int = CHARS_PER_LINE) -> list[str]:
    return textwrap.wrap(text, width) or [text]


def _box(assessment: Assessment, case: Case, segment: ChainSegment, side: str | None) -> Box:
    words = catalog().report_texts.pictures.chain
    lines: list[Line] = []
    for finding in assessment.findings:
        if finding.id not in segment_findings()[segment.id]:
            continue
        # An unsided finding in a sided segment is drawn once between the two sides, not here.
        if segment.sided and finding.side != side:
            continue
        mark = words.marks[finding.id]
        borderline = finding.strength == "borderline"
        text = f"{mark.short} {words.borderline}" if borderline else mark.short
        for index, part in enumerate(_wrap(text)):
            lines.append(Line(part, mark.tone if index == 0 else None, borderline))
    if lines:
        state = "found"
    else:
        state = _segment_state(case, segment, side)
        empty = {
            "empty": words.nothing_found,
            "unsure": words.unsure,
            "not_assessed": words.not_assessed,
        }[state]
        lines.append(Line(empty, None, muted=True))
    root = assessment.root_cause
    origin = bool(
        root
        and words.origins.get(root.id) == segment.id
        and (side is None or not root.sides or side in root.sides)
    )
    return Box(segment.id, segment.label, side, state, lines, origin)


def _height(box: Box) -> float:
    return HEAD + PAD + LINE * len(box.lines)


def chain(assessment: Assessment, case: Case) -> ChainPicture:
    """The chain foot -> tibia -> femur/hip -> pelvis for both sides, laid out top (pelvis) down."""
    words = catalog().report_texts.pictures.chain
    column = (WIDTH - 2 * ARROW_MARGIN - COLUMN_GAP) / 2
    xs = {"left": ARROW_MARGIN, "right": ARROW_MARGIN + column + COLUMN_GAP}
    picture = ChainPicture(
        width=WIDTH,
        height=0,
        headers=[
            (xs["left"] + column / 2, words.side_left),
            (xs["right"] + column / 2, words.side_right),
        ],
    )
    y = 22.0
    rows: dict[str, list[Box]] = {}
    for segment in words.segments:
        boxes = (
            [_box(assessment, case, segment, side) for side in SIDES]
            if segment.sided
            else [_box(assessment, case, segment, None)]
        )
        height = max(_height(b) for b in boxes)
        for box in boxes:
            box.y, box.h = y, height
            box.x = xs[box.side] if box.side else ARROW_MARGIN
            box.w = column if box.side else WIDTH - 2 * ARROW_MARGIN
        picture.boxes.extend(boxes)
        rows[segment.id] = boxes
        y += height
        shared = [
            f
            for f in assessment.findings
            if segment.sided and f.side is None and f.id in segment_findings()[segment.id]
        ]
        for finding in shared:
            mark = words.marks[finding.id]
            y += LINE
            picture.shared.append(
                Shared(
                    f"{mark.short} ({words.both_sides})",
                    mark.tone,
                    y,
                    xs["left"] + column / 2,
                    xs["right"] + column / 2,
                )
            )
        y += GAP
    picture.height = y - GAP + 8
    _connect(picture, [rows[s.id] for s in words.segments])
    _links(picture, assessment, rows)
    return picture


def _connect(picture: ChainPicture, rows: list[list[Box]]) -> None:
    """Vertical lines joining each segment to the one below it on the same side."""
    for upper, lower in pairwise(rows):
        for below in lower:
            above = next((b for b in upper if b.side == below.side), upper[0])
            x = below.cx
            picture.connectors.append(Connector(x, above.y + above.h, x, below.y))


def _links(picture: ChainPicture, assessment: Assessment, rows: dict[str, list[Box]]) -> None:
    """Findings joining two segments of one side, drawn as an arrow in that side's outer margin."""
    links = catalog().report_texts.pictures.chain.links
    for finding in assessment.findings:
        link = links.get(finding.id)
        if link is None or finding.side is None:
            continue
        start = next(b for b in rows[link.start] if b.side in (finding.side, None))
        end = next(b for b in rows[link.to] if b.side in (finding.side, None))
        x = ARROW_MARGIN / 2 if finding.side == "left" else picture.width - ARROW_MARGIN / 2
        picture.arrows.append(Arrow(x, start.cy, end.cy, link.label))


# The tripod picture: one foot per side per movement, seen from above.

FOOT_W = 70
FOOT_H = 130
CELL_W = 215
LABEL_W = 170
ROW_H = FOOT_H + 66
DETAIL_CHARS = 24
# Contact points of a right foot seen from above (big toe on the left of the picture); a left
# foot is its mirror image.
POINTS = {"first_met": (17, 38), "fifth_met": (55, 54), "heel": (36, 114)}
FOOT_PATH = (
    "M36 128 C22 128 15 117 16 100 C17 84 10 66 8 48 C6 28 12 6 26 4 C36 2 44 6 52 12 "
    "C62 20 66 34 64 52 C62 72 58 92 58 108 C58 122 50 128 36 128 Z"
)


@dataclass(frozen=True)
class Point:
    name: str
    label: str
    state: str  # kept | lost | unsure | not_assessed
    x: float
    y: float
    anchor: str  # which way its label reads away from the foot: start (rightward) or end


@dataclass
class Foot:
    side: str
    x: float
    y: float
    mirrored: bool
    points: list[Point]
    assessed: bool
    notes: list[str]


@dataclass
class TripodRow:
    label: str
    y: float
    details: list[str]
    feet: list[Foot]


@dataclass
class TripodPicture:
    width: float
    height: float
    headers: list[tuple[float, str]]
    rows: list[TripodRow]
    path: str = FOOT_PATH
    foot_w: float = FOOT_W
    compact: bool = False  # the client's: each lift's name above its feet, no label column


def _words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value)
    return str(value).replace("_", " ")


def tripods(case: Case, audience: str = "practitioner") -> TripodPicture:
    """Heel, 1st and 5th metatarsal-head contact per side and per movement, as entered; in the
    client's plain words for the client report."""
    pictures = catalog().report_texts.pictures
    compact = audience == "client"
    words = pictures.client_tripod if compact else pictures.tripod
    # The client's picture has no label column (a narrower drawing, so larger on the page): each
    # lift's name goes above its feet, without the practitioner's details.
    label_w, lift_head, row_h = (0.0, 18.0, ROW_H + 4) if compact else (LABEL_W, 0.0, ROW_H)
    top = 24.0
    headers = [
        (label_w + CELL_W * (i + 0.5), label)
        for i, label in enumerate(
            (
                catalog().report_texts.pictures.chain.side_left,
                catalog().report_texts.pictures.chain.side_right,
            )
        )
    ]
    rows: list[TripodRow] = []
    for index, (movement, label) in enumerate(words.movements.items()):
        y = top + index * row_h + lift_head
        lift = value_at(case, f"movements.{movement}")
        details = []
        if lift is not None and lift.felt_in is not None:
            details.append(f"{words.felt_in}: {_words(lift.felt_in)}")
        if lift is not None and lift.reps_finish is not None:
            details.append(f"{words.reps_finish}: {_words(lift.reps_finish)}")
        if lift is None:
            details.append(words.movement_not_assessed)
        if compact:
            details = details[-1:] if lift is None else []
        feet = []
        for column, side in enumerate(SIDES):
            contact = value_at(lift, side) if lift is not None else None
            x = label_w + CELL_W * column + (CELL_W - FOOT_W) / 2
            mirrored = side == "left"
            points = []
            for name, (px, py) in POINTS.items():
                value = getattr(contact, name, None) if contact is not None else None
                state = value or "not_assessed"
                fx = (FOOT_W - px) if mirrored else px
                anchor = "end" if fx < FOOT_W / 2 and name != "heel" else "start"
                points.append(
                    Point(
                        name,
                        words.points[name],  # type: ignore[index]
                        state,
                        x + fx,
                        y + 6 + py,
                        anchor,
                    )
                )
            notes = []
            if contact is not None and contact.toes_lift is not None:
                notes.append(f"{words.toes_lift}: {_words(contact.toes_lift)}")
            if contact is not None and contact.weight_drift is not None:
                notes.append(f"{words.weight_drift}: {_words(contact.weight_drift)}")
            feet.append(Foot(side, x, y + 6, mirrored, points, contact is not None, notes))
        rows.append(
            TripodRow(label, y, [part for d in details for part in _wrap(d, DETAIL_CHARS)], feet)
        )
    return TripodPicture(
        width=label_w + 2 * CELL_W, height=top + row_h * len(rows) - 8, headers=headers, rows=rows,
        compact=compact,
    )
