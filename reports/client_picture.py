"""The client's own chain, simplified: foot, shin, hip and pelvis on each side, each marked as the
practitioner's chain picture marks it (``reports/pictures.py``), in three plain states: may be part
of the problem (a finding the picture draws as a concern), looks fine, or not checked; and where the
likely root cause starts. It decides nothing: every state is the practitioner picture's own.
``reports/templates/_pictures.html.j2`` (``client_chain_svg``) draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.intake import Case
from engine.trace import Assessment
from knowledge.catalog import catalog
from reports.pictures import Box, chain

# Layout of the drawing, in SVG user units; mechanism, not wording.
BOX_W = 150
BOX_H = 34
GAP_X = 16
GAP_Y = 12
TOP = 22
LEFT = 26


@dataclass(frozen=True)
class Segment:
    label: str
    state: str  # concern | ok | unassessed
    words: str
    origin: bool
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class ClientChain:
    width: float
    height: float
    headers: tuple[tuple[float, str], ...]
    segments: tuple[Segment, ...]
    arrows: tuple[tuple[float, float, float], ...]  # x, from y (the foot), to y (the hip)


State = Literal["concern", "ok", "unassessed"]


def _state(box: Box) -> State:
    if box.state in ("not_assessed", "unsure") and not any(line.tone for line in box.lines):
        return "unassessed"
    return "concern" if any(line.tone == "concern" for line in box.lines) else "ok"


def client_chain(assessment: Assessment, case: Case) -> ClientChain:
    """Each segment of each side in one of three plain states, the foot at the bottom."""
    words = catalog().report_texts.pictures.client_chain
    drawn = chain(assessment, case)
    order = [segment.id for segment in catalog().report_texts.pictures.chain.segments]
    xs = {"left": LEFT, "right": LEFT + BOX_W + GAP_X}
    segments = []
    for box in drawn.boxes:
        row = order.index(box.segment)
        y = TOP + row * (BOX_H + GAP_Y)
        x, w = (xs[box.side], BOX_W) if box.side else (LEFT, 2 * BOX_W + GAP_X)
        state = _state(box)
        segments.append(Segment(words.segments[box.segment], state, words.states[state],
                                box.origin, x, y, w, BOX_H))
    rows = len(order)
    foot_y, hip_y = (TOP + order.index(name) * (BOX_H + GAP_Y) for name in ("foot", "hip"))
    arrows = tuple((xs[box.side] - 12, foot_y + BOX_H / 2, hip_y + BOX_H / 2)
                   for box in drawn.boxes if box.origin and box.side and box.segment == "foot")
    return ClientChain(width=LEFT + 2 * BOX_W + GAP_X + 4, height=TOP + rows * (BOX_H + GAP_Y),
                       headers=((xs["left"] + BOX_W / 2, words.side_left),
                                (xs["right"] + BOX_W / 2, words.side_right)),
                       segments=tuple(segments), arrows=arrows)
