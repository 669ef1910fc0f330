"""The FHIR R4B export (``tripod_fhir``), validated offline in three layers: every resource parses
with fhir.resources' R4B models, the Bundle validates against the official FHIR JSON Schema
(``tests/data/fhir/fhir.schema.json``), and Tripod's own checks (``tripod_fhir/checks.py``) find
what neither does. Golden Bundles pin three examples; a QuestionnaireResponse reads back as a case."""

from __future__ import annotations

import copy
import json
import os
import stat
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
from typer.testing import CliRunner

from engine.inference import assess
from knowledge.catalog import catalog
from storage.casefile import load_case, parse_case
from tests.conftest import EXAMPLES
from tripod import service
from tripod.cli.app import app
from tripod.intake.questions import questions
from tripod_fhir.checks import problems
from tripod_fhir.common import Made
from tripod_fhir.questionnaire import questionnaire

DATA = Path(__file__).resolve().parent / "data" / "fhir"
CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
GOLDEN = {
    "classic": CLASSIC,
    "referral": EXAMPLES / "red_flag_referral.yaml",
    "follow_up": EXAMPLES / "follow_up" / "TR-0021_follow_up.yaml",
}
runner = CliRunner()


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DATA / "fhir.schema.json").read_text())
    return schema


@cache
def _validator(definition: str | None = None) -> jsonschema.Draft6Validator:
    """The schema's validator for any resource (None) or for one definition (its messages say
    which element is wrong, where the whole schema's oneOf only says that none fits)."""
    schema = dict(_schema())
    if definition is not None:
        schema = {k: v for k, v in schema.items() if k not in ("oneOf", "discriminator")}
        schema["$ref"] = f"#/definitions/{definition}"
    return jsonschema.Draft6Validator(schema)


def schema_problems(bundle: dict[str, Any]) -> list[str]:
    if _validator().is_valid(bundle):
        return []
    return [f"{entry['resource']['resourceType']}: {error.message}"
            for entry in bundle["entry"]
            for error in _validator(entry["resource"]["resourceType"]).iter_errors(entry["resource"])]


