"""Backup and restore of everything the platform needs: database, keys and media.

A backup is one ``.tar.gz`` file, readable by its owner only (0600), holding:

* ``manifest.json``: format, time, database vendor, the last migration of each app and the
  SHA-256 of every other member;
* ``db/hocvu.sqlite3`` (SQLite's online backup API: a consistent copy while the platform
  runs) or ``db/postgres.dump`` (``pg_dump --format=custom``);
* ``keys.json``: the secret key, the field encryption keys and the blind-index key in force
  (without them encrypted ID numbers and the certificate signing keys cannot be read);
* ``media/``: uploaded files (lecture recordings and their renditions).

Restoring checks the manifest and every checksum, refuses another database vendor, refuses
to overwrite a database that holds people unless forced, then restores the database and the
media. Keys: when the running configuration already has the backup's keys nothing is
written; otherwise they are written to ``restored-keys.env`` (and to the development key
files under ``var/`` when the keys come from there) and the platform must be started with
them before the checks can pass. The drill then verifies every issued certificate (its
signature, JWT and status) and the hash chains of the audit log, and decrypts every
signing key.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
SQLITE_MEMBER = "db/hocvu.sqlite3"
POSTGRES_MEMBER = "db/postgres.dump"


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keys_in_force() -> dict[str, Any]:
    return {
        "secret_key": settings.SECRET_KEY,
        "field_encryption_keys": list(settings.FIELD_ENCRYPTION_KEYS),
        "blind_index_key": settings.BLIND_INDEX_KEY,
    }


def _migrations() -> dict[str, str]:
    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).migration_qs.values_list("app", "name"):
        last[app] = max(last.get(app, ""), name)
    return dict(sorted(last.items()))


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)")
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments from the settings  # nosec B603
        [tool, *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _dump_database(target: Path) -> str:
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        return SQLITE_MEMBER
    if vendor == "postgresql":
        args, env = _pg_env()
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(target), *args],
            env,
        )
        return POSTGRES_MEMBER
    raise BackupError(f"no backup for the {vendor} database")


@contextmanager
def _private_umask() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_backup(destination: Path) -> dict[str, Any]:
    """Write the backup archive to ``destination`` (0600); return its manifest."""
    with _private_umask(), tempfile.TemporaryDirectory(prefix="hocvu-backup-") as work:
        root = Path(work)
        (root / "db").mkdir()
        member = _dump_database(root / "db" / "dump")
        (root / "db" / "dump").rename(root / member)
        (root / "keys.json").write_text(json.dumps(keys_in_force(), indent=1), encoding="utf-8")
        media = Path(settings.MEDIA_ROOT)
        files: dict[str, str] = {}
        names = [member, "keys.json"]
        if media.is_dir():
            for path in sorted(media.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    names.append(str(PurePosixPath("media", *path.relative_to(media).parts)))
        for name in names:
            source = root / name if not name.startswith("media/") else media / name[6:]
            files[name] = _sha256(source)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "vendor": connection.vendor,
            "database": member,
            "migrations": _migrations(),
            "files": files,
        }
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode, info.mtime = len(data), 0o600, int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            for name in names:
                source = root / name if not name.startswith("media/") else media / name[6:]
                archive.add(source, arcname=name, recursive=False)
        partial.chmod(0o600)
        partial.replace(destination)
    return manifest


@dataclass
class Restored:
    manifest: dict[str, Any]
    keys_match: bool
    keys_written: list[Path] = field(default_factory=list)


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        handle = archive.extractfile("manifest.json")
    except KeyError:
        raise BackupError("not a hocvu backup: no manifest.json") from None
    if handle is None:
        raise BackupError("not a hocvu backup: manifest.json is not a file")
    manifest: dict[str, Any] = json.loads(handle.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    return manifest


def _holds_people() -> bool:
    from hocvu.identity.models import User

    try:
        return User.objects.exists()
    except Exception:  # no tables yet: an empty database
        return False


def _restore_database(manifest: dict[str, Any], dump: Path) -> None:
    vendor = manifest["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"the backup is of a {vendor} database; this platform runs on {connection.vendor}"
        )
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
    args, env = _pg_env()
    connection.close()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            *args,
            str(dump),
        ],
        env,
    )


def _write_keys(keys: dict[str, Any]) -> list[Path]:
    """The backup's keys where an operator (or a restart) finds them, owner-only."""
    var = Path(settings.VAR_DIR)
    var.mkdir(mode=0o700, parents=True, exist_ok=True)
    written: list[Path] = []
    env_file = var / "restored-keys.env"
    lines = [
        f"HOCVU_SECRET_KEY={keys['secret_key']}",
        f"HOCVU_FIELD_ENCRYPTION_KEYS={','.join(keys['field_encryption_keys'])}",
        f"HOCVU_BLIND_INDEX_KEY={keys['blind_index_key']}",
    ]
    with _private_umask():
        env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(env_file)
        # The development key files, used when the variables are not set.
        if (
            not os.environ.get("HOCVU_FIELD_ENCRYPTION_KEYS")
            and len(keys["field_encryption_keys"]) == 1
        ):
            for name, value in (
                ("secret_key", keys["secret_key"]),
                ("field_key", keys["field_encryption_keys"][0]),
                ("blind_index_key", keys["blind_index_key"]),
            ):
                (var / name).write_text(value, encoding="utf-8")
                written.append(var / name)
    for path in written:
        path.chmod(0o600)
    return written


