"""The instance's log key is created once and shared by every worker of the instance, even
when they start at the same moment."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from consent.core import notes
from consent.ledger import log_keys


def test_workers_starting_together_share_one_whole_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = notes.generate_signer_key

    def generate(name: str) -> tuple[str, str]:
        time.sleep(0.2)  # widen the window in which a worker could find a half-made file
        return slow(name)

    monkeypatch.setattr(log_keys, "generate_signer_key", generate)
    found: list[str] = []
    failed: list[BaseException] = []

    def start() -> None:
        try:
            signer, _older = log_keys._instance_key(tmp_path, "consent.example")
            found.append(signer.verifier.vkey)
        except BaseException as error:  # a worker that could not start
            failed.append(error)

    workers = [threading.Thread(target=start) for _ in range(4)]
    for worker in workers:
        worker.start()
        time.sleep(0.05)  # each finds the file being made by the first
    for worker in workers:
        worker.join()
    assert failed == []
    assert len(set(found)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["consent.example.key"]
    assert (tmp_path / "consent.example.key").stat().st_mode & 0o777 == 0o600