def model_problems(bundle: dict[str, Any]) -> list[str]:
    out = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValidationError as exc:
            out += [f"{resource['resourceType']}: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                    for e in exc.errors()]
    return out


@cache
def _bundle(name: str) -> str:
    case = load_case(GOLDEN[name])
    return service.fhir_bundle(service.screen(case))


def bundle_of(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_bundle(name))
    return document


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def versions_written(text: str) -> str:
    """A Bundle's text with the Tripod and knowledge-base versions as placeholders, so a golden
    Bundle pins what was concluded, not which release concluded it."""
    return (text.replace(f'"{catalog().version}"', '"{knowledge_version}"')
            .replace(f"/knowledge/{catalog().version}", "/knowledge/{knowledge_version}")
            .replace(f'"value": "{service.tripod_version()}"', '"value": "{tripod_version}"'))


class TestGolden:
    @pytest.mark.parametrize("name", sorted(GOLDEN))
    def test_the_bundle_is_the_golden_one(self, name: str) -> None:
        expected = (DATA / "golden" / f"{name}.json").read_text()
        assert expected == versions_written(_bundle(name))

    @pytest.mark.parametrize("name", sorted(GOLDEN))
    def test_every_resource_parses_and_the_bundle_fits_the_schema_and_tripods_checks(
            self, name: str) -> None:
        bundle = bundle_of(name)
        assert [] == model_problems(bundle)
        assert [] == schema_problems(bundle)
        assert [] == problems(bundle, load_case(GOLDEN[name]))

    def test_the_same_screening_gives_the_same_bundle_byte_for_byte(self) -> None:
        case = load_case(CLASSIC)
        assert service.fhir_bundle(service.screen(case)) == service.fhir_bundle(service.screen(case))


class TestDeliberateErrors:
    """What each layer catches, on the classic Bundle with one thing broken."""

    @staticmethod
    def hip(bundle: dict[str, Any]) -> dict[str, Any]:
        ident = Made("TR-0007", load_case(CLASSIC).assessed_on).id_for(
            "Observation/hips.left.ir_deg")
        return next(r for r in resources(bundle, "Observation") if r["id"] == ident)

    def test_a_bogus_status_passes_fhir_resources_and_tripods_binding_check_catches_it(
            self) -> None:
        bundle = bundle_of("classic")
        self.hip(bundle)["status"] = "bogus"
        assert [] == model_problems(bundle)
        assert any("'bogus' is not one of" in p for p in schema_problems(bundle))
        expected = (f"Observation/{self.hip(bundle)['id']}: status = 'bogus': allowed registered | "
                    "preliminary | final | amended | corrected | cancelled | entered-in-error | "
                    "unknown")
        assert [expected] == problems(bundle, load_case(CLASSIC))

    def test_a_dangling_reference_is_caught_by_tripods_check_alone(self) -> None:
        bundle = bundle_of("classic")
        self.hip(bundle)["subject"] = {"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}
        assert [] == model_problems(bundle)
        assert [] == schema_problems(bundle)
        expected = (f"Observation/{self.hip(bundle)['id']}: subject = "
                    "'urn:uuid:00000000-0000-0000-0000-000000000000': allowed a fullUrl of this "
                    "Bundle")
        assert [expected] == problems(bundle, load_case(CLASSIC))

    def test_a_missing_observation_is_caught_by_tripods_check_alone(self) -> None:
        bundle = bundle_of("classic")
        gone = self.hip(bundle)["id"]
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") != gone]
        assert [] == model_problems(bundle)
        assert [] == schema_problems(bundle)
        found = problems(bundle, load_case(CLASSIC))
        assert ("Bundle/" + bundle["id"] + ": Observation = 'hips.left.ir_deg': allowed nothing "
                "left out: every observation of the case") in found
        assert any(p.startswith("Provenance/") and gone in p for p in found)

    def test_a_number_written_as_text_is_coerced_by_fhir_resources_and_caught_by_the_schema(
            self) -> None:
        bundle = bundle_of("classic")
        self.hip(bundle)["valueQuantity"]["value"] = "22"
        assert [] == model_problems(bundle)
        assert any("'22' is not of type 'number'" in p for p in schema_problems(bundle))

    def test_an_element_r4b_does_not_have_is_caught_by_fhir_resources_and_the_schema(self) -> None:
        bundle = bundle_of("classic")
        resources(bundle, "ClinicalImpression")[0]["hypothesis"] = "ascending_foot_chain"
        assert any("hypothesis" in p for p in model_problems(bundle))
        assert any("'hypothesis' was unexpected" in p for p in schema_problems(bundle))

    def test_a_date_in_words_is_caught_by_fhir_resources_and_the_schema(self) -> None:
        bundle = bundle_of("classic")
        self.hip(bundle)["effectiveDateTime"] = "20 Nov 2026"
        assert any("effectiveDateTime" in p for p in model_problems(bundle))
        assert any("does not match" in p for p in schema_problems(bundle))


class TestWhatTheBundleHolds:
    def test_the_clinical_impression_holds_the_hypothesis_each_findings_basis_and_the_protocol(
            self) -> None:
        impression = resources(bundle_of("classic"), "ClinicalImpression")[0]
        assessment = assess(load_case(CLASSIC))
        assert assessment.root_cause is not None
        root, *findings = impression["finding"]
        assert root["itemCodeableConcept"]["coding"][0]["code"] == "ascending_foot_chain"
        assert root["extension"][0]["valueCode"] == assessment.root_cause.confidence
        assert root["basis"].startswith(f"hypothesis, confidence {assessment.root_cause.confidence}"
                                        f"; rule {assessment.root_cause.rule}")
        assert len(findings) == len(assessment.findings)
        for entry, finding in zip(findings, assessment.findings, strict=True):
            assert entry["basis"].startswith(f"rule {finding.rule}; claims "
                                             f"{', '.join(finding.claims)}")
        assert impression["protocol"] == [
            f"https://tripod.example.org/fhir/knowledge/{assessment.knowledge_version}"]
        rejected = [n["text"] for n in impression["note"] if n["text"].startswith("rejected")]
        assert len(rejected) == len(assessment.alternatives) > 0

    def test_the_patient_is_pseudonymous_unless_asked_for_the_name(self) -> None:
        patient = resources(bundle_of("classic"), "Patient")[0]
        assert patient["identifier"][0]["value"] == "TR-0007"
        assert "name" not in patient
        named = json.loads(service.fhir_bundle(service.screen(load_case(CLASSIC)), with_name=True))
        assert resources(named, "Patient")[0]["name"] == [{"text": "Sam Carter"}]

    def test_a_hip_observation_carries_side_position_and_ucum_unit(self) -> None:
        hip = TestDeliberateErrors.hip(bundle_of("classic"))
        assert hip["valueQuantity"] == {"value": 22, "unit": "deg",
                                        "system": "http://unitsofmeasure.org", "code": "deg"}
        assert {"system": "http://snomed.info/sct", "code": "7771000", "display": "Left"} in (
            hip["bodySite"]["coding"])
        assert hip["method"]["text"] == "seated"

    def test_an_outcome_is_derived_from_the_questionnaire_response(self) -> None:
        bundle = bundle_of("follow_up")
        response = resources(bundle, "QuestionnaireResponse")[0]
        nprs = next(r for r in resources(bundle, "Observation")
                    if any(c["code"] == "72514-3" for c in r["code"]["coding"]))
        assert nprs["derivedFrom"][0]["reference"] == f"urn:uuid:{response['id']}"

    def test_a_referral_gives_a_detected_issue_per_flag_and_a_proposed_service_request(
            self) -> None:
        bundle = bundle_of("referral")
        assessment = assess(load_case(GOLDEN["referral"]))
        issues = resources(bundle, "DetectedIssue")
        assert [i["code"]["coding"][0]["code"] for i in issues] == list(
            assessment.referral.red_flags)
        request = resources(bundle, "ServiceRequest")[0]
        assert (request["intent"], request["priority"]) == ("proposal", {
            "emergency": "stat", "urgent": "urgent", "routine": "routine"}[
                assessment.referral.urgency or "routine"])
        assert resources(bundle, "CarePlan") == []

    def test_the_care_plan_lists_the_constraints_in_order(self) -> None:
        plan = resources(bundle_of("classic"), "CarePlan")[0]
        assessment = assess(load_case(CLASSIC))
        assert [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]] == [
            c.id for c in sorted(assessment.constraints, key=lambda c: c.order)]

    def test_the_provenance_targets_every_other_resource(self) -> None:
        bundle = bundle_of("classic")
        provenance = resources(bundle, "Provenance")[0]
        assert [t["reference"] for t in provenance["target"]] == [
            e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] != "Provenance"]


