"""The README's numbers are the pipeline's: its one results table is what the summary stage
writes from metrics/, and no results row lives outside it."""

import json

import pytest
from conftest import ROOT

from rnnlab.core.errors import DataError
from rnnlab.report.summary import README_BEGIN, README_END, readme_block, with_readme_block

README = ROOT / "README.md"


def resolved_params() -> dict:
    """What the params stage writes to data/params/, computed from params.yaml in-process (CI's
    fresh clone has no data/)."""
    from rnnlab.core.params import resolved
    from rnnlab.sections import load_all_params

    return json.loads(json.dumps({section: {name: resolved(entry) for name, entry in
                                            entries.items()}
                                  for section, entries in load_all_params().items()}))


@pytest.fixture(scope="module")
def expected():
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)  # metrics/ paths are relative to the repository root, as in a stage
    try:
        return readme_block(resolved_params())
    finally:
        os.chdir(cwd)


def test_the_readme_results_block_is_what_the_summary_stage_writes(expected):
    text = README.read_text(encoding="utf-8")
    assert with_readme_block(text, expected, "README.md") == text, \
        "README.md's results block differs from metrics/: run `dvc repro summary`"


def test_a_number_changed_by_hand_is_caught(expected):
    text = README.read_text(encoding="utf-8")
    begin = text.index(README_BEGIN)
    bold = text.index("**", begin) + 2
    digit = next(i for i in range(bold, len(text)) if text[i].isdigit())
    changed = text[:digit] + str((int(text[digit]) + 1) % 10) + text[digit + 1:]
    assert with_readme_block(changed, expected, "README.md") != changed


def test_no_results_row_outside_the_block():
    """A table row that starts with a task name (as the results rows do) sits inside the block."""
    tasks = {path.stem for path in (ROOT / "metrics").glob("*.json")}
    text = README.read_text(encoding="utf-8")
    outside = text[:text.index(README_BEGIN)] + text[text.index(README_END):]
    rows = [line for line in outside.splitlines() if line.lstrip().startswith("|")
            and line.strip().strip("|").split("|")[0].strip("`* ") in tasks]
    assert rows == []


def test_the_readme_stays_short_and_says_what_a_full_run_costs():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250
    assert any("make repro" in line and "min" in line for line in lines[:60])


@pytest.mark.parametrize("text, problem", [
    ("intro\n" + README_END + "\n", "0 lines `" + README_BEGIN),
    (README_BEGIN + "\nold\n", "0 lines `" + README_END),
    (README_BEGIN + "\n" + README_BEGIN + "\n" + README_END, "2 lines `" + README_BEGIN),
    (README_END + "\n" + README_BEGIN + "\n", "comes before"),
])
def test_a_missing_duplicated_or_misordered_marker_is_one_line(text, problem):
    with pytest.raises(DataError) as err:
        with_readme_block(text, "new", "README.md")
    assert problem in str(err.value) and str(err.value).startswith("README.md: ")
    assert "\n" not in str(err.value)


def test_the_block_is_replaced_and_nothing_else():
    text = f"top\n{README_BEGIN}\nold\nrows\n{README_END}\nbottom\n"
    new = f"top\n{README_BEGIN}\nnew\n{README_END}\nbottom\n"
    assert with_readme_block(text, "new", "R") == new
