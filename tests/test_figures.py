"""The README's PNGs: read from the plot tables, drawn at a fixed size, byte-stable."""

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT

from rnnlab.core.errors import DataError
from rnnlab.report import figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_curves(folder: Path, epochs: int = 4) -> None:
    for split, offset in (("train", 0.0), ("eval", 0.1)):
        for metric in ("loss", "accuracy"):
            path = folder / "plots" / "metrics" / split / f"{metric}.tsv"
            path.parent.mkdir(parents=True, exist_ok=True)
            values = [1.0 / (step + 1) + offset if metric == "loss" else 0.5 + 0.1 * step
                      for step in range(epochs)]
            path.write_text(f"step\t{metric}\n" + "".join(f"{s}\t{v}\n"
                                                         for s, v in enumerate(values)))


def write_confusion(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("actual,predicted\n" + "".join(f"{a},{p}\n" for a, p in rows))


ROWS = [("b", "b")] * 5 + [("b", "a")] + [("a", "a")] * 2 + [("c", "b")] * 2 + [("a", "d")]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_confusion_counts_most_frequent_class_first(tmp_path):
    write_confusion(tmp_path / "confusion.csv", ROWS)
    names, counts = figures.read_confusion(tmp_path / "confusion.csv")
    # b: 6 true, a: 3, c: 2; d is only ever predicted
    assert names == ["b", "a", "c", "d"]
    assert counts.tolist() == [[5, 1, 0, 0], [0, 2, 0, 1], [2, 0, 0, 0], [0, 0, 0, 0]]
    assert counts.sum() == len(ROWS)


def test_curves_are_numbered_from_epoch_one(tmp_path):
    write_curves(tmp_path, epochs=3)
    curves = figures.read_curves(tmp_path)
    assert curves["loss"]["eval"]["epoch"].tolist() == [1, 2, 3]
    assert np.allclose(curves["accuracy"]["train"]["value"], [0.5, 0.6, 0.7])


def test_bad_tables_are_refused_with_their_path(tmp_path):
    (tmp_path / "loss.tsv").write_text("epoch,loss\n0,1.0\n")
    with pytest.raises(ValueError, match="loss.tsv: expected two columns"):
        figures.read_curve(tmp_path / "loss.tsv")
    (tmp_path / "confusion.csv").write_text("true,pred\na,a\n")
    with pytest.raises(ValueError, match="expected columns actual,predicted"):
        figures.read_confusion(tmp_path / "confusion.csv")
    with pytest.raises(DataError, match="run the task's evaluate stage first"):
        figures.read_confusion(tmp_path / "missing.csv")


def test_pngs_have_a_fixed_size_no_software_tag_and_stable_bytes(tmp_path):
    write_curves(tmp_path / "train")
    write_confusion(tmp_path / "eval" / "confusion.csv", ROWS)
    first = figures.render_task("t", tmp_path / "train", tmp_path / "eval", tmp_path / "a", 50)
    second = figures.render_task("t", tmp_path / "train", tmp_path / "eval", tmp_path / "b", 50)
    assert [p.name for p in first] == ["t_curves.png", "t_confusion.png"]
    data = [p.read_bytes() for p in first]
    assert data == [p.read_bytes() for p in second]
    assert png_size(data[0]) == (500, 180)  # 10 x 3.6 inches at 50 dpi
    assert png_size(data[1]) == (300, 240)  # 6 x 4.8 inches
    assert all(b"Software" not in d and b"Matplotlib" not in d for d in data)
    # the same tables with one count changed give a different picture
    write_confusion(tmp_path / "eval" / "confusion.csv", ROWS + [("a", "a")])
    figures.render_task("t", tmp_path / "train", tmp_path / "eval", tmp_path / "c", 50)
    assert (tmp_path / "c" / "t_confusion.png").read_bytes() != data[1]


def test_stage_renders_the_task_or_fails_in_one_line(in_tmp):
    write_curves(in_tmp / "plots" / "train" / "t")
    write_confusion(in_tmp / "plots" / "eval" / "t" / "confusion.csv", ROWS)
    (in_tmp / "params.yaml").write_text(yaml.safe_dump({"figures": {"t": {"dpi": 40},
                                                                    "u": {"dpi": 40}}}))
    # the stage reads its entry from the file the params stage writes for it
    params = subprocess.run([sys.executable, str(ROOT / "stages" / "params.py"), "all"],
                            capture_output=True, text=True)
    assert params.returncode == 0, params.stderr
    script = str(ROOT / "stages" / "figures.py")
    ok = subprocess.run([sys.executable, script, "t"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert png_size((in_tmp / "plots" / "figures" / "t_curves.png").read_bytes()) == (400, 144)
    failed = subprocess.run([sys.executable, script, "u"], capture_output=True, text=True)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "figures u: error: plots/train/u/plots/metrics/train/loss.tsv: not found "
        "(run the task's train stage first)"]
