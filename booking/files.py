"""Files and folders the app creates hold patients' details: readable by their owner only."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_folder(path: str | Path) -> Path:
    """Create the folder (and parents) if needed; ours, it is made 0700 even if it was not."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _owner_only(path, 0o700)
    return path


def private_files(*paths: str | Path) -> None:
    """Make those of the files that exist and are ours 0600."""
    for path in paths:
        _owner_only(Path(path), 0o600)


def _owner_only(path: Path, mode: int) -> None:
    # Missing, or someone else's (a deployment sharing it on purpose): leave it be.
    with contextlib.suppress(OSError):
        if path.stat().st_uid == os.geteuid() and path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
