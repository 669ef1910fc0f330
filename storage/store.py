"""The record store: clients, unfinished intakes and immutable assessments, in SQL.

The ``store`` step of the flow (intake -> facts -> rules -> findings + trace -> store -> report),
and the only module that talks to a database. The default is one SQLite file under the user's data
directory; ``--db`` or ``TRIPOD_DB`` names another file or an SQLAlchemy URL (``sqlite:///...``,
``postgresql://...``).

What is kept:

- ``clients``: one row per pseudonymous client id, with the latest name given.
- ``drafts`` and ``draft_answers``: a questionnaire in progress, one row per answer, each committed
  as it is given, so an interrupted or killed intake loses nothing and can be resumed.
- ``assessments``: immutable. Each row holds the case document, the full ``tripod-assessment/1``
  JSON, the trace, the knowledge version and the time it was stored. A correction of the same
  client and date is a new row with the next ``version`` that ``supersedes`` the previous one;
  triggers refuse any UPDATE or DELETE, and any REPLACE (``storage.store_guards``).

The schema is versioned in ``tripod_schema``; missing migrations are applied on open, and a database
written by a newer Tripod is refused. Every database failure (not a database, someone else's
tables, locked, disk full) becomes a :class:`~engine.errors.StoreError` with one readable line, and
every write runs in one transaction, so a failure leaves no half-written record. Error messages
never carry SQL parameters: they would be patient data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

from engine.errors import StoreError
from engine.intake import Case
from engine.trace import Assessment
from storage.casefile import case_to_document, make_private_folder
from storage.store_files import read_only_connector, tighten_database
from storage.store_guards import refuse_replace
from storage.store_location import ENV, location_url

DEFAULT_TIMEOUT = 5.0
SCHEMA_TABLE = "tripod_schema"
IMMUTABLE = "assessments are immutable; store a correction as a new version"

metadata = sa.MetaData()

schema_versions = sa.Table(
    SCHEMA_TABLE, metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

clients = sa.Table(
    "clients", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)

assessments = sa.Table(
    "assessments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("assessed_on", sa.Date, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("supersedes", sa.Integer, sa.ForeignKey("assessments.id")),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("knowledge_version", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("root_cause", sa.String(64)),
    sa.Column("case_json", sa.Text, nullable=False),
    sa.Column("assessment_json", sa.Text, nullable=False),
    sa.Column("trace_json", sa.Text, nullable=False),
    sa.UniqueConstraint("client_id", "assessed_on", "version", name="one_version_per_screening"),
    sa.UniqueConstraint("supersedes", name="one_correction_per_version"),
    sa.Index("assessments_by_client", "client_id", "assessed_on"),
)

drafts = sa.Table(
    "drafts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("source", sa.String(1000)),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id")),
    sa.CheckConstraint("status IN ('open', 'finished')", name="draft_status"),
)

draft_answers = sa.Table(
    "draft_answers", metadata,
    sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value_json", sa.Text, nullable=False),
    # A value read from a case file by ``tripod intake --from``: the default, not yet confirmed.
    sa.Column("prefill", sa.Boolean, nullable=False),
    sa.Column("answered_at", sa.String(40), nullable=False),
)


def _migration_1(conn: Connection) -> None:
    # Migration 1 creates the tables as first released. When a later migration alters a table,
    # freeze this one's DDL first, or a fresh database would get the new shape and then fail.
    for table in (clients, assessments, drafts, draft_answers):
        table.create(conn)
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER assessments_no_{verb.lower()} BEFORE {verb} ON assessments "
                f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END"
            )
    else:
        conn.exec_driver_sql(
            "CREATE FUNCTION tripod_assessments_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{IMMUTABLE}'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER assessments_immutable BEFORE UPDATE OR DELETE ON assessments "
            "FOR EACH ROW EXECUTE FUNCTION tripod_assessments_immutable()"
        )


def _migration_2(conn: Connection) -> None:
    refuse_replace(conn, IMMUTABLE)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_migration_1, _migration_2)
SCHEMA_VERSION = len(MIGRATIONS)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ClientSummary:
    id: str
    name: str | None
    assessments: int
    last_assessed_on: dt.date | None


@dataclass(frozen=True)
class StoredAssessment:
    """One stored assessment with the case it was made from."""

    id: int
    client_id: str
    assessed_on: dt.date
    version: int
    supersedes: int | None
    superseded_by: int | None
    created_at: str
    knowledge_version: str
    status: str
    root_cause: str | None
    case_json: str
    assessment_json: str
    created: bool = True
    where: str = ""

    @property
    def case(self) -> dict[str, Any]:
        """The case document (``tripod-case/1``) as stored."""
        try:
            document: dict[str, Any] = json.loads(self.case_json)
        except ValueError:
            raise self._unreadable() from None
        return document

    def assessment(self) -> Assessment:
        """The stored assessment, validated by this version's model; StoreError when it does not
        fit (written by an older Tripod, say)."""
        try:
            return Assessment.model_validate_json(self.assessment_json)
        except ValueError:  # pydantic's ValidationError is one
            # from None: pydantic's message quotes the stored values, patient data.
            raise self._unreadable() from None

    def _unreadable(self) -> StoreError:
        where = f"{self.where}: " if self.where else ""
        return StoreError(f"{where}assessment {self.id} cannot be read by this version of Tripod "
                          "(stored in a shape it no longer knows); the record is kept unchanged")


@dataclass(frozen=True)
class DraftAnswer:
    value: Any
    prefill: bool


@dataclass(frozen=True)
class Draft:
    """An intake in progress."""

    id: int
    created_at: str
    updated_at: str
    source: str | None
    status: str
    client_id: str | None
    answered: int
    assessment_id: int | None


class Store:
    """An open record store. Use :func:`open_store`; close it (or use ``with``) when done."""

    def __init__(self, url: URL, timeout: float = DEFAULT_TIMEOUT, *, read_only: bool = False,
                 say: Callable[[str], object] | None = None) -> None:
        self.url = url
        self.timeout = timeout
        sqlite = url.get_backend_name() == "sqlite"
        self.path = Path(url.database) if sqlite and url.database else None
        # Read-only applies to an existing SQLite file; anything else opens as usual.
        self.read_only = read_only and self.path is not None and self.path.is_file()
        self.say = say
        self.where = f"database {self.path}" if self.path else (
            f"database {url.render_as_string(hide_password=True)}")
        self.engine = self._create_engine()
        self._open()

    # -- opening -------------------------------------------------------------------------------

    def _create_engine(self) -> Engine:
        options: dict[str, Any] = {"hide_parameters": True}
        if self.path is not None and self.read_only:
            options["creator"] = read_only_connector(self.path, self.timeout)
        elif self.path is not None:
            options["connect_args"] = {"timeout": self.timeout}
        else:
            options["connect_args"] = {"connect_timeout": max(1, int(self.timeout))}
        try:
            engine = sa.create_engine(self.url, **options)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise StoreError(f"{self.where}: no database driver for {self.url.drivername!r}; "
                             "install it (e.g. psycopg for PostgreSQL)") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", self._sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        return engine

    def _sqlite_connect(self, dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # pysqlite opens transactions on its own schedule; we emit BEGIN ourselves (_sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if self.path is not None and not self.read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    def _open(self) -> None:
        created = False
        if self.path is not None:
            created = self._prepare_file(self.path)
        old_umask = os.umask(0o077)  # the first connection creates the file and its -wal and -shm
        try:
            with self._guard():
                self._migrate()
        finally:
            os.umask(old_umask)
        if not created and self.path is not None:  # a Tripod database: its modes are ours to fix
            line = tighten_database(self.path)
            if line and self.say is not None:
                self.say(line)
        if created and self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                extra = Path(f"{self.path}{suffix}")
                if extra.exists():
                    extra.chmod(0o600)

    def _prepare_file(self, path: Path) -> bool:
        if path.is_dir():
            raise StoreError(f"{self.where}: is a directory; allowed a database file path")
        if path.exists():
            return False
        parent = path.parent
        if not parent.exists():
            try:
                make_private_folder(parent)
            except OSError as exc:
                raise StoreError(f"{self.where}: cannot create the folder {parent} "
                                 f"({exc.strerror}); allowed a writable path") from exc
        try:
            # An empty file is a valid empty SQLite database; creating it ourselves fixes its mode,
            # and SQLite gives the -wal and -shm files the mode of the database file.
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        except OSError as exc:
            raise StoreError(f"{self.where}: cannot be created ({exc.strerror}); "
                             "allowed a writable path") from exc
        return True

    def _migrate(self) -> None:
        # Look first without the write lock: an up-to-date database opens even while another
        # process is writing to it. Then migrate under the lock, looking again.
        with self.engine.connect() as conn, conn.begin():
            current = self._schema_version(conn)
            # An older schema reads as well: its migrations add guards, not columns.
            if current == SCHEMA_VERSION or (self.read_only and current > 0):
                return
        if self.read_only:  # an empty file: made into a database as any command would
            self.read_only = False
            self.engine.dispose()
            self.engine = self._create_engine()
        with self._write() as conn:
            current = self._schema_version(conn)
            if current == 0 and not sa.inspect(conn).has_table(SCHEMA_TABLE):
                schema_versions.create(conn)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version - 1](conn)
                conn.execute(schema_versions.insert().values(version=version, applied_at=_now()))

    def _schema_version(self, conn: Connection) -> int:
        """The schema version of this database (0 when empty); refuses a foreign or newer one."""
        tables = set(sa.inspect(conn).get_table_names())
        if tables and SCHEMA_TABLE not in tables:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(f"{self.where}: holds tables Tripod does not know ({shown}); "
                             f"allowed a Tripod database, or a new path given with --db or {ENV}")
        if not tables:
            return 0
        current: int = conn.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar() or 0
        if current > SCHEMA_VERSION:
            raise StoreError(f"{self.where}: schema version {current} is newer than this Tripod "
                             f"knows ({SCHEMA_VERSION}); upgrade Tripod to open it")
        return current

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transactions and errors ---------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock at BEGIN (BEGIN IMMEDIATE), so a
        read-then-write such as numbering a new version cannot interleave with another writer."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(tripod_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            raise StoreError(self._explain(exc)) from exc.orig
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.where}: database error ({type(exc).__name__})") from None

    def _explain(self, exc: DBAPIError) -> str:
        detail = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        lowered = detail.lower()
        if "not a database" in lowered or "malformed" in lowered:
            return (f"{self.where}: not a Tripod database ({detail}); allowed a Tripod database, "
                    f"or a new path given with --db or {ENV}")
        if "locked" in lowered or "busy" in lowered:
            return (f"{self.where}: locked by another program (waited {self.timeout:g} s); "
                    "nothing was written; try again when it is done")
        if "full" in lowered:
            return (f"{self.where}: disk or database full; nothing was written; "
                    "free space and try again")
        if "readonly" in lowered or "read-only" in lowered:
            return f"{self.where}: read-only; nothing was written; allowed a writable database"
        if "unable to open" in lowered:
            return f"{self.where}: cannot be opened ({detail}); allowed a readable, writable path"
        return f"{self.where}: database error ({detail})"

    # -- assessments ---------------------------------------------------------------------------

    def add_assessment(self, case: Case, assessment: Assessment,
                       draft_id: int | None = None) -> StoredAssessment:
        """Store an assessment with its case; the same client and date again is a new version.

        Storing exactly what the latest version already holds (same case, same knowledge version)
        adds nothing and returns that version with ``created`` False. With ``draft_id``, the draft
        is marked finished in the same transaction.
        """
        case_json = json.dumps(case_to_document(case), ensure_ascii=False)
        assessment_json = assessment.to_json()
        trace_json = json.dumps([step.model_dump(mode="json") for step in assessment.trace])
        now = _now()
        with self._guard(), self._write() as conn:
            self._upsert_client(conn, case.client.id, case.client.name, now)
            latest = conn.execute(
                sa.select(assessments)
                .where(assessments.c.client_id == case.client.id,
                       assessments.c.assessed_on == case.assessed_on)
                .order_by(assessments.c.version.desc()).limit(1)
            ).mappings().first()
            if (latest is not None and latest["case_json"] == case_json
                    and latest["knowledge_version"] == assessment.knowledge_version):
                self._finish_draft(conn, draft_id, latest["id"], now)
                return self._stored(conn, latest, created=False)
            inserted = conn.execute(assessments.insert().values(
                client_id=case.client.id,
                assessed_on=case.assessed_on,
                version=(latest["version"] + 1) if latest is not None else 1,
                supersedes=latest["id"] if latest is not None else None,
                created_at=now,
                knowledge_version=assessment.knowledge_version,
                status=assessment.status,
                root_cause=assessment.root_cause.id if assessment.root_cause else None,
                case_json=case_json,
                assessment_json=assessment_json,
                trace_json=trace_json,
            )).inserted_primary_key
            assert inserted is not None
            new_id = inserted[0]
            self._finish_draft(conn, draft_id, new_id, now)
            row = conn.execute(
                sa.select(assessments).where(assessments.c.id == new_id)).mappings().one()
            return self._stored(conn, row)

    def _upsert_client(self, conn: Connection, client_id: str, name: str | None, now: str) -> None:
        # FOR UPDATE locks the client row on PostgreSQL; SQLite already holds the write lock.
        found = conn.execute(
            sa.select(clients.c.name).where(clients.c.id == client_id).with_for_update()
        ).first()
        if found is None:
            conn.execute(clients.insert().values(id=client_id, name=name, created_at=now,
                                                 updated_at=now))
        elif name is not None and found.name != name:
            conn.execute(clients.update().where(clients.c.id == client_id)
                         .values(name=name, updated_at=now))

    def _stored(self, conn: Connection, row: Any, created: bool = True) -> StoredAssessment:
        successor = conn.execute(
            sa.select(assessments.c.id).where(assessments.c.supersedes == row["id"])
        ).scalar()
        return StoredAssessment(
            id=row["id"], client_id=row["client_id"], assessed_on=row["assessed_on"],
            version=row["version"], supersedes=row["supersedes"], superseded_by=successor,
            created_at=row["created_at"], knowledge_version=row["knowledge_version"],
            status=row["status"], root_cause=row["root_cause"], case_json=row["case_json"],
            assessment_json=row["assessment_json"], created=created, where=self.where,
        )

    def assessment(self, assessment_id: int) -> StoredAssessment | None:
        if not -(2**63) <= assessment_id < 2**63:  # beyond a 64-bit SQL integer: no such row
            return None
        with self._read() as conn:
            row = conn.execute(
                sa.select(assessments).where(assessments.c.id == assessment_id)
            ).mappings().first()
            return self._stored(conn, row) if row is not None else None

    def history(self, client_id: str) -> list[StoredAssessment]:
        """Every assessment of one client, corrections included, oldest screening first."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(assessments).where(assessments.c.client_id == client_id)
                .order_by(assessments.c.assessed_on, assessments.c.version, assessments.c.id)
            ).mappings().all()
            return [self._stored(conn, row) for row in rows]

    def clients(self) -> list[ClientSummary]:
        """Every client, its number of screenings (corrections not counted) and the last date."""
        query = (
            sa.select(clients.c.id, clients.c.name,
                      sa.func.count(sa.distinct(assessments.c.assessed_on)),
                      sa.func.max(assessments.c.assessed_on))
            .select_from(clients.outerjoin(assessments, assessments.c.client_id == clients.c.id))
            .group_by(clients.c.id, clients.c.name)
            .order_by(clients.c.id)
        )
        with self._read() as conn:
            return [ClientSummary(id=r[0], name=r[1], assessments=r[2], last_assessed_on=r[3])
                    for r in conn.execute(query)]

    def client_exists(self, client_id: str) -> bool:
        with self._read() as conn:
            return conn.execute(
                sa.select(clients.c.id).where(clients.c.id == client_id)
            ).first() is not None

    # -- drafts --------------------------------------------------------------------------------

    def new_draft(self, source: str | None = None) -> int:
        now = _now()
        with self._guard(), self._write() as conn:
            inserted = conn.execute(drafts.insert().values(
                created_at=now, updated_at=now, source=source, status="open"
            )).inserted_primary_key
            assert inserted is not None
            draft_id: int = inserted[0]
            return draft_id

    def save_answers(self, draft_id: int, answers: Mapping[str, Any],
                     prefill: bool = False) -> None:
        """Record answers (JSON values; None for "not assessed") in one transaction."""
        if not answers:
            return
        now = _now()
        with self._guard(), self._write() as conn:
            status = conn.execute(
                sa.select(drafts.c.status).where(drafts.c.id == draft_id)
            ).scalar()
            if status != "open":
                raise StoreError(f"{self.where}: intake {draft_id} is "
                                 f"{'finished' if status else 'not there'}; nothing was written")
            conn.execute(draft_answers.delete().where(draft_answers.c.draft_id == draft_id,
                                                      draft_answers.c.key.in_(list(answers))))
            conn.execute(draft_answers.insert(), [
                {"draft_id": draft_id, "key": key, "value_json": json.dumps(value),
                 "prefill": prefill, "answered_at": now}
                for key, value in answers.items()
            ])
            conn.execute(drafts.update().where(drafts.c.id == draft_id).values(updated_at=now))

    def draft_answers(self, draft_id: int) -> dict[str, DraftAnswer]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(draft_answers.c.key, draft_answers.c.value_json, draft_answers.c.prefill)
                .where(draft_answers.c.draft_id == draft_id)
            ).all()
        return {key: DraftAnswer(json.loads(value), bool(prefill)) for key, value, prefill in rows}

    def drafts(self, only_open: bool = True) -> list[Draft]:
        """Intakes, newest first; by default only the unfinished ones."""
        client_id = (
            sa.select(draft_answers.c.value_json)
            .where(draft_answers.c.draft_id == drafts.c.id, draft_answers.c.key == "client.id")
            .scalar_subquery()
        )
        answered = (
            sa.select(sa.func.count()).select_from(draft_answers)
            .where(draft_answers.c.draft_id == drafts.c.id, draft_answers.c.prefill.is_(False))
            .scalar_subquery()
        )
        query = sa.select(drafts, client_id.label("client_json"), answered.label("answered"))
        if only_open:
            query = query.where(drafts.c.status == "open")
        with self._read() as conn:
            rows = conn.execute(query.order_by(drafts.c.id.desc())).mappings().all()
        return [Draft(id=r["id"], created_at=r["created_at"], updated_at=r["updated_at"],
                      source=r["source"], status=r["status"],
                      client_id=json.loads(r["client_json"]) if r["client_json"] else None,
                      answered=r["answered"], assessment_id=r["assessment_id"]) for r in rows]

    def draft(self, draft_id: int) -> Draft | None:
        return next((d for d in self.drafts(only_open=False) if d.id == draft_id), None)

    def _finish_draft(self, conn: Connection, draft_id: int | None, assessment_id: int,
                      now: str) -> None:
        if draft_id is None:
            return
        done = conn.execute(
            drafts.update().where(drafts.c.id == draft_id, drafts.c.status == "open")
            .values(status="finished", assessment_id=assessment_id, updated_at=now)
        )
        if done.rowcount != 1:
            raise StoreError(f"{self.where}: intake {draft_id} is not open; nothing was written")


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("tripod_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def open_store(location: str | os.PathLike[str] | None = None,
               timeout: float = DEFAULT_TIMEOUT, *, read_only: bool = False,
               say: Callable[[str], object] | None = None) -> Store:
    """Open the store at ``location``, else ``TRIPOD_DB``, else the default; create, migrate.

    ``read_only`` (for commands that only read) opens an existing SQLite file with ``mode=ro``,
    so it reads on read-only media; ``say`` is given a line when an existing database file was
    open to others and has been made owner-only (``storage.store_files``).
    """
    return Store(location_url(location), timeout=timeout, read_only=read_only, say=say)


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested case document as ``{dotted.path: value}``; lists stay values."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


# Fields that say who and when, not what was observed: a change there is not a change in the client.
NOT_OBSERVED = ("format", "client.id", "client.name", "assessed_on", "practitioner", "notes")


def case_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Observations that differ between two case documents: (path, old, new); None: not assessed."""
    before, after = flatten(old), flatten(new)
    paths = [p for p in dict.fromkeys([*before, *after]) if p not in NOT_OBSERVED]
    return [(p, before.get(p), after.get(p)) for p in paths if before.get(p) != after.get(p)]