class TestQuestionnaire:
    def test_it_parses_and_fits_the_schema(self) -> None:
        document = questionnaire(questions())
        get_fhir_model_class("Questionnaire").model_validate(document)
        assert [] == [e.message for e in _validator("Questionnaire").iter_errors(document)]

    def test_skip_logic_points_at_items_it_holds(self) -> None:
        items = {i["linkId"]: i for i in questionnaire(questions())["item"]}
        conditions = [w["question"] for i in items.values() for w in i.get("enableWhen", [])]
        assert conditions and set(conditions) <= set(items)
        groc = items["outcomes.groc"]["enableWhen"]
        assert [(w["question"], w["operator"], w["answerCoding"]["code"]) for w in groc] == [
            ("visit", "=", "follow_up")]
        assert {"question": "hips.method", "operator": "exists", "answerBoolean": True} in (
            items["hips.left.ir_deg"]["enableWhen"])

    def test_a_measure_has_its_range_and_ucum_unit(self) -> None:
        item = next(i for i in questionnaire(questions())["item"] if i["linkId"] == "feet.left.fpi6_total")
        urls = {e["url"].rsplit("/", 1)[1]: e for e in item["extension"]}
        assert (urls["minValue"]["valueInteger"], urls["maxValue"]["valueInteger"]) == (-12, 12)
        assert urls["questionnaire-unit"]["valueCoding"]["code"] == "{score}"


