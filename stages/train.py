"""Train a task's classifier from params; save it with what inference needs in models/<task>/."""

import time

from rnnlab.core import paths
from rnnlab.core.files import load_npz
from rnnlab.core.model_folder import save_model_folder
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify.params import SequencesParams, TrainParams
from rnnlab.text.vocab import Vocab


def main(task: str) -> None:
    params = load_entry("train", task, TrainParams)
    seq = load_entry("sequences", task, SequencesParams)
    from rnnlab.tasks import fit  # TensorFlow loads only once the params are valid
    from rnnlab.tasks.classify import data, model

    fit.set_seeds(params.seed, params.deterministic)
    arrays = load_npz(paths.sequences(task))
    vocab = Vocab.load(paths.vocab(task))
    glove = load_npz(paths.embeddings(task))["matrix"] if params.embedding != "learned" else None
    label_names = arrays["label_names"].tolist()
    classifier = model.build_classifier(params, len(vocab), len(label_names), glove)
    classifier.summary(print_fn=print)

    train = data.train_dataset(arrays["x_train"], arrays["y_train"], arrays["len_train"], params,
                               seq.padding)
    val = data.eval_dataset(arrays["x_val"], arrays["y_val"], arrays["len_val"],
                            4 * params.batch_size, seq.padding)
    weights = (data.class_weights(arrays["y_train"], len(label_names))
               if params.class_weight == "balanced" else None)
    start = time.perf_counter()
    history = fit.fit(classifier, train, val, params, paths.train_plots(task), weights)
    trained = fit.history_summary(history, time.perf_counter() - start)
    save_model_folder(paths.model_dir(task), classifier, "classify", {
        "task": task, "label_names": label_names, "maxlen": seq.maxlen, "padding": seq.padding,
        "truncating": seq.truncating, "unknown": seq.unknown, **trained}, {"vocab.json": vocab})
    print(f"{task}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"best val_loss {trained['best_val_loss']:.4f} at epoch {trained['best_epoch']}")


if __name__ == "__main__":
    run(main)
