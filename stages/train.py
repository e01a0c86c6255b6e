"""Train a task's model from params; save it with what inference needs in models/<task>/."""

import shutil
import time

import numpy as np

from rnnlab import paths
from rnnlab.config import SequencesParams, TrainParams, load_params
from rnnlab.fileio import atomic_dir, load_npz, write_json
from rnnlab.stage import run
from rnnlab.vocab import Vocab


def main(task: str) -> None:
    params = load_params("train", task, TrainParams)
    seq = load_params("sequences", task, SequencesParams)
    from rnnlab import models, training  # TensorFlow loads only once the params are valid

    training.set_seeds(params.seed, params.deterministic)
    data = load_npz(paths.sequences(task))
    vocab = Vocab.load(paths.vocab(task))
    glove = load_npz(paths.embeddings(task))["matrix"] if params.embedding != "learned" else None
    label_names = data["label_names"].tolist()
    model = models.build_classifier(params, len(vocab), len(label_names), glove)
    model.summary(print_fn=print)

    train = training.train_dataset(data["x_train"], data["y_train"], data["len_train"], params,
                                   seq.padding)
    val = training.eval_dataset(data["x_val"], data["y_val"], data["len_val"],
                                4 * params.batch_size, seq.padding)
    start = time.perf_counter()
    weights = (training.class_weights(data["y_train"], len(label_names))
               if params.class_weight == "balanced" else None)
    history = training.fit(model, train, val, params, paths.train_plots(task), weights)
    seconds = time.perf_counter() - start

    val_loss = history.history["val_loss"]
    with atomic_dir(paths.model(task).parent) as out:
        model.save(out / "model.keras")
        shutil.copyfile(paths.vocab(task), out / "vocab.json")
        write_json(out / "meta.json", {
            "task": task, "label_names": label_names, "maxlen": seq.maxlen,
            "padding": seq.padding, "truncating": seq.truncating, "unknown": seq.unknown,
            "epochs_run": len(val_loss), "best_epoch": int(np.argmin(val_loss)) + 1,
        })
    print(f"{task}: trained {len(val_loss)} epochs in {seconds:.0f} s, "
          f"best val_loss {min(val_loss):.4f} at epoch {int(np.argmin(val_loss)) + 1}")


if __name__ == "__main__":
    run(main)