class TestReadingBack:
    @pytest.mark.parametrize("name", sorted(GOLDEN))
    def test_the_bundles_questionnaire_response_reads_back_as_the_same_case(self, name: str) -> None:
        response = resources(bundle_of(name), "QuestionnaireResponse")[0]
        assert parse_case("response", response) == load_case(GOLDEN[name])

    def test_a_bad_response_is_one_line_per_problem_naming_link_id_value_and_allowed(
            self, tmp_path: Path) -> None:
        response = copy.deepcopy(resources(bundle_of("classic"), "QuestionnaireResponse")[0])
        for item in response["item"]:
            if item["linkId"] == "hips.left.ir_deg":
                item["answer"] = [{"valueDecimal": 200}]
        response["item"].append({"linkId": "hips.left.flexion", "answer": [{"valueInteger": 3}]})
        path = tmp_path / "response.json"
        path.write_text(json.dumps(response))
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == 2
        assert (f"{path}: linkId = 'hips.left.flexion': allowed a linkId of Tripod's "
                "Questionnaire (a case-file path)") in result.stderr
        del response["item"][-1]
        path.write_text(json.dumps(response))
        result = runner.invoke(app, ["assess", str(path)])
        assert result.exit_code == 2
        assert f"{path}: hips.left.ir_deg = 200: allowed -20 to 100 deg" in result.stderr
        assert "Traceback" not in result.output


class TestCommands:
    def test_assess_format_fhir_prints_the_bundle_or_writes_it_owner_only(
            self, tmp_path: Path) -> None:
        printed = runner.invoke(app, ["assess", str(CLASSIC), "--format", "fhir"])
        assert printed.exit_code == 0, printed.output
        assert printed.stdout == _bundle("classic")
        out = tmp_path / "bundle.json"
        written = runner.invoke(app, ["assess", str(CLASSIC), "--format", "fhir", "--out", str(out)])
        assert written.exit_code == 0, written.output
        assert out.read_text() == _bundle("classic")
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600

    def test_export_format_fhir_writes_the_stored_screenings_bundle(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TRIPOD_DB", str(tmp_path / "tripod.db"))
        assert runner.invoke(app, ["assess", str(CLASSIC), "--store"]).exit_code == 0
        refused = runner.invoke(app, ["export", "1", "--format", "fhir", "--out",
                                      str(tmp_path / "b.yaml")])
        assert refused.exit_code == 2
        assert "--out = " in refused.stderr and "allowed a .json file name" in refused.stderr
        out = tmp_path / "b.json"
        done = runner.invoke(app, ["export", "1", "--format", "fhir", "--out", str(out)])
        assert done.exit_code == 0, done.output
        assert out.read_text() == _bundle("classic")

    def test_questionnaire_prints_the_sdc_questionnaire(self) -> None:
        result = runner.invoke(app, ["questionnaire", "--format", "fhir"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == questionnaire(questions())


def test_every_answer_of_an_exported_response_has_its_questionnaire_item() -> None:
    """The fields the intake does not ask (heel contact, notes...) are items too."""
    links = {item["linkId"] for item in questionnaire(questions())["item"]}
    for name in GOLDEN:
        response = resources(bundle_of(name), "QuestionnaireResponse")[0]
        assert [] == [i["linkId"] for i in response["item"] if i["linkId"] not in links]