def restore_backup(source: Path, *, force: bool = False) -> Restored:
    """Restore database, media and keys from ``source`` (see the module documentation)."""
    with (
        tempfile.TemporaryDirectory(prefix="hocvu-restore-") as work,
        tarfile.open(source, "r:gz") as archive,
    ):
        manifest = _read_manifest(archive)
        expected = dict(manifest["files"])
        root = Path(work)
        with _private_umask():
            for member in archive.getmembers():
                if member.name == "manifest.json":
                    continue
                if member.name not in expected or not member.isfile():
                    raise BackupError(f"unexpected member {member.name!r} in the backup")
                archive.extract(member, root, filter="data")
        for name, digest in expected.items():
            path = root / name
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(f"{name} is missing or damaged (checksum differs)")
        if manifest["vendor"] != connection.vendor:
            raise BackupError(
                f"the backup is of a {manifest['vendor']} database;"
                f" this platform runs on {connection.vendor}"
            )
        if _holds_people() and not force:
            raise BackupError("the database already holds people: restore with --force")
        _restore_database(manifest, root / manifest["database"])
        media = Path(settings.MEDIA_ROOT)
        with _private_umask():
            for name in expected:
                if name.startswith("media/"):
                    target = media.joinpath(*PurePosixPath(name).parts[1:])
                    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    shutil.copyfile(root / name, target)
                    target.chmod(0o600)
        keys = json.loads((root / "keys.json").read_text(encoding="utf-8"))
    match = keys == keys_in_force()
    return Restored(
        manifest=manifest, keys_match=match, keys_written=[] if match else _write_keys(keys)
    )


@dataclass
class DrillReport:
    certificates: int = 0
    audit_events: int = 0
    signing_keys: int = 0
    problems: list[str] = field(default_factory=list)


def drill() -> DrillReport:
    """Check what a restore must bring back: every certificate verifies with its expected
    status, the audit chains hold, every signing key decrypts with the keys in force."""
    from hocvu.audit.models import AuditEvent
    from hocvu.audit.services import verify_chain
    from hocvu.credentials import services as credentials
    from hocvu.credentials.models import Credential, IssuerKey

    report = DrillReport()
    now = timezone.now()
    for credential in Credential.objects.order_by("issued_at", "pk").iterator():
        expected = "valid"
        if credential.revoked_at is not None:
            expected = "revoked"
        elif credential.valid_until is not None and credential.valid_until <= now:
            expected = "expired"
        verdict = credentials.verify(str(credential.pk))
        report.certificates += 1
        if verdict.status != expected:
            report.problems.append(
                f"certificate {credential.pk}: {verdict.status} ({verdict.reason}),"
                f" expected {expected}"
            )
    for key in IssuerKey.objects.order_by("pk"):
        report.signing_keys += 1
        try:
            credentials._private_key(key)
        except Exception as exc:  # a wrong field key: the signing key cannot be read
            report.problems.append(f"signing key {key.key_id}: {type(exc).__name__}")
    broken = verify_chain()
    report.audit_events = AuditEvent.objects.count()
    if broken is not None:
        report.problems.append(f"audit chain broken at event seq={broken}")
    return report
