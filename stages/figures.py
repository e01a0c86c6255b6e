"""Render a classification task's training curves and confusion matrix as PNGs for the README."""

from rnnlab.core import paths
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.report.figures import FiguresParams, render_task


def main(task: str) -> None:
    params = load_entry("figures", task, FiguresParams)
    for path in render_task(task, paths.train_plots(task), paths.eval_plots(task),
                            paths.PLOTS / "figures", params.dpi):
        print(path)


if __name__ == "__main__":
    run(main)
