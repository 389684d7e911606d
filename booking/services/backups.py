"""Backups of the live database, and restoring one: SQLite's online backup API or pg_dump.

A backup is one file named by the UTC time it was taken, `booking-YYYYMMDDTHHMMSSZ`
with `.sqlite3` or `.dump` (pg_dump's custom format), and beside it `<file>.sha256` in
`sha256sum` format, so `sha256sum -c` checks a copy anywhere. The schema version (the
Alembic revision) is read from inside the backup itself, so the checksum covers it.
Both engines copy one consistent snapshot while the site goes on serving: SQLite's
backup API copies every page in one step under a read transaction (in WAL mode writers
carry on), pg_dump reads in one repeatable-read transaction.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from booking.errors import ClinicError
from booking.extensions import db, migrate

SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
NAME = re.compile(r"^booking-\d{8}T\d{6}Z\.(sqlite3|dump)$")
# Tables that only a clinic in use has rows in: a fresh init-db and seed-demo leaves them
# empty, so restoring over such a database needs no --force.
IN_USE_TABLES = ("booking", "patient", "staff_user")
# libpq reads these from the environment, so no password is ever on a command line.
LIBPQ_QUERY = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(ClinicError):
    """A backup or restore that cannot be made, with what to do about it."""

    code = "backup"


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    sha256: str
    revision: str | None
    kept: int


@dataclass(frozen=True)
class Restored:
    path: Path
    revision: str
    database: str  # the target's URL, password hidden
    bookings: int


def backup(to_dir: Path, keep: int = 14, now: datetime | None = None) -> Backup:
    """Copy the live database into to_dir, checksum it, and keep only the newest `keep`."""
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    engine = _engine_name()
    to_dir = _backup_dir(Path(to_dir))
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = to_dir / f"booking-{stamp}{SUFFIXES[engine]}"
    if path.exists():
        raise BackupError(f"{path} already exists: a backup was taken this second.")
    partial = to_dir / f".{path.name}.partial"
    try:
        _create_private(partial)
        _COPY[engine](partial)
        digest = _sha256(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    _write_private(Path(f"{path}.sha256"), f"{digest}  {path.name}\n")
    kept = _prune(to_dir, keep, path)
    return Backup(path, path.stat().st_size, digest, _live_revision(), kept)


def restore(file: Path, force: bool = False) -> Restored:
    """Check a backup's checksum and schema version, then copy it over the configured database."""
    file = Path(file)
    engine = _engine_name()
    _check_kind(file, engine)
    _verify_checksum(file)
    revision = _READ_REVISION[engine](file)
    _check_revision(revision)
    if not force and _holds_data():
        raise BackupError(
            f"{_target()} already holds bookings, patients or staff accounts. Restoring "
            "would replace them: add --force if that is what you want."
        )
    db.session.remove()
    db.engine.dispose()
    _RESTORE[engine](file)
    db.engine.dispose()
    bookings = db.session.execute(text("SELECT count(*) FROM booking")).scalar_one()
    db.session.remove()
    return Restored(file, revision, _target(), bookings)


def head_revision() -> str:
    """The schema version this copy of the app's migrations ends at."""
    heads = ScriptDirectory.from_config(migrate.get_config()).get_heads()
    return heads[0] if len(heads) == 1 else ",".join(sorted(heads))


# --- engines ---------------------------------------------------------------------------


def _engine_name() -> str:
    name = db.engine.dialect.name
    if name not in SUFFIXES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def _target() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if database in (None, "", ":memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_copy(partial: Path) -> None:
    source_path = _sqlite_path()
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path}: nothing to back up.")
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(partial)
    try:
        # One step (pages=-1): the whole file from one read snapshot.
        source.backup(target)
        # A file that stands alone: no -wal beside it to lose when it is copied.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _sqlite_restore(file: Path) -> None:
    target_path = _sqlite_path()
    if not target_path.exists():
        _create_private(target_path)
    source = _sqlite_readonly(file)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)
        verdict = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if verdict != "ok":
        raise BackupError(f"The restored database fails its integrity check: {verdict}")


def _sqlite_readonly(file: Path) -> sqlite3.Connection:
    return sqlite3.connect(file.resolve().as_uri() + "?mode=ro", uri=True)


def _sqlite_revision(file: Path) -> str | None:
    connection = _sqlite_readonly(file)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except (sqlite3.DatabaseError, TypeError):
        return None
    finally:
        connection.close()


