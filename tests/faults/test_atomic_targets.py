"""What stands where an atomic writer (rnnlab/core/files.py) puts its output: a folder where a
file goes, a file where a folder goes (the output's or one of its parents), a link. A user's
file or folder in the way is named in one line and kept; a link is replaced, never followed.
"""

from __future__ import annotations

import os
import stat

import pytest
from faultkit import leftovers, snapshot

from rnnlab.core.errors import DataError
from rnnlab.core.files import atomic_dir, atomic_path, write_text


def test_a_folder_where_a_file_goes_is_named_and_kept(tmp_path):
    (tmp_path / "out.json").mkdir()
    (tmp_path / "out.json" / "mine").write_text("a user's file")
    before = snapshot(tmp_path)
    with pytest.raises(DataError, match=r"out.json: is a folder, expected a file \(remove it, "
                                        r"then run again\)$"):
        write_text(tmp_path / "out.json", "{}")
    assert snapshot(tmp_path) == before


def test_a_file_where_a_folder_goes_is_named_and_kept(tmp_path):
    (tmp_path / "out").write_text("a user's file")
    with pytest.raises(DataError, match=r"out: is a file, expected a folder \(remove it, then "
                                        r"run again\)$"), atomic_dir(tmp_path / "out"):
        pytest.fail("the block ran")
    assert (tmp_path / "out").read_text() == "a user's file" and leftovers(tmp_path) == []


@pytest.mark.parametrize("writer", [atomic_path, atomic_dir])
def test_a_file_where_a_parent_folder_goes_is_named(tmp_path, writer):
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(DataError, match=rf"^{tmp_path / 'data'}: is a file, expected a folder"), \
            writer(tmp_path / "data" / "params" / "x"):
        pytest.fail("the block ran")
    assert (tmp_path / "data").read_text() == "not a folder"


def test_a_link_to_a_folder_is_replaced_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kept").write_text("not the writer's")
    (tmp_path / "out").symlink_to(elsewhere)
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "new").write_text("written")
    assert not (tmp_path / "out").is_symlink() and os.listdir(tmp_path / "out") == ["new"]
    assert (elsewhere / "kept").read_text() == "not the writer's" and leftovers(tmp_path) == []


def test_outputs_get_the_modes_any_new_file_gets(tmp_path):
    """Not mkstemp's 0600 and mkdtemp's 0700, which made outputs private to their writer."""
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.json", "{}")
        with atomic_dir(tmp_path / "folder") as tmp:
            (tmp / "x").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755
