"""knowledge/catalog_cache.py: a catalog checked once is kept in the user's cache folder, and only
saves time. It is never stale, never another user's, never patient data, and never a failure."""

from __future__ import annotations

import os
import pickle
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from knowledge import catalog_cache
from knowledge.catalog import _FILES, _raw, build, catalog, load_data
from tests.conftest import EXAMPLES

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
MARKER = "ZZCACHEMARKER"


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (``$XDG_CACHE_HOME``)."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def raws() -> dict[str, bytes]:
    return {name: _raw(name) for name in _FILES}


def kept_files(home: Path) -> list[Path]:
    return sorted((home / "tripod").glob("catalog-*.pickle"))


def fresh_catalog() -> object:
    """catalog() as a new process runs it (its once-per-process memo left aside)."""
    return catalog.__wrapped__()  # type: ignore[attr-defined]


def test_a_kept_catalog_is_the_one_the_files_give_and_is_owner_only(cache_home: Path) -> None:
    first = fresh_catalog()
    [kept] = kept_files(cache_home)
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache_home / "tripod").st_mode) == 0o700
    again = fresh_catalog()
    assert again == first == build(load_data())
    assert again.version == catalog().version


def test_a_changed_knowledge_file_or_model_is_a_new_key() -> None:
    files = raws()
    changed = dict(files, thresholds=files["thresholds"] + b"\n# a comment changes the bytes\n")
    assert catalog_cache.key(files) == catalog_cache.key(raws())
    assert catalog_cache.key(changed) != catalog_cache.key(files)


def test_a_kept_catalog_of_other_knowledge_is_never_served(cache_home: Path) -> None:
    """Even planted under today's key, a catalog whose version is not the files' is read again."""
    fresh_catalog()
    [kept] = kept_files(cache_home)
    other = build(load_data()).model_copy(update={"version": "kb-000000000000"})
    kept.write_bytes(pickle.dumps(other))
    assert fresh_catalog().version == catalog().version
    assert pickle.loads(kept.read_bytes()).version == catalog().version


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_damaged_kept_catalog_is_passed_over_and_replaced(cache_home: Path, damage: bytes) -> None:
    fresh_catalog()
    [kept] = kept_files(cache_home)
    kept.write_bytes(damage)
    assert fresh_catalog() == catalog()
    assert pickle.loads(kept.read_bytes()) == catalog()


def test_a_cache_folder_open_to_others_is_not_used(cache_home: Path) -> None:
    folder = cache_home / "tripod"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    assert fresh_catalog() == catalog()
    assert kept_files(cache_home) == []


def test_a_kept_file_open_to_others_or_a_link_is_not_read(cache_home: Path, tmp_path: Path) -> None:
    fresh_catalog()
    [kept] = kept_files(cache_home)
    key = kept.name.removeprefix("catalog-").removesuffix(".pickle")
    kept.chmod(0o666)
    assert catalog_cache.load(key) is None
    elsewhere = tmp_path / "elsewhere.pickle"
    kept.chmod(0o600)
    kept.rename(elsewhere)
    kept.symlink_to(elsewhere)
    assert catalog_cache.load(key) is None
    assert fresh_catalog() == catalog()


def test_no_cache_folder_at_all_still_gives_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    assert fresh_catalog() == catalog()
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert fresh_catalog() == catalog()


@pytest.mark.slow
def test_tripod_assess_keeps_the_knowledge_and_nothing_of_the_case(
    tmp_path: Path, classic_doc: dict[str, object]
) -> None:
    """Run as a real process twice (the second from the cache): the same output, and the cache
    folder holds no word of the case."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    classic_doc["client"]["name"] = f"Sam {MARKER}"  # type: ignore[index]
    classic_doc["notes"] = f"Told me {MARKER}"
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(classic_doc, sort_keys=False))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [subprocess.run([exe, "assess", str(case), "--format", "json"], check=True,
                           capture_output=True, text=True, timeout=120, env=env)
            for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr == ""
    kept = list((tmp_path / "cache").rglob("*"))
    assert kept
    for path in kept:
        assert path.is_dir() or MARKER.encode() not in path.read_bytes()