def _postgres_copy(partial: Path) -> None:
    with partial.open("wb") as out:  # truncating keeps the file's 0600
        _run(["pg_dump", "--format=custom", "--no-owner"], stdout=out)


def _postgres_restore(file: Path) -> None:
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={db.engine.url.database}",
            str(file),
        ],
        stdout=subprocess.DEVNULL,
    )


def _postgres_revision(file: Path) -> str | None:
    """The alembic_version row, read from the dump's data section by pg_restore."""
    listing = _run(
        ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(file)],
        stdout=subprocess.PIPE,
    )
    lines = listing.decode().splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(lines):
            value = lines[number + 1]
            return None if value == "\\." else value.strip()
    return None


def _run(command: list[str], stdout) -> bytes | None:
    program = command[0]
    if shutil.which(program) is None:
        raise BackupError(
            f"{program} is not installed, so the PostgreSQL database cannot be backed up "
            "or restored: install the PostgreSQL client tools (Debian and Ubuntu: "
            "apt-get install postgresql-client), at least the server's version."
        )
    done = subprocess.run(  # noqa: S603 - a fixed program; the URL's parts go in the environment
        command, stdout=stdout, stderr=subprocess.PIPE, env=_libpq_env(db.engine.url), check=False
    )
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise BackupError(f"{program} failed: " + " / ".join(said))
    return done.stdout


def _libpq_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    given = {
        "PGHOST": url.host,
        "PGPORT": url.port,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    for key, value in url.query.items():
        if key in LIBPQ_QUERY:
            given[LIBPQ_QUERY[key]] = value if isinstance(value, str) else value[-1]
    env.update({name: str(value) for name, value in given.items() if value is not None})
    return env


_COPY = {"sqlite": _sqlite_copy, "postgresql": _postgres_copy}
_RESTORE = {"sqlite": _sqlite_restore, "postgresql": _postgres_restore}
_READ_REVISION = {"sqlite": _sqlite_revision, "postgresql": _postgres_revision}


# --- files -----------------------------------------------------------------------------


def _backup_dir(path: Path) -> Path:
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
    elif not path.is_dir():
        raise BackupError(f"{path} is not a directory.")
    return path


def _create_private(path: Path) -> None:
    """A new, empty file only its owner can read (refused if the name is taken)."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _write_private(path: Path, content: str) -> None:
    path.unlink(missing_ok=True)
    _create_private(path)
    path.write_text(content)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _prune(to_dir: Path, keep: int, newest: Path) -> int:
    """Remove all but the newest `keep` backups this command made (and their checksums)."""
    others = sorted(
        (p for p in to_dir.iterdir() if NAME.match(p.name) and p != newest),
        key=lambda p: p.name,
        reverse=True,
    )
    for old in others[keep - 1 :]:
        old.unlink()
        Path(f"{old}.sha256").unlink(missing_ok=True)
    return min(len(others), keep - 1) + 1


# --- checks before a restore -----------------------------------------------------------


def _check_kind(file: Path, engine: str) -> None:
    if not file.is_file():
        raise BackupError(f"There is no backup at {file}.")
    kind = next((name for name, suffix in SUFFIXES.items() if file.suffix == suffix), None)
    if kind is None:
        raise BackupError(f"{file.name} is not a backup this command made (.sqlite3 or .dump).")
    if kind != engine:
        raise BackupError(
            f"{file.name} is a {kind} backup but the app is configured for {engine} ({_target()})."
        )


def _verify_checksum(file: Path) -> None:
    checksum = Path(f"{file}.sha256")
    if not checksum.is_file():
        raise BackupError(f"{checksum.name} is missing: the backup cannot be checked.")
    expected = checksum.read_text().split()[:1]
    if expected != [_sha256(file)]:
        raise BackupError(
            f"{file.name} does not match its checksum in {checksum.name}: it is damaged or "
            "was changed. Restore another backup."
        )


def _check_revision(revision: str | None) -> None:
    head = head_revision()
    if revision == head:
        return
    raise BackupError(
        f"The backup's schema version is {revision or 'unknown'} but this app's is {head}. "
        "Restore it with the version of the app that made it (then run flask db upgrade "
        "to bring it up to date), or restore a backup made by this version."
    )


def _holds_data() -> bool:
    tables = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        for table in IN_USE_TABLES:
            if (
                table in tables
                and connection.execute(
                    text(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - names from IN_USE_TABLES
                ).first()
            ):
                return True
    return False


def _live_revision() -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
