"""`dvc plots show` offline: the committed page carries the pinned vega libraries, unaltered."""

import shutil

import pytest
from conftest import ROOT

from rnnlab.report import plots_page
from rnnlab.report.plots_page import CONFUSION, PAGE, TEMPLATE, PageError, check


@pytest.fixture
def copy(tmp_path, monkeypatch):
    for path in (PAGE, TEMPLATE, CONFUSION):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_committed_page_and_template_pass_the_check(copy):
    check()
    page = PAGE.read_text(encoding="utf-8")
    assert "cdn" not in page.split("<script>")[0] and "{plot_divs}" in page


def test_the_dvc_config_names_the_page():
    assert "html_template = plots_page.html" in (ROOT / ".dvc" / "config").read_text()


def one_line_error() -> str:
    with pytest.raises(PageError) as err:
        check()
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("name", list(plots_page.PACKAGES))
def test_an_altered_library_is_one_line_naming_the_page(copy, name):
    page = PAGE.read_text(encoding="utf-8")
    code = plots_page.library_code(page, name)
    PAGE.write_text(page.replace(code, code[:100] + " " + code[100:]), encoding="utf-8")
    message = one_line_error()
    assert message.startswith(f"{PAGE}: {name} ") and "altered" in message


@pytest.mark.parametrize("path", [PAGE, TEMPLATE, CONFUSION])
def test_a_missing_file_is_one_line_naming_it(copy, path):
    path.unlink()
    assert one_line_error() == (f"{path}: missing (run `python -m rnnlab.report.plots_page "
                                "build`)")


@pytest.mark.parametrize("path, old, new", [(TEMPLATE, "datum.value + 1", "datum.value"),
                                            (CONFUSION, '"step": 14', '"step": 4')])
def test_an_altered_template_is_one_line_naming_it(copy, path, old, new):
    path.write_text(path.read_text().replace(old, new))
    assert one_line_error() == f"{path}: altered; rebuild it"


def test_the_template_labels_whole_epochs_from_one():
    template = plots_page.epochs_template()
    axes = []

    def walk(node):
        if isinstance(node, dict):
            if "axis" in node:
                axes.append(node["axis"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(template)
    assert axes and all(a == {"tickMinStep": 1, "labelExpr": "datum.value + 1"} for a in axes)
