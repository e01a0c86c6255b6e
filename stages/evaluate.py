"""Score a trained model on the test split: metrics, plot tables and sample predictions."""

import numpy as np
import pandas as pd

from rnnlab import evaluation, paths
from rnnlab.config import EvaluateParams, load_params
from rnnlab.fileio import load_npz, read_json, write_json, write_text
from rnnlab.stage import run


def main(task: str) -> None:
    params = load_params("evaluate", task, EvaluateParams)
    from rnnlab.predictor import Classifier  # TensorFlow loads only once the params are valid
    from rnnlab.training import predict

    classifier = Classifier(paths.model(task).parent)
    names = classifier.label_names
    data = load_npz(paths.sequences(task))
    y = data["y_test"]
    out = predict(classifier.model, data["x_test"], data["len_test"], params.batch_size,
                  classifier.meta["padding"])
    plots = paths.eval_plots(task)
    if len(names) == 2:
        probabilities = np.hstack([1 - out, out])
        y_pred = (out[:, 0] >= params.threshold).astype(int)
        scores = evaluation.binary_metrics(y, out[:, 0], params.threshold)
        evaluation.write_csv(plots / "roc.csv", evaluation.roc_table(y, out[:, 0]))
    else:
        probabilities = out
        y_pred = out.argmax(axis=1)
        scores = evaluation.multiclass_metrics(y, out)
        evaluation.write_csv(plots / "per_class.csv", evaluation.per_class_table(y, y_pred, names))
    evaluation.write_csv(plots / "confusion.csv", evaluation.confusion_table(y, y_pred, names))
    texts = pd.read_parquet(paths.prepared(task), columns=["text"])["text"]
    write_text(paths.METRICS / "samples" / f"{task}.md",
               samples_markdown(texts, data["row_test"], y, y_pred, probabilities, names,
                                params.samples))
    write_json(paths.metrics(task), scores | read_json(paths.baseline(task)))
    print(paths.metrics(task).read_text())


def samples_markdown(texts: pd.Series, rows: np.ndarray, y: np.ndarray, y_pred: np.ndarray,
                     probabilities: np.ndarray, names: list[str], count: int) -> str:
    """`count` test texts evenly spaced through the split: a fixed sample, not a chosen one."""
    lines = ["| true | predicted | probability | text (first 200 characters) |",
             "|---|---|---|---|"]
    for i in np.linspace(0, len(y) - 1, min(count, len(y))).astype(int):
        text = " ".join(texts.iloc[rows[i]][:200].split()).replace("|", "\\|")
        lines.append(f"| {names[y[i]]} | {names[y_pred[i]]} | "
                     f"{probabilities[i, y_pred[i]]:.3f} | {text} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    run(main)
