"""One open database: its engine, its file, its migrations, its transactions and its errors.

The only code that talks to a database is here and in the two repositories built on it
(``storage/assessments.py``, ``storage/drafts.py``). Every database failure (not a database, someone
else's tables, locked, disk full) becomes a :class:`~engine.errors.StoreError` with one readable
line, and every write runs in one transaction, so a failure leaves no half-written record. Error
messages never carry SQL parameters: they would be patient data.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

from engine.errors import StoreError
from storage import schema
from storage.safe_output import make_private_folder
from storage.store_files import read_only_connector, tighten_database
from storage.store_location import ENV

DEFAULT_TIMEOUT = 5.0


class Database:
    """An open database: opening, migrating, transactions, and every database failure as one
    :class:`StoreError` line. The repositories (:mod:`storage.assessments`, :mod:`storage.drafts`)
    build on it; :class:`storage.store.Store` is both."""

    def __init__(self, url: URL, timeout: float = DEFAULT_TIMEOUT, *, read_only: bool = False,
                 say: Callable[[str], object] | None = None) -> None:
        self.url = url
        self.timeout = timeout
        sqlite = url.get_backend_name() == "sqlite"
        self.path = Path(url.database) if sqlite and url.database else None
        # A command that only reads never makes a store: a mistyped path is not an empty store.
        self.reading = read_only
        # It opens an existing SQLite file read-only (mode=ro) where the file cannot be written
        # (read-only media); where it can, it opens as usual, so what it views is audited.
        self.read_only = read_only and self.path is not None and self.path.is_file() and not (
            os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK | os.X_OK))
        self.created = False
        self.say = say
        self.where = f"database {self.path}" if self.path else (
            f"database {url.render_as_string(hide_password=True)}")
        self.engine = self._create_engine()
        try:
            self._open()
        except BaseException:
            self.engine.dispose()  # a refused store leaves no connection open behind it
            raise

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
        except (NoSuchModuleError, ModuleNotFoundError):
            raise StoreError(f"{self.where}: no database driver for {self.url.drivername!r}; "
                             "allowed sqlite, or postgresql with psycopg 3 (postgresql+psycopg)"
                             ) from None
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
        if self.path is not None and self.reading and not self.path.exists():
            raise StoreError(self._no_store())
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

    def _no_store(self) -> str:
        return (f"{self.where}: no record store there; allowed the location of an existing store "
                f"(check --db or {ENV}); a command that stores (tripod assess --store, tripod "
                "intake) makes a new one")

    def _migrate(self) -> None:
        # Look first without the write lock: an up-to-date database opens even while another
        # process is writing to it. Then migrate under the lock, looking again.
        with self.engine.connect() as conn, conn.begin():
            current = self._schema_version(conn)
        if current == schema.SCHEMA_VERSION:
            return
        if current == 0 and self.reading:
            raise StoreError(self._no_store())
        if self.read_only:
            raise StoreError(f"{self.where}: schema version {current} must be upgraded to "
                             f"{schema.SCHEMA_VERSION}, which cannot be done where it cannot be "
                             "written; open it once with Tripod where it can")
        from storage import migrations  # Alembic: loaded only when there is something to do

        with self._write() as conn:
            if conn.dialect.name == "postgresql":  # one migrating process at a time
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(2026111901)"))
            current = self._schema_version(conn)
            if current < schema.SCHEMA_VERSION:
                migrations.upgrade(conn, current)
        if current == 0:
            self.created = True
            if self.say is not None:
                from knowledge.catalog import messages

                self.say(messages().say("clinic.store_created", where=self.where))

    def _schema_version(self, conn: Connection) -> int:
        """The schema version of this database (0 when empty); refuses a foreign or newer one."""
        tables = set(sa.inspect(conn).get_table_names())
        if tables and schema.SCHEMA_TABLE not in tables:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(f"{self.where}: holds tables Tripod does not know ({shown}); "
                             f"allowed a Tripod database, or a new path given with --db or {ENV}")
        if not tables:
            return 0
        current: int = conn.execute(sa.select(sa.func.max(schema.schema_versions.c.version))).scalar() or 0
        if "tripod_revision" in tables:
            revision = conn.execute(sa.text("SELECT version_num FROM tripod_revision")).scalar()
            current = max(current, int(revision) if revision and revision.isdigit() else 10**6)
        if current > schema.SCHEMA_VERSION:
            newer = str(current) if current < 10**6 else "unknown"
            raise StoreError(f"{self.where}: schema version {newer} is newer than this Tripod "
                             f"knows ({schema.SCHEMA_VERSION}); upgrade Tripod to open it")
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
        if self.url.password:  # a driver may quote its connection settings
            detail = detail.replace(str(self.url.password), "***")
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
        if "password authentication failed" in lowered or "authentication" in lowered:
            return (f"{self.where}: the server refused the login ({detail}); allowed a user and "
                    "password the server accepts")
        if "connection" in lowered and ("refused" in lowered or "failed" in lowered
                                        or "timeout" in lowered or "resolve" in lowered):
            return (f"{self.where}: cannot be reached ({detail}); allowed a running PostgreSQL "
                    "server at that host and port")
        if "unable to open" in lowered:
            return f"{self.where}: cannot be opened ({detail}); allowed a readable, writable path"
        return f"{self.where}: database error ({detail})"


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("tripod_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

