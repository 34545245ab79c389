"""Opening the store: where the database is, its engine settings, its schema version.

SQLite is the default (a file per user, see default_path); PostgreSQL by URL. Every database is
checked before use: a file that is not ours, a damaged one, or one written by a newer toolkit
is refused with one line (StoreError), never changed. A new or older database is brought to
the current schema by the migrations shipped in the package (Alembic, run from code).
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

#: Alembic's version table, named for us: a database whose alembic belongs to someone else is not ours.
VERSION_TABLE = "pbp_schema_version"
#: The environment variable that names the database (a URL or an SQLite file path).
ENV = "PBP_DATABASE"
#: Seconds a writer waits for another writer before giving up (SQLite busy timeout).
BUSY_TIMEOUT = 60
#: pg_advisory_xact_lock key that serialises writers on PostgreSQL ("pbp" in ASCII).
PG_LOCK = 0x706270
SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(Exception):
    """The database cannot be used: one line that says which and why."""


def default_path() -> Path:
    """The default SQLite file: pbp-toolkit/portfolio.db in the user's data folder
    ($XDG_DATA_HOME or ~/.local/share on Linux, %LOCALAPPDATA% on Windows,
    ~/Library/Application Support on macOS)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "pbp-toolkit" / "portfolio.db"


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """The database URL for `db`: a URL as given, a file path as an SQLite URL; None means
    $PBP_DATABASE, else the default file (default_path)."""
    if db is None:
        db = os.environ.get(ENV) or None
    if db is None:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    value = os.fspath(db)
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def shown(url: str) -> str:
    """The URL as it may be printed (the password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_file(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        return None
    return Path(u.database)


def make_engine(url: str) -> Engine:
    """An engine with the store's settings: on SQLite, foreign keys on, WAL journal, a busy
    timeout, and writers that take the write lock when they begin (BEGIN IMMEDIATE), so two
    collects queue instead of failing half-way; on PostgreSQL, writers take an advisory lock."""
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.isolation_level = None   # transactions begin where we say (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT * 1000}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("pbp_write") else "BEGIN")

        return engine
    engine = create_engine(url, pool_pre_ping=True)
    if name == "postgresql":
        @event.listens_for(engine, "begin")
        def _pg_begin(conn: Connection) -> None:
            if conn.get_execution_options().get("pbp_write"):
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK})")
    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction holding the store's write lock: committed when the block ends,
    rolled back (nothing kept) when it raises."""
    with engine.connect() as conn:
        conn.execution_options(pbp_write=True)
        with conn.begin():
            yield conn


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def _known_revisions() -> tuple[set[str], str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    assert head is not None
    return {r.revision for r in script.walk_revisions()}, head


def schema_state(conn: Connection) -> str | None:
    """The database's schema revision; None when it is empty (a new database). StoreError when
    it holds tables that are not ours."""
    tables = set(inspect(conn).get_table_names())
    if VERSION_TABLE not in tables:
        if tables:
            listed = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
            raise StoreError(f"not a pbp-toolkit portfolio database: it holds other tables ({listed})")
        return None
    rows: list[str] = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all())
    return rows[0] if rows else None


def check_and_upgrade(engine: Engine, target: str = "head") -> None:
    """Refuse a database that is not ours or is newer than this toolkit; bring an older or
    empty one to `target` (the current schema by default) in one transaction."""
    from alembic import command

    known, head = _known_revisions()
    with engine.connect() as conn:
        state = schema_state(conn)
        conn.rollback()
    if state is not None and state not in known:
        raise StoreError(f"made by a newer version of pbp-toolkit (database schema {state}); "
                         "install that version or later to use it")
    if state == head and target == "head":
        return
    with writing(engine) as conn:
        state = schema_state(conn)      # again, under the write lock: another process may have done it
        if state == head and target == "head":
            return
        command.upgrade(_alembic_config(conn), target)


def _check_sqlite_file(path: Path) -> None:
    """Look at an existing SQLite file read-only, before the engine touches it (setting WAL
    rewrites its header): damaged, not ours and newer are refused with the file unchanged."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: the database file could not be opened ({exc})") from None
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise StoreError(f"{path}: the database file is damaged ({' '.join(str(verdict).split())[:200]}); nothing was changed")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and VERSION_TABLE not in tables:
            listed = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
            raise StoreError(f"{path}: not a pbp-toolkit portfolio database: it holds other tables ({listed}); nothing was changed")
        if VERSION_TABLE in tables:
            known, _ = _known_revisions()
            state = [r[0] for r in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
            if state and state[0] not in known:
                raise StoreError(f"{path}: made by a newer version of pbp-toolkit (database schema {state[0]}); "
                                 "install that version or later to use it")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the database file is damaged or not a database ({' '.join(str(exc).split())[:200]}); "
                         "nothing was changed") from None
    finally:
        conn.close()


def open_engine(url: str, upgrade: bool = True) -> Engine:
    """The engine for a checked database (see check_and_upgrade); StoreError, one line, otherwise."""
    where = shown(url)
    path = _sqlite_file(url)
    if path is not None and path.exists():
        if path.is_dir():
            raise StoreError(f"{path}: a folder, not a database file")
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise StoreError(f"{path}: not a pbp-toolkit portfolio database (not an SQLite database file); nothing was changed")
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"{where}: not a database URL this toolkit can use ({' '.join(str(exc).split())[:200]})") from None
    try:
        if path is not None and path.exists() and path.stat().st_size:
            _check_sqlite_file(path)
        if upgrade:
            check_and_upgrade(engine)
    except StoreError as exc:
        engine.dispose()
        msg = str(exc)
        raise StoreError(msg if msg.startswith(str(path)) and path else f"{where}: {msg}") from None
    except (DBAPIError, SQLAlchemyError) as exc:
        engine.dispose()
        orig = getattr(exc, "orig", None) or exc
        reason = " ".join(str(orig).split())[:200]
        if path is not None and ("not a database" in reason or "malformed" in reason):
            raise StoreError(f"{path}: the database file is damaged or not a database ({reason}); nothing was changed") from None
        raise StoreError(f"{where}: the database could not be used ({reason})") from None
    return engine
