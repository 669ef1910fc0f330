"""The record store on a real SQLite file and a real PostgreSQL server (``store_at`` in
conftest.py runs a test on each): permissions, immutability, versions, drafts, failures."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from engine.errors import InputError, StoreError
from engine.inference import assess
from engine.intake import Case
from engine.trace import Assessment
from engine.visits import case_changes
from storage.casefile import load_case, parse_case
from storage.schema import SCHEMA_VERSION
from storage.store import location_url, open_store
from tests.conftest import EXAMPLES, ROOT, StoreAt

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"


@pytest.fixture(scope="module")
def classic() -> tuple[Case, Assessment]:
    """The classic example case and its assessment by the real engine."""
    case = load_case(CLASSIC)
    return case, assess(case)


def changed(case: Case, **updates: Any) -> Case:
    """A copy of the case document with dotted-path updates, validated again."""
    document = case.model_dump(mode="json", exclude_none=True)
    for path, value in updates.items():
        *parents, leaf = path.split("__")
        node = document
        for part in parents:
            node = node[part]
        node[leaf] = value
    return parse_case("test", document)


# Columns and a SELECT giving a new row (new id) for the client, date and version already stored.
SAME_SCREENING = (
    "(client_id, assessed_on, version, created_at, knowledge_version, status, case_json, "
    "assessment_json, trace_json) SELECT client_id, assessed_on, version, created_at, "
    "knowledge_version, 'referral', '{}', '{}', '[]' FROM assessments"
)


def where(store_at: StoreAt) -> str:
    """How the store names itself in a message (a URL without its password)."""
    if store_at.kind == "sqlite":
        return f"database {store_at.location}"
    return f"database {location_url(store_at.location).render_as_string(hide_password=True)}"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestOpening:
    def test_new_database_and_its_wal_files_are_owner_only_in_an_owner_only_folder(
            self, tmp_path: Path, classic: tuple[Case, Assessment]) -> None:
        path = tmp_path / "new" / "folder" / "tripod.db"
        with open_store(path) as store:
            store.add_assessment(*classic)
            assert {p.name for p in path.parent.iterdir()} == {"tripod.db", "tripod.db-wal",
                                                                "tripod.db-shm"}
            assert [mode(p) for p in sorted(path.parent.iterdir())] == [0o600, 0o600, 0o600]
        assert mode(path.parent) == 0o700

    def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(self, tmp_path: Path) -> None:
        path = tmp_path / "t.db"
        with open_store(path) as store, store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    def test_default_location_is_tripod_db_in_the_user_data_folder(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        from platformdirs import user_data_dir

        monkeypatch.delenv("TRIPOD_DB", raising=False)
        assert location_url(None).database == str(Path(user_data_dir("tripod")) / "tripod.db")

    def test_tripod_db_names_a_path_or_a_url(self, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
        monkeypatch.setenv("TRIPOD_DB", str(tmp_path / "env.db"))
        assert location_url(None).database == str(tmp_path / "env.db")
        monkeypatch.setenv("TRIPOD_DB", f"sqlite:///{tmp_path}/url.db")
        assert location_url(None).database == f"{tmp_path}/url.db"

    def test_a_url_for_another_database_kind_names_the_option_and_what_is_allowed(self) -> None:
        with pytest.raises(InputError) as info:
            location_url("mysql://clinic/tripod")
        assert str(info.value) == ("tripod: --db/TRIPOD_DB = 'mysql://clinic/tripod': allowed a "
                                   "file path, sqlite:///PATH or postgresql://USER@HOST/DB")

    @pytest.mark.parametrize("url", ["mysql://alice:S3cretPW@db.example/tripod",
                                     "postgresql://alice:S3cretPW@db.example:notaport/tripod",
                                     "postgresql://alice:S3cretPW@[::1/tripod"])
    def test_a_bad_url_is_one_problem_line_without_its_password(self, url: str) -> None:
        with pytest.raises(InputError) as info:
            location_url(url)
        assert "S3cretPW" not in str(info.value)
        assert str(info.value).startswith("tripod: --db/TRIPOD_DB = 'postgresql://alice:***@"
                                          if url.startswith("postgresql") else
                                          "tripod: --db/TRIPOD_DB = 'mysql://alice:***@")
        # No chained cause either: sqlalchemy's own message quotes the URL.
        assert info.value.__cause__ is None
        assert info.value.__context__ is None or info.value.__suppress_context__

    def test_schema_version_is_recorded_and_reopening_keeps_the_records(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        with open_store(store_at.location) as store:
            store.add_assessment(*classic)
        with open_store(store_at.location) as store:
            assert [c.id for c in store.clients()] == ["TR-0007"]
        with store_at.raw() as raw:
            version = raw.execute("SELECT max(version) FROM tripod_schema").fetchone()
            revision = raw.execute("SELECT version_num FROM tripod_revision").fetchone()
        assert (version, revision) == ((SCHEMA_VERSION,), (f"{SCHEMA_VERSION:04d}",))


class TestRefusals:
    def test_a_text_file_is_refused_as_not_a_database(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.db"
        path.write_text("these are my notes, not a database\n" * 40)
        with pytest.raises(StoreError) as info:
            open_store(path)
        assert str(info.value) == (
            f"database {path}: not a Tripod database (file is not a database); allowed a Tripod "
            "database, or a new path given with --db or TRIPOD_DB")
        assert path.read_text().startswith("these are my notes")

    def test_another_programs_database_is_refused_and_left_untouched(self,
                                                                     store_at: StoreAt) -> None:
        if store_at.kind == "sqlite":
            Path(store_at.location).parent.mkdir()
        with store_at.raw() as raw:
            raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        with pytest.raises(StoreError) as info:
            open_store(store_at.location)
        assert str(info.value).endswith(
            ": holds tables Tripod does not know (invoices); allowed a Tripod database, or a new "
            "path given with --db or TRIPOD_DB")
        with store_at.raw() as raw:
            assert raw.execute("SELECT count(*) FROM invoices").fetchone() == (0,)

    @pytest.mark.parametrize("table", ["tripod_schema", "tripod_revision"])
    def test_a_database_from_a_newer_tripod_is_refused_in_one_line(self, store_at: StoreAt,
                                                                    table: str) -> None:
        open_store(store_at.location).close()
        with store_at.raw() as raw:
            if table == "tripod_schema":
                raw.execute(f"INSERT INTO tripod_schema VALUES ({SCHEMA_VERSION + 1}, 'later')")
            else:
                raw.execute(f"UPDATE tripod_revision SET version_num = '{SCHEMA_VERSION + 1:04d}'")
        with pytest.raises(StoreError) as info:
            open_store(store_at.location)
        assert str(info.value) == (f"{where(store_at)}: schema version {SCHEMA_VERSION + 1} is newer "
                                   f"than this Tripod knows ({SCHEMA_VERSION}); upgrade Tripod to "
                                   "open it")

    def test_a_folder_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(StoreError, match="is a directory; allowed a database file path"):
            open_store(tmp_path)

    def test_a_locked_database_is_reported_and_nothing_is_written(
            self, tmp_path: Path, classic: tuple[Case, Assessment]) -> None:
        path = tmp_path / "t.db"
        store = open_store(path, timeout=0.2)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with open_store(path, timeout=0.2):  # an up-to-date database opens while locked
                pass
            with pytest.raises(StoreError) as info:
                store.add_assessment(*classic)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            store.close()
        assert str(info.value) == (f"database {path}: locked by another program (waited 0.2 s); "
                                   "nothing was written; try again when it is done")
        with open_store(path) as store:
            assert store.clients() == []

    def test_a_full_database_is_reported_and_leaves_no_half_written_record(
            self, tmp_path: Path, classic: tuple[Case, Assessment]) -> None:
        path = tmp_path / "t.db"
        with open_store(path) as store:
            pages = store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar()

            # SQLITE_FULL as a full disk gives it: no page may be added beyond the current ones.
            @event.listens_for(store.engine, "connect")
            def _cap(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

            store.engine.dispose()
            with pytest.raises(StoreError) as info:
                store.add_assessment(*classic)
        assert str(info.value) == (f"database {path}: disk or database full; nothing was written; "
                                   "free space and try again")
        with open_store(path) as store:
            assert store.clients() == []
            assert store.history("TR-0007") == []


class TestAssessments:
    def test_an_assessment_is_kept_with_its_case_json_trace_knowledge_version_and_time(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        case, assessment = classic
        with open_store(store_at.location) as store:
            stored = store.add_assessment(case, assessment)
            again = store.assessment(stored.id)
        assert again == stored
        assert (stored.version, stored.supersedes, stored.created) == (1, None, True)
        assert again.assessment() == assessment
        assert parse_case("stored", again.case) == case
        assert (again.knowledge_version, again.status, again.root_cause) == (
            assessment.knowledge_version, "complete", "ascending_foot_chain")
        assert again.created_at.endswith("+00:00")
        assert again.signed_by is None  # stored without the service: signed by no one
        with store_at.raw() as raw:
            (trace,) = raw.execute("SELECT trace_json FROM assessments").fetchone()
        assert [s["rule"] for s in json.loads(trace)] == [s.rule for s in assessment.trace]

    def test_storing_the_same_case_again_adds_no_version(self, store_at: StoreAt,
                                                         classic: tuple[Case, Assessment]) -> None:
        with open_store(store_at.location) as store:
            first = store.add_assessment(*classic)
            second = store.add_assessment(*classic)
            assert (second.id, second.created) == (first.id, False)
            assert len(store.history("TR-0007")) == 1

    def test_a_correction_is_a_new_version_and_the_old_one_stays(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        case, assessment = classic
        fixed = changed(case, hips__left__ir_deg=40)
        with open_store(store_at.location) as store:
            first = store.add_assessment(case, assessment)
            second = store.add_assessment(fixed, assess(fixed))
            rows = store.history("TR-0007")
        assert [(r.id, r.version, r.supersedes, r.superseded_by) for r in rows] == [
            (first.id, 1, None, second.id), (second.id, 2, first.id, None)]
        assert rows[0].case["hips"]["left"]["ir_deg"] == 22
        assert rows[1].case["hips"]["left"]["ir_deg"] == 40

    @pytest.mark.parametrize("sql", ["UPDATE assessments SET status = 'referral'",
                                     "DELETE FROM assessments", "TRUNCATE assessments",
                                     "TRUNCATE assessments CASCADE"])
    def test_the_database_refuses_to_update_delete_or_truncate_an_assessment(
            self, store_at: StoreAt, classic: tuple[Case, Assessment], sql: str) -> None:
        if sql.startswith("TRUNCATE") and store_at.kind == "sqlite":
            sql = "DELETE FROM assessments WHERE true"  # SQLite's truncate optimisation
        with open_store(store_at.location) as store:
            store.add_assessment(*classic)
        with store_at.raw() as raw:
            # a plain TRUNCATE is refused for the drafts' foreign key first, before the trigger
            with pytest.raises(Exception, match="assessments are immutable|cannot truncate a "
                                                "table referenced in a foreign key"):
                raw.execute(sql)
            assert raw.execute("SELECT status FROM assessments").fetchall() == [("complete",)]

    @pytest.mark.parametrize("sql", [
        "UPDATE assessments SET status = 'referral'",
        "DELETE FROM assessments",
        "INSERT OR REPLACE INTO assessments SELECT * FROM assessments",
        "REPLACE INTO assessments SELECT * FROM assessments",
        # a new id, the same client, date and version: REPLACE would delete the stored row
        f"REPLACE INTO assessments {SAME_SCREENING}",
        ("INSERT INTO assessments SELECT * FROM assessments WHERE true ON CONFLICT (id) DO UPDATE "
         "SET status = 'referral'"),
        (f"INSERT INTO assessments {SAME_SCREENING} WHERE true ON CONFLICT (client_id, "
         "assessed_on, version) DO UPDATE SET status = 'referral'"),
        "UPDATE OR REPLACE assessments SET status = 'referral'",
    ], ids=["update", "delete", "insert-or-replace", "replace-into", "replace-by-unique-key",
            "upsert-by-id", "upsert-by-unique-key", "update-or-replace"])
    def test_no_statement_form_changes_or_removes_a_stored_assessment(
            self, tmp_path: Path, classic: tuple[Case, Assessment], sql: str) -> None:
        """REPLACE deletes the conflicting row without firing DELETE triggers (recursive triggers
        are off in any tool that opens the file): the insert itself must be refused."""
        path = tmp_path / "t.db"
        with open_store(path) as store:
            store.add_assessment(*classic)
        with sqlite3.connect(path) as raw:
            before = raw.execute("SELECT * FROM assessments").fetchall()
            with pytest.raises(sqlite3.IntegrityError, match="assessments are immutable"):
                raw.execute(sql)
            assert raw.execute("SELECT * FROM assessments").fetchall() == before

    def test_a_database_made_before_the_replace_guard_gets_it_when_opened(
            self, tmp_path: Path, classic: tuple[Case, Assessment]) -> None:
        from storage import migrations

        path = tmp_path / "t.db"
        engine = sa.create_engine(f"sqlite:///{path}")  # a database as the first release made it
        with engine.begin() as conn:
            migrations.upgrade(conn, 0, target=1)
            conn.exec_driver_sql("DROP TABLE tripod_revision")  # the first release had no Alembic
        engine.dispose()
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT max(version) FROM tripod_schema").fetchone() == (1,)
        with open_store(path) as store:
            store.add_assessment(*classic)
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT max(version) FROM tripod_schema").fetchone() == (
                SCHEMA_VERSION,)
            with pytest.raises(sqlite3.IntegrityError, match="assessments are immutable"):
                raw.execute("REPLACE INTO assessments SELECT * FROM assessments")

    def test_clients_count_screenings_not_corrections_and_give_the_last_date(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        case, _ = classic
        later = changed(case, assessed_on="2026-11-22")
        corrected = changed(later, notes="corrected")
        with open_store(store_at.location) as store:
            for each in (case, later, corrected):
                store.add_assessment(each, assess(each))
            (summary,) = store.clients()
        assert summary.last_assessed_on is not None
        assert (summary.id, summary.name, summary.assessments,
                summary.last_assessed_on.isoformat()) == ("TR-0007", "Sam Carter", 2, "2026-11-22")

    def test_four_processes_writing_at_once_lose_nothing(self, store_at: StoreAt) -> None:
        """4 x 25 corrections of one screening, written concurrently by four real processes."""
        location = store_at.location
        open_store(location).close()
        script = textwrap.dedent(f"""
            import sys
            from storage.casefile import load_case, parse_case
            from engine.inference import assess, build_engine
            from storage.store import open_store
            tag = sys.argv[1]
            document = load_case({str(CLASSIC)!r}).model_dump(mode="json", exclude_none=True)
            engine = build_engine()
            with open_store({location!r}, timeout=30) as store:
                print("ready", flush=True)
                sys.stdin.readline()
                for i in range(25):
                    document["notes"] = f"{{tag}} {{i}}"
                    case = parse_case("w", document)
                    store.add_assessment(case, assess(case, engine))
        """)
        tags = "abcd"
        workers = [subprocess.Popen([sys.executable, "-c", script, tag], cwd=ROOT, text=True,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE) for tag in tags]
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
        for worker in workers:  # all start writing only once all are ready
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            _, err = worker.communicate(timeout=180)
            assert worker.returncode == 0, err
        with open_store(location) as store:
            rows = store.history("TR-0007")
        assert [r.version for r in rows] == list(range(1, 101))
        assert sorted(r.case["notes"] for r in rows) == sorted(
            f"{tag} {i}" for tag in tags for i in range(25))
        assert [r.supersedes for r in rows[1:]] == [r.id for r in rows[:-1]]


class TestDrafts:
    def test_each_answer_is_committed_when_given_and_survives_reopening(self,
                                                                        store_at: StoreAt) -> None:
        path = store_at.location
        with open_store(path) as store:
            draft = store.new_draft(source="case.yaml")
            store.save_answers(draft, {"client.id": "TR-0099"})
            store.save_answers(draft, {"hips.left.ir_deg": 22, "pelvis.sacrum": None})
            store.save_answers(draft, {"hips.left.ir_deg": 24})
        with store_at.raw() as raw:  # committed: another connection sees every answer
            assert raw.execute("SELECT count(*) FROM draft_answers").fetchone() == (3,)
        with open_store(path) as store:
            answers = {k: a.value for k, a in store.draft_answers(draft).items()}
            (listed,) = store.drafts()
        assert answers == {"client.id": "TR-0099", "hips.left.ir_deg": 24, "pelvis.sacrum": None}
        assert (listed.id, listed.client_id, listed.answered, listed.source) == (
            draft, "TR-0099", 3, "case.yaml")

    def test_prefilled_values_are_kept_apart_from_answers(self, store_at: StoreAt) -> None:
        with open_store(store_at.location) as store:
            draft = store.new_draft()
            store.save_answers(draft, {"client.id": "TR-0099", "client.age": 30}, prefill=True)
            store.save_answers(draft, {"client.age": 31})
            answers = store.draft_answers(draft)
            (listed,) = store.drafts()
        assert (answers["client.id"].prefill, answers["client.age"].prefill) == (True, False)
        assert listed.answered == 1

    def test_storing_the_assessment_finishes_the_draft_which_then_takes_no_answers(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        with open_store(store_at.location) as store:
            draft = store.new_draft()
            store.save_answers(draft, {"client.id": "TR-0007"})
            stored = store.add_assessment(*classic, draft_id=draft)
            assert store.drafts() == []
            finished = store.draft(draft)
            assert finished is not None
            assert (finished.status, finished.assessment_id) == ("finished", stored.id)
            with pytest.raises(StoreError, match=f"intake {draft} is finished; nothing was"):
                store.save_answers(draft, {"client.age": 3})


def test_case_changes_name_each_moved_observation_by_path() -> None:
    old = {"client": {"id": "A", "name": "X", "age": 30}, "hips": {"left": {"ir_deg": 22}},
           "movements": {"hinge": {"felt_in": ["hamstrings"]}}, "notes": "first"}
    new = {"client": {"id": "A", "name": "Y", "age": 30}, "hips": {"left": {"ir_deg": 30}},
           "pelvis": {"sacrum": "neutral"}, "movements": {"hinge": {"felt_in": ["glutes"]}},
           "notes": "second"}
    assert case_changes(old, new) == [
        ("hips.left.ir_deg", 22, 30),
        ("movements.hinge.felt_in", ["hamstrings"], ["glutes"]),
        ("pelvis.sacrum", None, "neutral"),
    ]


def test_opening_the_store_does_not_touch_the_real_user_data_folder(tmp_path: Path) -> None:
    """Guard for the tests themselves: TRIPOD_DB in a subprocess decides where the file goes."""
    env = {**os.environ, "TRIPOD_DB": str(tmp_path / "env.db")}
    code = "from storage.store import open_store; print(open_store().where)"
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == f"database {tmp_path / 'env.db'}"
