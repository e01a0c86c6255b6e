"""Mix a task's recurrent classifier and its classical peer with one weight chosen on validation:
metrics/combine/<task>.json, a row of its own, never written into metrics/<task>.json."""

from rnnlab.core import paths
from rnnlab.core.files import load_npz, write_json
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify import combine
from rnnlab.tasks.classify.params import CombineParams


def main(task: str) -> None:
    params = load_entry("combine", task, CombineParams)
    peer = combine.read_peer(paths.baseline_scores(task))
    data = load_npz(paths.sequences(task))
    combine.check_same_split(task, peer, paths.baseline_scores(task), data,
                             paths.sequences(task))
    from rnnlab.tasks.classify.predict import Classifier  # reads meta.json; no model loaded

    classifier = Classifier(paths.model_dir(task))
    combine.check_labels(task, {str(paths.baseline_scores(task)): peer["label_names"],
                                str(paths.sequences(task)): data["label_names"],
                                str(classifier.folder / "meta.json"): classifier.label_names})
    from rnnlab.tasks.classify.data import predict  # TensorFlow loads once the inputs agree

    rnn = {split: combine.log_probabilities(
        predict(classifier.model, data[f"x_{split}"], data[f"len_{split}"], params.batch_size,
                classifier.meta["padding"])) for split in combine.SPLITS}
    result = combine.combine(task, rnn, {s: peer[f"scores_{s}"] for s in combine.SPLITS},
                             {s: data[f"y_{s}"] for s in combine.SPLITS}, params.weights)
    write_json(paths.combine_metrics(task), result | {"baseline_model": str(peer["model"][0])})
    print(paths.combine_metrics(task).read_text())


if __name__ == "__main__":
    run(main)
