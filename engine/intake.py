"""The intake model: a practitioner's case file (``tripod-case/2``, and ``/1``) as validated pydantic models.

This is the first step of the flow (intake -> facts -> rules -> findings + trace -> store -> report).
The shape follows ``contract.md``; numeric ranges come from ``knowledge/data/instruments.yaml`` through
:func:`measure`, so no bound is typed here. Nothing is coerced: numbers must be numbers, enums must be
one of their values, unknown keys are errors; a number written other than in plain decimal (``030``,
``0x1E``, ``1_5``: ``engine/forms.py``) is refused. The one conversion is the contract's own: a YAML
1.1 loader reads ``yes``/``no`` as booleans, so booleans stand for ``yes``/``no``.

A field that is left out is ``None`` and means "not assessed", never "normal".

Version 2 adds the visit sections (``engine/visit.py``): what the client says and the outcome
measures, kept and shown but no observations. A version-1 file is a version-2 file without them.
"""

# Annotations are evaluated as the module runs, not kept as text for pydantic to evaluate again when
# it makes each model (ARCHITECTURE.md, "Invariants"; tests/test_startup.py).
import datetime as dt
import re
import typing
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    Strict,
    create_model,
    model_validator,
)

from engine.forms import multi_line, one_line
from engine.measures import Measured, at_most_once, measure, observed, yes_no
from engine.visit import Outcomes, SinceLastVisit, Subjective, Visit, VisitProblems, visit_problems
from knowledge.catalog import catalog

# What Tripod writes; it reads FORMATS (contract.md, "Case file, version 2").
FORMAT = "tripod-case/2"
FORMATS = ("tripod-case/1", "tripod-case/2")
SIDES: tuple[Literal["left"], Literal["right"]] = ("left", "right")


YesNoUnsure = Literal["yes", "no", "unsure"]
Presence = Literal["present", "absent", "unsure"]
Contact = Literal["kept", "lost", "unsure"]
Drift = Literal["lateral", "medial", "none", "unsure"]
Rotation = Literal["external", "neutral", "internal", "unsure"]
Sacrum = Literal["nutated", "neutral", "counternutated", "unsure"]
Ober = Literal["positive", "negative", "unsure"]
Region = Literal["glutes", "hamstrings", "lower_back", "quads", "adductors", "nothing"]
Answer = Literal["yes", "no", "unknown"]
Sex = Literal["female", "male", "intersex", "undisclosed"]

CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class Section(BaseModel):
    # Validators are built once, for the whole Case, when the first case is read, instead of once
    # for each section as its class is made and again inside Case.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


S = TypeVar("S", bound=Section)


class Sided(Section, Generic[S]):
    left: S | None = None
    right: S | None = None


def _client_id(value: str) -> str:
    if not CLIENT_ID.fullmatch(value):
        raise ValueError("allowed 1 to 64 of A-Z a-z 0-9 . _ -")
    return value


class Client(Section):
    id: Annotated[str, Strict(), AfterValidator(_client_id)]
    name: Annotated[str, Strict(), Field(min_length=1, max_length=200),
                    AfterValidator(one_line)] | None = None
    age: measure("client_age_years")  # type: ignore[valid-type]
    sex: Sex


class Programme(Section):
    months_consistent: measure("months_consistent") | None = None  # type: ignore[valid-type]
    lower_body_sessions_per_week: measure("lower_body_sessions_per_week") | None = None  # type: ignore[valid-type]
    progressive_overload: observed("progressive_overload", Answer) | None = None  # type: ignore[valid-type]


class Foot(Section):
    fpi6_total: measure("fpi6_total") | None = None  # type: ignore[valid-type]
    navicular_drop_mm: measure("navicular_drop_mm") | None = None  # type: ignore[valid-type]
    calcaneal_eversion: observed("calcaneal_eversion_squat", Presence) | None = None  # type: ignore[valid-type]
    talar_internal_rotation: observed("talar_internal_rotation", Presence) | None = None  # type: ignore[valid-type]
    midfoot_yield: observed("midfoot_yield", Presence) | None = None  # type: ignore[valid-type]
    mtp1_dorsiflexion_deg: measure("mtp1_dorsiflexion_deg") | None = None  # type: ignore[valid-type]


class ContactSide(Section):
    heel: observed("tripod_heel", Contact) | None = None  # type: ignore[valid-type]
    first_met: observed("tripod_mt1", Contact) | None = None  # type: ignore[valid-type]
    fifth_met: observed("tripod_mt5", Contact) | None = None  # type: ignore[valid-type]
    toes_lift: observed("toe_lift", YesNoUnsure) | None = None  # type: ignore[valid-type]
    weight_drift: observed("weight_drift", Drift) | None = None  # type: ignore[valid-type]


class Movement(Section):
    left: ContactSide | None = None
    right: ContactSide | None = None
    felt_in: Annotated[list[Region], at_most_once("region"), Measured("felt_region")] | None = None
    reps_finish: observed("reps_finish", YesNoUnsure) | None = None  # type: ignore[valid-type]


class Movements(Section):
    hinge: Movement | None = None
    split_squat: Movement | None = None


class TibiaSide(Section):
    rotation_bias: observed("tibial_er_bias_observed", Rotation) | None = None  # type: ignore[valid-type]
    thigh_foot_angle_deg: measure("thigh_foot_angle_deg") | None = None  # type: ignore[valid-type]


class HipSide(Section):
    # The seated and prone instruments share one validator range; reports pick by ``Hips.method``.
    ir_deg: measure("hip_ir_seated_deg") | None = None  # type: ignore[valid-type]
    er_deg: measure("hip_er_seated_deg") | None = None  # type: ignore[valid-type]


