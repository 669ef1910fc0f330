"""The one atomic writer replaces only a regular file, and a killed writer's leftovers are found by
name. FIFOs and device nodes are made in tmp_path: never /dev/null or /dev/full, which a rename
would replace for the whole machine."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.safe_output import (
    NotRegularFile,
    remove_leftovers,
    temporary_file,
    tighten,
    write_atomic,
)


def device(path: Path) -> Path:
    """A character device like /dev/full (1, 7), made in a temporary folder."""
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path, 0o600)
    return path


@pytest.mark.parametrize("make", [fifo, device], ids=["fifo", "device"])
def test_write_atomic_refuses_a_target_that_is_not_a_regular_file(tmp_path: Path, make) -> None:
    target = make(tmp_path / "out.pdf")
    with pytest.raises(NotRegularFile) as raised:
        write_atomic(target, b"%PDF")
    assert raised.value.strerror.startswith("is a ")
    assert not stat.S_ISREG(os.lstat(target).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]  # no temporary file left


def test_write_atomic_refuses_a_symlink_to_a_fifo(tmp_path: Path) -> None:
    target = fifo(tmp_path / "pipe")
    link = tmp_path / "out.html"
    link.symlink_to(target)
    with pytest.raises(NotRegularFile):
        write_atomic(link, "<html>")
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)


def test_write_atomic_still_replaces_a_regular_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"


def test_leftovers_of_a_killed_writer_are_removed_by_their_name_only(tmp_path: Path) -> None:
    fd, left = temporary_file(tmp_path / "summary.csv")
    os.close(fd)
    other = tmp_path / ".notes.txt.abcdefgh.tmp"
    other.write_text("not ours")
    kept = tmp_path / "summary.csv"
    kept.write_text("done")
    removed = remove_leftovers(tmp_path, lambda name: name == "summary.csv")
    assert removed == [Path(left).name]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.txt.abcdefgh.tmp", "summary.csv"]


def test_tighten_narrows_wider_permissions_and_says_so_once(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    line = tighten(folder, 0o700)
    assert line == f"{folder}: permissions were 0755; now 0700 (patient data is for its owner only)"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert tighten(folder, 0o700) is None
