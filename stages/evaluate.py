"""Score a trained classifier on the test split: metrics, plot tables and sample predictions."""

from rnnlab.core import paths
from rnnlab.core.errors import ParamsError
from rnnlab.core.files import load_npz, read_json, read_table, write_json, write_text
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify import evaluate
from rnnlab.tasks.classify.params import EvaluateParams


def main(task: str) -> None:
    params = load_entry("evaluate", task, EvaluateParams)
    from rnnlab.tasks.classify.data import predict  # TensorFlow loads once params are valid
    from rnnlab.tasks.classify.predict import Classifier, two_columns

    classifier = Classifier(paths.model_dir(task))
    names = classifier.label_names
    if params.threshold is not None and len(names) != 2:
        raise ParamsError(f"evaluate.{task}.threshold: applies to binary tasks only ({task} has "
                          f"{len(names)} classes and takes the most probable); remove it")
    data = load_npz(paths.sequences(task))
    y = data["y_test"]
    out = predict(classifier.model, data["x_test"], data["len_test"], params.batch_size,
                  classifier.meta["padding"])
    probabilities = two_columns(out)
    plots = paths.eval_plots(task)
    if len(names) == 2:
        threshold = 0.5 if params.threshold is None else params.threshold
        y_pred = (out[:, 0] >= threshold).astype(int)
        scores = evaluate.binary_metrics(y, out[:, 0], threshold)
        evaluate.write_csv(plots / "roc.csv", evaluate.roc_table(y, out[:, 0]))
    else:
        y_pred = out.argmax(axis=1)
        scores = evaluate.multiclass_metrics(y, out)
        evaluate.write_csv(plots / "per_class.csv", evaluate.per_class_table(y, y_pred, names))
    evaluate.write_csv(plots / "confusion.csv", evaluate.confusion_table(y, y_pred, names))
    texts = read_table(paths.prepared(task), columns=["text"])["text"]
    test_texts = texts.iloc[data["row_test"]].tolist()
    write_text(paths.samples(task), evaluate.samples_markdown(test_texts, y, y_pred,
                                                              probabilities, names,
                                                              params.samples))
    write_json(paths.metrics(task), scores | read_json(paths.baseline(task)))
    print(paths.metrics(task).read_text())


if __name__ == "__main__":
    run(main)
