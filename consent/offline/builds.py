"""``verify-export --builds DIR``: every receipt's banner build is one of the downloaded builds.

The service publishes every build of the banner code it has served (``GET /embed/builds``,
``GET /embed/builds/<build>.js``); a build is the SHA-256 hex of its code. An auditor keeps
those files in a folder, named ``<build>.js`` as served; here each file must hash to its
name, and each receipt's ``banner_build`` must be one of them. Receipts made before the
field existed name no build: counted, not a failure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class BuildTally:
    """The builds an export's receipts name, as it is read: each with its first seq and how
    many receipts name it; and how many name none."""

    def __init__(self) -> None:
        self.without = 0
        self.named: dict[str, list[int]] = {}  # build → [first seq, receipts]

    def add(self, seq: int, build: str | None) -> None:
        """Count one receipt (in export order)."""
        if build is None:
            self.without += 1
            return
        seen = self.named.get(build)
        if seen is None:
            self.named[build] = [seq, 1]
        else:
            seen[1] += 1


@dataclass(frozen=True)
class BuildFiles:
    """A folder of downloaded builds: the builds whose file hashes to its name, and the
    files that do not (name, actual SHA-256)."""

    folder: str
    builds: frozenset[str]
    mismatched: tuple[tuple[str, str], ...] = ()


def read_builds(folder: str | Path) -> BuildFiles:
    """Hash every ``*.js`` file in ``folder``; ``OSError`` when it cannot be read."""
    path = Path(folder)
    if not path.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder of builds")
    good: set[str] = set()
    bad: list[tuple[str, str]] = []
    for file in sorted(path.glob("*.js")):
        if not file.is_file():
            continue
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if file.name == f"{digest}.js":
            good.add(digest)
        else:
            bad.append((file.name, digest))
    return BuildFiles(str(folder), frozenset(good), tuple(bad))


@dataclass(frozen=True)
class BuildsCheck:
    """What ``--builds`` found: receipts with a build present, without a build, and the
    builds named but missing (build, first seq, receipts), in order of first seq."""

    files: BuildFiles
    with_build: int
    without_build: int
    missing: tuple[tuple[str, int, int], ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Every build named is in the folder, and every file there hashes to its name."""
        return not self.missing and not self.files.mismatched

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape."""
        return {
            "folder": self.files.folder,
            "files": len(self.files.builds),
            "receipts_with_build": self.with_build,
            "receipts_without_build": self.without_build,
            "missing": [
                {"build": build, "first_seq": seq, "receipts": count}
                for build, seq, count in self.missing
            ],
            "mismatched_files": [
                {"file": name, "sha256": digest} for name, digest in self.files.mismatched
            ],
        }

    def lines(self) -> list[str]:
        """Human-readable lines: each problem, then the counts."""
        folder = self.files.folder
        out = [
            f"build {build} is not in {folder}: {count} receipt(s) name it, the first at seq {seq}"
            for build, seq, count in self.missing
        ]
        out += [
            f"{folder}/{name} does not hash to its name (its SHA-256 is {digest})"
            for name, digest in self.files.mismatched
        ]
        out.append(
            f"builds: {self.with_build} receipt(s) name a build found in {folder} "
            f"({len(self.files.builds)} file(s) hashing to their names); "
            f"{self.without_build} receipt(s) name no build (made before receipts recorded "
            "builds, or not by the banner)"
        )
        return out


def check_builds(tally: BuildTally, files: BuildFiles) -> BuildsCheck:
    """Hold the builds an export names against the folder's."""
    missing = sorted(
        ((build, seq, count) for build, (seq, count) in tally.named.items()
         if build not in files.builds),
        key=lambda item: item[1],
    )  # fmt: skip
    present = sum(count for build, (_seq, count) in tally.named.items() if build in files.builds)
    return BuildsCheck(files, present, tally.without, tuple(missing))
