"""Train a task's recurrent language model; save it with its vocabulary in models/<task>/."""

import shutil
import time

import numpy as np

from rnnlab import paths
from rnnlab.config import LMSequencesParams, TrainLMParams, load_params
from rnnlab.fileio import atomic_dir, load_npz, write_json
from rnnlab.stage import run
from rnnlab.vocab import Vocab


def main(task: str) -> None:
    params = load_params("train_lm", task, TrainLMParams)
    seq = load_params("lm_sequences", task, LMSequencesParams)
    from rnnlab import language_model as lm  # TensorFlow loads only once the params are valid
    from rnnlab import training

    training.set_seeds(params.seed, params.deterministic)
    data = load_npz(paths.lm_sequences(task))
    vocab = Vocab.load(paths.vocab(task))
    windows = seq.recipe == "windows"
    model = lm.build_language_model(params, len(vocab), many_to_many=windows)
    model.summary(print_fn=print)
    if windows:
        train = lm.windows_dataset(data["stream_train"], seq, params.batch_size, params.seed)
        x_val, y_val = lm.held_out_windows(data["stream_val"], seq.sentence_size)
        whole = (y_val != 0).all(axis=1)  # the padded last window would count padding as loss
        val = lm.arrays_dataset(x_val[whole], y_val[whole], params.batch_size, seed=None)
    else:
        train = lm.arrays_dataset(data["x_train"], data["y_train"], params.batch_size, params.seed)
        val = lm.arrays_dataset(data["x_val"], data["y_val"], params.batch_size, seed=None)

    start = time.perf_counter()
    history = training.fit(model, train, val, params, paths.train_plots(task))
    seconds = time.perf_counter() - start
    val_loss = history.history["val_loss"]
    with atomic_dir(paths.model(task).parent) as out:
        model.save(out / "model.keras")
        shutil.copyfile(paths.vocab(task), out / "vocab.json")
        context = seq.sentence_size if windows else data["x_train"].shape[1]
        write_json(out / "meta.json", {
            "task": task, "kind": "language_model", "recipe": seq.recipe, "context": context,
            "level": vocab.level, "epochs_run": len(val_loss),
            "best_epoch": int(np.argmin(val_loss)) + 1, "train_seconds": round(seconds, 1),
        })
    print(f"{task}: trained {len(val_loss)} epochs in {seconds:.0f} s, "
          f"best val_loss {min(val_loss):.4f} at epoch {int(np.argmin(val_loss)) + 1}")


if __name__ == "__main__":
    run(main)
