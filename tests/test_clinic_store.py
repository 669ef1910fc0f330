"""The record store for a clinic, on SQLite and PostgreSQL (``store_at``): migrations from the
release before Alembic, the audit trail's immutability, erasure, backup, and a store that is not
there."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.errors import StoreError
from engine.inference import assess
from engine.intake import Case
from engine.trace import Assessment
from storage import migrations, schema
from storage.casefile import load_case
from storage.schema import SCHEMA_VERSION
from storage.store import location_url, open_store
from tests.conftest import EXAMPLES, ROOT, TEST_PG, StoreAt

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
# A store made by `tripod assess --store` on main at 37246cb (schema version 2, before Alembic):
# the classic example's fictional client TR-0007 "Sam Carter", and an open intake for TR-0099.
pytest_plugins = ["pytester"]

MADE_BY_MAIN = Path(__file__).parent / "data" / "store_schema2_main_37246cb.db"


@pytest.fixture(scope="module")
def classic() -> tuple[Case, Assessment]:
    case = load_case(CLASSIC)
    return case, assess(case)


def other_client(case: Case) -> Case:
    return case.model_copy(update={"client": case.client.model_copy(
        update={"id": "TR-0100", "name": "Kim Lee"})})


class TestMigrations:
    def test_the_newest_revision_is_the_schema_version_the_tables_describe(self) -> None:
        assert migrations.head() == schema.SCHEMA_VERSION

    def test_the_migrated_tables_have_the_columns_tripod_queries(self, store_at: StoreAt) -> None:
        with open_store(store_at.location) as store, store.engine.connect() as conn:
            found = sa.inspect(conn)
            for table in schema.metadata.tables.values():
                if table.name == "tripod_erasure" and store_at.kind != "sqlite":
                    continue
                assert {c["name"] for c in found.get_columns(table.name)} == set(
                    table.columns.keys()), table.name

    def test_a_store_made_before_alembic_is_upgraded_and_keeps_every_record(
            self, tmp_path: Path, classic: tuple[Case, Assessment]) -> None:
        path = tmp_path / "tripod.db"
        shutil.copy(MADE_BY_MAIN, path)
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT max(version) FROM tripod_schema").fetchone() == (2,)
        with open_store(path) as store:
            (old,) = store.history("TR-0007")
            assert (old.version, old.signed_by, old.assessment().status) == (1, None, "complete")
            (draft,) = store.drafts()
            assert draft.client_id == "TR-0099"
            # The same case and assessment again: nothing new (today's rules may assess it
            # differently from the release that made the file, which would be a new version).
            again = store.add_assessment(old.intake(), old.assessment())
            assert (again.id, again.created) == (old.id, False)
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT version_num FROM tripod_revision").fetchone() == (
                f"{SCHEMA_VERSION:04d}",)
            assert raw.execute("SELECT max(version) FROM tripod_schema").fetchone() == (
                SCHEMA_VERSION,)
            for sql in ("REPLACE INTO assessments SELECT * FROM assessments",
                        "DELETE FROM assessments", "UPDATE assessments SET status = 'x'"):
                with pytest.raises(sqlite3.IntegrityError, match="assessments are immutable"):
                    raw.execute(sql)

    def test_the_release_before_alembic_refuses_an_upgraded_store_as_newer(
            self, tmp_path: Path) -> None:
        """Every revision adds its number to tripod_schema, the table that release reads."""
        path = tmp_path / "tripod.db"
        shutil.copy(MADE_BY_MAIN, path)
        open_store(path).close()
        with sqlite3.connect(path) as raw:
            newest = raw.execute("SELECT max(version) FROM tripod_schema").fetchone()[0]
        assert newest == schema.SCHEMA_VERSION > 2  # main refuses a version above its own 2

    def test_a_newer_store_is_refused_before_anything_is_written(self, tmp_path: Path) -> None:
        path = tmp_path / "tripod.db"
        shutil.copy(MADE_BY_MAIN, path)
        with sqlite3.connect(path) as raw:
            raw.execute("INSERT INTO tripod_schema VALUES (9, 'later')")
        with sqlite3.connect(path) as raw:
            before = list(raw.iterdump())
        with pytest.raises(StoreError, match="schema version 9 is newer than this Tripod knows"):
            open_store(path)
        with sqlite3.connect(path) as raw:
            assert list(raw.iterdump()) == before


class TestMissingStore:
    def test_reading_a_store_that_is_not_there_names_it_and_creates_nothing(
            self, tmp_path: Path) -> None:
        path = tmp_path / "mistyped" / "dir" / "t.db"
        with pytest.raises(StoreError) as info:
            open_store(path, read_only=True)
        assert str(info.value) == (
            f"database {path}: no record store there; allowed the location of an existing store "
            "(check --db or TRIPOD_DB); a command that stores (tripod assess --store, tripod "
            "intake) makes a new one")
        assert not (tmp_path / "mistyped").exists()

    def test_reading_an_empty_database_is_refused_and_storing_makes_the_store_saying_so_once(
            self, store_at: StoreAt) -> None:
        if store_at.kind == "sqlite":
            Path(store_at.location).parent.mkdir()
            Path(store_at.location).touch(mode=0o600)
        with pytest.raises(StoreError, match="no record store there"):
            open_store(store_at.location, read_only=True)
        said: list[str] = []
        open_store(store_at.location, say=said.append).close()
        open_store(store_at.location, say=said.append).close()
        assert len(said) == 1 and said[0].startswith("new record store made: database ")
        assert "tripod-test-pw" not in said[0]


class TestAuditTrail:
    @pytest.mark.parametrize("sql", ["UPDATE audit SET actor = 'someone'", "DELETE FROM audit",
                                     "REPLACE INTO audit SELECT * FROM audit",
                                     "TRUNCATE audit"])
    def test_no_statement_changes_or_removes_an_audit_entry(self, store_at: StoreAt,
                                                            sql: str) -> None:
        if store_at.kind == "sqlite" and sql.startswith("TRUNCATE"):
            sql = "DELETE FROM audit WHERE true"
        if store_at.kind == "postgresql" and sql.startswith("REPLACE"):
            sql = ("INSERT INTO audit SELECT * FROM audit ON CONFLICT (id) DO UPDATE "
                   "SET actor = 'someone'")
        with open_store(store_at.location) as store:
            store.record_action("alice", "view", client_id="TR-0007", assessment_id=1)
        with store_at.raw() as raw:
            with pytest.raises(Exception, match="the audit trail is append-only"):
                raw.execute(sql)
            assert raw.execute("SELECT actor, action FROM audit").fetchall() == [("alice", "view")]

    def test_a_stored_assessment_is_signed_and_its_entry_written_with_it(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        case, assessment = classic
        fixed = case.model_copy(update={"notes": "corrected"})
        with open_store(store_at.location) as store:
            first = store.add_record(_record(case, assessment), signed_by="alice")
            second = store.add_record(_record(fixed, assess(fixed)), signed_by="bob")
            store.add_record(_record(fixed, assess(fixed)), signed_by="bob")  # nothing new
            entries = store.audit_entries("TR-0007")
        assert (first.signed_by, second.signed_by) == ("alice", "bob")
        assert [(e.actor, e.action, e.client_id, e.assessment_id) for e in entries] == [
            ("alice", "store", "TR-0007", first.id), ("bob", "amend", "TR-0007", second.id)]


def _record(case: Case, assessment: Assessment):  # type: ignore[no-untyped-def]
    from storage.records import AssessmentRecord

    return AssessmentRecord.of(case, assessment)


class TestErasure:
    def test_erasing_a_client_removes_its_records_and_drafts_and_leaves_others(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        case, assessment = classic
        other = other_client(case)
        with open_store(store_at.location) as store:
            finished = store.new_draft()
            store.save_answers(finished, {"client.id": "TR-0007"})
            store.add_assessment(case, assessment, draft_id=finished)
            store.add_assessment(case.model_copy(update={"notes": "v2"}), assessment)
            pending = store.new_draft()
            store.save_answers(pending, {"client.id": "TR-0007", "client.age": 31})
            kept_draft = store.new_draft()
            store.save_answers(kept_draft, {"client.id": "TR-0100"})
            kept = store.add_assessment(other, assess(other))
            erased = store.erase_client("TR-0007", "boss", "request of 2026-11-29, ref E-12")
            assert (erased.assessments, erased.drafts) == (2, 2)
            assert [c.id for c in store.clients()] == ["TR-0100"]
            assert store.history("TR-0007") == []
            assert [d.id for d in store.drafts(only_open=False)] == [kept_draft]
            assert store.draft_answers(pending) == {}
            assert [r.id for r in store.history("TR-0100")] == [kept.id]
            (entry,) = store.audit_entries("TR-0007")
        assert (entry.actor, entry.action, entry.reason) == (
            "boss", "erase", "request of 2026-11-29, ref E-12")
        with store_at.raw() as raw:  # the guard is back: no plain DELETE gets through
            with pytest.raises(Exception, match="assessments are immutable"):
                raw.execute("DELETE FROM assessments")
            assert raw.execute("SELECT count(*) FROM assessments").fetchone() == (1,)
            for table in ("assessments", "drafts", "clients"):
                text = str(raw.execute(f"SELECT * FROM {table}").fetchall())
                assert "Sam Carter" not in text and "TR-0007" not in text

    def test_another_connection_cannot_give_itself_the_erasure_permit(
            self, store_at: StoreAt, classic: tuple[Case, Assessment]) -> None:
        with open_store(store_at.location) as store:
            store.add_assessment(*classic)
        with store_at.raw() as raw:
            if store_at.kind == "sqlite":
                with pytest.raises(sqlite3.OperationalError, match="no such function"):
                    raw.execute("INSERT INTO tripod_erasure VALUES ('TR-0007')")
            with pytest.raises(Exception, match="assessments are immutable"):
                raw.execute("DELETE FROM assessments WHERE client_id = 'TR-0007'")

    def test_erasing_a_client_that_is_not_there_erases_nothing(self, store_at: StoreAt,
                                                               classic: tuple[Case, Assessment]
                                                               ) -> None:
        with open_store(store_at.location) as store:
            store.add_assessment(*classic)
            with pytest.raises(StoreError, match="erase: CLIENT = 'TR-9': no such client"):
                store.erase_client("TR-9", "boss", "x")
            assert store.audit_entries() == []
            assert len(store.history("TR-0007")) == 1


class TestBackup:
    def test_a_backup_taken_while_another_process_writes_is_a_consistent_owner_only_store(
            self, tmp_path: Path) -> None:
        path = tmp_path / "live.db"
        open_store(path).close()
        script = textwrap.dedent(f"""
            from storage.casefile import load_case, parse_case
            from engine.inference import assess, build_engine
            from storage.store import open_store
            document = load_case({str(CLASSIC)!r}).model_dump(mode="json", exclude_none=True)
            engine = build_engine()
            with open_store({str(path)!r}, timeout=30) as store:
                for i in range(40):
                    document["notes"] = f"w {{i}}"
                    case = parse_case("w", document)
                    store.add_assessment(case, assess(case, engine))
                    if i == 5:
                        print("writing", flush=True)
        """)
        writer = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        copy = tmp_path / "backups" / "copy.db"
        with open_store(path, timeout=30) as store:
            store.backup_to(copy, "boss")
        _, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        assert sorted(p.name for p in copy.parent.iterdir()) == ["copy.db"]
        with sqlite3.connect(copy) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with open_store(copy) as store:
            rows = store.history("TR-0007")
        assert 6 <= len(rows) <= 40
        assert [r.version for r in rows] == list(range(1, len(rows) + 1))
        with open_store(path) as store:
            assert [e.action for e in store.audit_entries()] == ["backup"]

    def test_backup_copies_a_sqlite_store_and_refuses_a_postgresql_one(
            self, store_at: StoreAt, tmp_path: Path) -> None:
        if store_at.kind == "sqlite":
            with open_store(store_at.location) as store:
                store.backup_to(tmp_path / "copy.db", "boss")
            assert (tmp_path / "copy.db").is_file()
            return
        with open_store(store_at.location) as store, pytest.raises(
                StoreError, match="tripod backup copies a SQLite store; allowed a SQLite store"):
            store.backup_to(tmp_path / "copy.db", "boss")
        assert not (tmp_path / "copy.db").exists()


class TestPostgresqlServer:
    def test_a_plain_postgresql_url_is_read_with_psycopg_3(self) -> None:
        assert location_url("postgresql://u@h/db").drivername == "postgresql+psycopg"

    def test_a_wrong_password_is_one_line_that_never_shows_it(self, pg_unavailable: str | None
                                                              ) -> None:
        if pg_unavailable:
            pytest.skip(pg_unavailable)
        import os

        url = location_url(os.environ[TEST_PG]).set(password="Wr0ngS3cretPW")
        with pytest.raises(StoreError) as info:
            open_store(url.render_as_string(hide_password=False))
        line = str(info.value)
        assert "Wr0ngS3cretPW" not in line and "\n" not in line
        assert ": the server refused the login (" in line
        assert info.value.__cause__ is None or "Wr0ngS3cretPW" not in str(info.value.__cause__)

    def test_a_server_that_is_not_there_is_one_line(self) -> None:
        with pytest.raises(StoreError) as info:
            open_store("postgresql://alice:S3cretPW@127.0.0.1:1/tripod", timeout=2)
        line = str(info.value)
        assert line.startswith("database postgresql+psycopg://alice:***@127.0.0.1:1/tripod: "
                               "cannot be reached (")
        assert "S3cretPW" not in line and "\n" not in line


def test_without_a_postgresql_server_that_half_skips_with_its_reason_and_fails_in_ci(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_PG, raising=False)
    pytester.makeconftest("from tests.conftest import (  # noqa: F401\n"
                          "    pg_unavailable, pytest_runtest_makereport, store_at)\n")
    pytester.makepyfile("def test_store(store_at):\n    assert store_at.location\n")
    monkeypatch.delenv("TRIPOD_NO_SKIP", raising=False)
    plain = pytester.runpytest("-ra", "-p", "no:cacheprovider")
    plain.assert_outcomes(passed=1, skipped=1)
    plain.stdout.fnmatch_lines(["*TRIPOD_TEST_PG is not set: no PostgreSQL server*"])
    monkeypatch.setenv("TRIPOD_NO_SKIP", "1")
    ci = pytester.runpytest("-ra", "-p", "no:cacheprovider")
    ci.assert_outcomes(passed=1, errors=1)  # the fixture's skip, failed at setup
    ci.stdout.fnmatch_lines(["*skipped where TRIPOD_NO_SKIP=1*TRIPOD_TEST_PG is not set*"])
