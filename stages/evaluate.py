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
    data = load_npz(paths.sequences(task))
    padding = classifier.meta["padding"]
    y = data["y_test"]
    out = predict(classifier.model, data["x_test"], data["len_test"], params.batch_size, padding)
    probability = out[:, 0]
    y_pred = (probability >= params.threshold).astype(int)

    scores = evaluation.binary_metrics(y, probability, params.threshold)
    write_json(paths.metrics(task), scores | read_json(paths.baseline(task)))
    plots = paths.eval_plots(task)
    evaluation.write_csv(plots / "confusion.csv",
                         evaluation.confusion_table(y, y_pred, classifier.label_names))
    evaluation.write_csv(plots / "roc.csv", evaluation.roc_table(y, probability))
    texts = pd.read_parquet(paths.prepared(task), columns=["text"])["text"]
    write_text(paths.METRICS / "samples" / f"{task}.md",
               samples_markdown(texts, data["row_test"], y, probability, classifier.label_names,
                                params.threshold, params.samples))
    print(open(paths.metrics(task)).read())


def samples_markdown(texts: pd.Series, rows: np.ndarray, y: np.ndarray, probability: np.ndarray,
                     label_names: list[str], threshold: float, count: int) -> str:
    """`count` test reviews evenly spaced through the split: a fixed sample, not a chosen one."""
    lines = ["| true | predicted | P(pos) | review (first 200 characters) |", "|---|---|---|---|"]
    for i in np.linspace(0, len(y) - 1, min(count, len(y))).astype(int):
        text = texts.iloc[rows[i]][:200].replace("|", "\\|")
        predicted = label_names[int(probability[i] >= threshold)]
        lines.append(f"| {label_names[y[i]]} | {predicted} | {probability[i]:.3f} | {text} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    run(main)