class Hips(Section):
    method: Literal["seated", "prone"]
    left: HipSide | None = None
    right: HipSide | None = None


class Pelvis(Section):
    sacrum: observed("sacral_position_impression", Sacrum) | None = None  # type: ignore[valid-type]
    rotation_bias: observed("pelvic_rotation_impression", Rotation) | None = None  # type: ignore[valid-type]


class LateralSide(Section):
    ober: observed("ober_test", Ober) | None = None  # type: ignore[valid-type]
    ober_angle_deg: measure("ober_angle_deg") | None = None  # type: ignore[valid-type]
    fibular_head_er: observed("fibular_head_er", YesNoUnsure) | None = None  # type: ignore[valid-type]


class Standing(Section):
    com_forward: observed("com_forward", YesNoUnsure) | None = None  # type: ignore[valid-type]
    glute_gripping: observed("glute_gripping", YesNoUnsure) | None = None  # type: ignore[valid-type]


def _red_flag_model() -> type[Section]:
    # One field per red-flag id of the knowledge base, so the ids are never typed twice. The flags
    # tripod-case/1 requires are marked so in red_flags.yaml; the preg_* items may be left out (for a
    # male client; Case checks that rule); a flag added later may be left out and is then unknown,
    # so an existing case file stays valid and its screening stays honest (incomplete).
    fields: dict[str, Any] = {}
    for flag_id, spec in catalog().red_flags.flags.items():
        answer = Annotated[Answer, BeforeValidator(yes_no)]
        if spec.required:
            fields[flag_id] = (answer, ...)
        elif flag_id.startswith("preg_"):
            fields[flag_id] = (answer | None, None)
        else:
            fields[flag_id] = (answer, "unknown")
    return create_model("RedFlags", __base__=Section, **fields)


if TYPE_CHECKING:
    class RedFlags(Section):
        """The red-flag answers; their fields are made from red_flags.yaml when the module loads."""

        def __getattr__(self, flag: str) -> str | None: ...
else:
    RedFlags = _red_flag_model()


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # pydantic turns a ValueError into a validation error naming the field; a TypeError escapes.
        raise ValueError("allowed a date as YYYY-MM-DD, without a time")  # noqa: TRY004
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return value
    raise ValueError("allowed a date as YYYY-MM-DD")


def _not_future(value: dt.date) -> dt.date:
    if value > dt.date.today():
        raise ValueError(f"allowed a date not after today ({dt.date.today().isoformat()})")
    return value


class Case(Section):
    """One screening of one client, as a case file holds it."""

    # Either version is read; a version-1 case is a version-2 case without the visit sections, so it
    # is held (and written) as version 2.
    format: Annotated[Literal["tripod-case/1", "tripod-case/2"], AfterValidator(lambda _: FORMAT)]
    client: Client
    assessed_on: Annotated[dt.date, BeforeValidator(_iso_date), AfterValidator(_not_future)]
    practitioner: Annotated[str, Strict(), Field(min_length=1, max_length=200),
                            AfterValidator(one_line)] | None = None
    programme: Programme | None = None
    red_flags: RedFlags
    feet: Sided[Foot] | None = None
    movements: Movements | None = None
    tibia: Sided[TibiaSide] | None = None
    hips: Hips | None = None
    pelvis: Pelvis | None = None
    lateral_chain: Sided[LateralSide] | None = None
    standing: Standing | None = None
    notes: Annotated[str, Strict(), Field(max_length=20_000),
                     AfterValidator(multi_line)] | None = None
    # tripod-case/2: recorded and shown, never observations (engine/visit.py).
    visit: Visit | None = None  # left out: an initial visit
    subjective: Subjective | None = None
    outcomes: Outcomes | None = None
    since_last_visit: SinceLastVisit | None = None

    @property
    def is_follow_up(self) -> bool:
        return self.visit == "follow_up"

    @model_validator(mode="wrap")
    @classmethod
    def _visit_sections_fit(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        case = handler(data)
        version_1 = isinstance(data, dict) and data.get("format") == FORMATS[0]
        problems = list(visit_problems(case, version_1=version_1))
        if problems:
            raise VisitProblems(problems)
        return case

    @model_validator(mode="after")
    def _pregnancy_items_unless_male(self) -> Self:
        if self.client.sex == "male":
            return self
        left_out = [f for f in type(self.red_flags).model_fields if f.startswith("preg_")
                    and getattr(self.red_flags, f) is None]
        if left_out:
            raise PregnancyItemsMissing(left_out, self.client.sex)
        return self


class PregnancyItemsMissing(ValueError):
    """Raised inside validation; engine/errors.py reports one line per left-out item."""

    def __init__(self, items: list[str], sex: str) -> None:
        super().__init__(f"pregnancy items required when client.sex is {sex!r}")
        self.items = items
        self.sex = sex


def literal_values(annotation: Any) -> tuple[Any, ...]:
    """The allowed values of the Literal inside an annotation (through Annotated, Optional and
    lists), or () when the field is not a closed choice."""
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    for arg in typing.get_args(annotation):
        found = literal_values(arg)
        if found:
            return found
    return ()


def sub_model(annotation: Any) -> type[BaseModel] | None:
    """The section model inside an annotation (through Optional and generics), if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = sub_model(arg)
        if found is not None:
            return found
    return None


@cache
def instrument_of(model: type[BaseModel], field: str) -> str | None:
    """The instrument id that measures ``model.field``, if the field is a measurement."""
    info = model.model_fields[field]
    for meta in info.metadata:
        if isinstance(meta, Measured):
            return meta.instrument
    annotation = info.annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        for meta in getattr(arg, "__metadata__", ()):
            if isinstance(meta, Measured):
                return meta.instrument
    return None
