"""Render a classification task's training curves and confusion matrix as PNGs for the README."""

from rnnlab import paths
from rnnlab.config import FiguresParams, load_params
from rnnlab.stage import run


def main(task: str) -> None:
    params = load_params("figures", task, FiguresParams)
    from rnnlab.figures import render_task  # matplotlib loads only once the params are valid

    for path in render_task(task, paths.train_plots(task), paths.eval_plots(task),
                            paths.PLOTS / "figures", params.dpi):
        print(path)


if __name__ == "__main__":
    run(main)
