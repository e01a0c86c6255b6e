"""One variant of the training-speed benchmark, in its own process: build, compile, time steps.

bench_training_speed.py starts this as `bench_training_speed.py --worker SPEC` (SPEC: the
variant as JSON) in a fresh interpreter with the variant's TF_ENABLE_ONEDNN_OPTS, as TensorFlow
reads it at import; `worker` prints the result, or the error, as one line marked RESULT_MARK.

What runs. The process builds the model as the train stage does (`build_classifier` from the
task's `train` entry, batch size replaced), re-compiles it with `jit_compile=True` for the XLA
variants (the same optimizer, loss and metrics, through `get_compile_config`), and trains on
the train stage's own input pipeline (`train_dataset`: tf.data, length bucketing, each batch
cut to its longest row), seeded as the train stage seeds. It runs `model.fit` for WARMUP +
STEPS steps of the epoch's first batches (pass 1), then REPEATS more times over the same
batches (same widths, so nothing new to trace or compile); each step is timed by a callback
(end of step to end of step; every pass's step times and the batches' widths are kept in the
result).

XLA and determinism: the entries train with `deterministic: true` (TensorFlow's op determinism),
and with it on Keras turns `jit_compile=True` down to False with a warning. So that XLA itself
is measured, the benchmark then forces it on (Keras's private `_jit_compile`) and records
Keras's reason as `jit_forced`; `jit_compile_effective` says what trained (the parent adds
`xla_reported_compiled`, whether TensorFlow logged an XLA compilation in that process, and
`onednn_reported_on`, whether it logged oneDNN on). Adopting XLA in the train stage would need
`deterministic: false` or the same forcing; `--nondeterministic` runs every variant with op
determinism off, Keras then taking jit_compile itself.

What it reports (`summarize`):
* `steady`: the median over the REPEATS passes of the STEPS timed steps (warm-up steps left
  out) as samples/s, real tokens/s (tokens that are not padding) and padded tokens/s (batch
  rows x batch width: what the masked RNN computes, as it runs every step of a batch and masks
  the state).
* `first_step_seconds`: step 1 of pass 1 (tracing the train step, and XLA's compilation for
  the first batch width): the compile time, left out of every rate.
* `first_pass_seconds`: the timed steps in pass 1. A bucketed batch has its own width, and XLA
  compiles a program per input shape, so with jit_compile a step whose width is new to the
  process compiles again; `new_widths` counts the timed steps' widths not seen before, and
  `compile_seconds_per_new_width` = (first pass - steady) / new_widths.
* `projected_epoch_seconds`: one epoch of the whole training set at the steady rate per padded
  token, plus, for each distinct width of that epoch, `compile_seconds_per_new_width` (which is
  about 0 without XLA): a compiled width stays compiled, so later epochs pay only for the
  widths they add.
* `flops`: the model's training FLOPs per token, row and step (speed_model.py).
* With `--val-epochs E` (default 0: off) the variant then trains a fresh model from the seed
  for E whole epochs with the train stage's validation set and reports each epoch's validation
  accuracy and seconds: "faster without losing validation accuracy" is checked with this.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import time

import numpy as np
from speed_model import optimizer_flops, training_flops

from rnnlab.core import paths
from rnnlab.core.params import load_entry
from rnnlab.tasks.classify.data import bucketed_order
from rnnlab.tasks.classify.params import SequencesParams, TrainParams

RESULT_MARK = "BENCH_TRAINING_SPEED_RESULT "  # the worker's result line starts with it


# ---------------------------------------------------------------- the batches, and their rates


def batch_plan(lengths: np.ndarray, params: TrainParams, maxlen: int) -> list[tuple[int, int, int]]:
    """(rows, real tokens, width) of each batch of epoch 0, in the order `train_dataset` yields
    them: the same functions from the same seed (`epoch_rng` at epoch 0), without the arrays."""
    from rnnlab.tasks import resume

    resume.note_epoch(0)
    rng = resume.epoch_rng(params.seed)
    if params.bucketing:
        batches = bucketed_order(lengths, params.batch_size, params.bucket_span, rng)
        return [(len(idx), int(lengths[idx].sum()), max(int(lengths[idx].max()), 1))
                for idx in batches]
    order = rng.permutation(len(lengths))
    return [(len(idx), int(lengths[idx].sum()), maxlen)
            for idx in (order[i: i + params.batch_size]
                        for i in range(0, len(order), params.batch_size))]



def summarize(passes: list[list[float]], plan: list[tuple[int, int, int]], warmup: int,
              steps: int) -> dict:
    """Rates and compile costs from the per-step seconds of each pass (see the module
    docstring)."""
    timed = plan[warmup: warmup + steps]
    rows = sum(b[0] for b in timed)
    real = sum(b[1] for b in timed)
    padded = sum(b[0] * b[2] for b in timed)
    steady = [sum(p[warmup: warmup + steps]) for p in passes[1:]]
    median = statistics.median(steady)
    first = sum(passes[0][warmup: warmup + steps])
    seen = {b[2] for b in plan[:warmup]}
    new_widths = len({b[2] for b in timed} - seen)
    per_width = max(first - median, 0.0) / new_widths if new_widths else 0.0
    epoch_padded = sum(b[0] * b[2] for b in plan)
    epoch_widths = len({b[2] for b in plan})
    return {
        "steps_timed": len(timed), "warmup_steps": warmup, "rows_timed": rows,
        "real_tokens_timed": real, "padded_tokens_timed": padded,
        "padding_share": round(1 - real / padded, 4) if padded else 0.0,
        "first_step_seconds": round(passes[0][0], 3),
        "first_pass_seconds": round(first, 3),
        "steady_seconds": [round(s, 3) for s in steady],
        "steady_seconds_median": round(median, 3),
        "steady": {"samples_per_second": round(rows / median, 2),
                   "real_tokens_per_second": round(real / median, 1),
                   "padded_tokens_per_second": round(padded / median, 1),
                   "seconds_per_step": round(median / len(timed), 4)},
        "first_pass": {"real_tokens_per_second": round(real / first, 1)},
        "new_widths": new_widths,
        "compile_seconds_per_new_width": round(per_width, 3),
        "epoch": {"batches": len(plan), "distinct_widths": epoch_widths,
                  "real_tokens": sum(b[1] for b in plan), "padded_tokens": epoch_padded},
        "projected_epoch_seconds": round(epoch_padded / (padded / median)
                                         + epoch_widths * per_width, 1),
    }


# ---------------------------------------------------------------- one variant, in its process


def recompile(model, jit: bool) -> str | None:
    """The same optimizer, loss and metrics as the built model's compile, with `jit_compile`.

    Keras turns `jit_compile=True` down (a warning, then False) when TensorFlow's op determinism
    is on, as the entries' `deterministic: true` turns it on, or when a layer cannot run under
    XLA (a cuDNN RNN on a GPU). Then XLA is forced on through Keras's private `_jit_compile`, so
    that XLA itself is measured, and the reason Keras gave is returned (None: Keras took it).
    """
    from keras.src.trainers.trainer import model_supports_jit
    from tensorflow.python.framework.config import is_op_determinism_enabled

    config = model.get_compile_config()
    config["jit_compile"] = jit
    model.compile_from_config(config)
    if not jit or model.jit_compile:
        return None
    determinism = is_op_determinism_enabled()
    layers = [layer.name for layer in model._flatten_layers() if not layer.supports_jit]
    reason = ("Keras refuses jit_compile=True: " + ("op determinism is on " if determinism
              else "") + (f"layers without XLA support {layers}" if layers else "")).strip()
    if not model_supports_jit(model):
        model._jit_compile = True  # forced: XLA itself is what is measured
        model.train_function = model.test_function = model.predict_function = None
    return reason


def run_variant(spec: dict) -> dict:
    """Build, time and (optionally) train one variant; runs in the variant's own process."""
    import keras

    from rnnlab.core.files import load_npz
    from rnnlab.tasks import resume
    from rnnlab.tasks.classify.data import eval_dataset, predict, train_dataset
    from rnnlab.tasks.classify.model import build_classifier
    from rnnlab.tasks.fit import set_seeds
    from rnnlab.text.vocab import Vocab

    task = spec["task"]
    params = load_entry("train", task, TrainParams)
    params = dataclasses.replace(params, batch_size=spec["batch_size"],
                                 deterministic=params.deterministic and spec["deterministic"])
    seq = load_entry("sequences", task, SequencesParams)
    arrays = load_npz(paths.sequences(task))
    vocab_size = len(Vocab.load(paths.vocab(task)))
    num_classes = len(arrays["label_names"])
    glove = (None if params.embedding == "learned"
             else load_npz(paths.embeddings(task))["matrix"])
    input_dim = params.embedding_dim if glove is None else glove.shape[1]

    def built() -> keras.Model:
        set_seeds(params.seed, params.deterministic)
        resume.note_epoch(0)
        model = build_classifier(params, vocab_size, num_classes, glove)
        if spec["jit"]:
            refused = recompile(model, True)
            if refused:
                notes["jit_forced"] = refused
        return model

    notes: dict = {}
    model = built()
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    result: dict = {"jit_compile_effective": bool(model.jit_compile), **notes,
                    "deterministic": params.deterministic,
                    "tf_enable_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
                    "trainable_params": trainable, "input_dim": int(input_dim),
                    "num_classes": num_classes}
    if params.conv_filters:
        result["flops_note"] = "conv front: FLOPs not counted"
    else:
        result["flops"] = training_flops(params.specs, input_dim, params.pooling, num_classes,
                                         params.dense_units, params.between_dense or 0)
        result["flops"]["per_step_optimizer"] = optimizer_flops(trainable)
    plan = batch_plan(arrays["len_train"], params, seq.maxlen)
    warmup = min(spec["warmup"], len(plan) - 1)
    steps = min(spec["steps"], len(plan) - warmup)
    if steps < spec["steps"]:
        result["steps_note"] = f"an epoch has {len(plan)} batches: {steps} steps timed"
    dataset = train_dataset(arrays["x_train"], arrays["y_train"], arrays["len_train"], params,
                            seq.padding)

    class StepTimer(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:
                self.marks = [time.perf_counter()]

        def on_train_batch_end(self, batch, logs=None):
            self.marks.append(time.perf_counter())

    timer, passes = StepTimer(), []
    for _ in range(1 + spec["repeats"]):
        model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, callbacks=[timer],
                  verbose=0, shuffle=False)
        passes.append(np.diff(timer.marks).tolist())
    result["step_seconds"] = [[round(s, 4) for s in p] for p in passes]  # pass by pass
    result["step_widths"] = [b[2] for b in plan[:warmup + steps]]
    result |= summarize(passes, plan, warmup, steps)

    if spec["val_epochs"]:
        model = built()
        val = eval_dataset(arrays["x_val"], arrays["y_val"], arrays["len_val"],
                           4 * params.batch_size, seq.padding)

        class Epochs(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                resume.note_epoch(epoch)
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds = [*getattr(self, "seconds", []), time.perf_counter() - self.start]

        epochs = Epochs()
        history = model.fit(dataset, validation_data=val, epochs=spec["val_epochs"],
                            callbacks=[epochs], verbose=0, shuffle=False)
        probability = predict(model, arrays["x_val"], arrays["len_val"], 4 * params.batch_size,
                              seq.padding)
        guess = (probability[:, 0] >= 0.5) if num_classes == 2 else probability.argmax(axis=1)
        result["validation"] = {
            "epochs": spec["val_epochs"],
            "val_accuracy": [round(float(a), 4) for a in history.history["val_accuracy"]],
            "val_loss": [round(float(v), 4) for v in history.history["val_loss"]],
            "epoch_seconds": [round(s, 1) for s in epochs.seconds],
            "final_val_accuracy_predict": round(float(np.mean(guess == arrays["y_val"])), 4)}
    return result


def worker(spec_json: str) -> None:
    """The child's side: one variant, its result (or its error) as one marked line."""
    spec = json.loads(spec_json)
    try:
        result = run_variant(spec)
    except Exception as err:  # noqa: BLE001 (any failure is this variant's result)
        text = " ".join(f"{type(err).__name__}: {err}".split())
        result = {"error": text[:2000]}
    print(RESULT_MARK + json.dumps(result), flush=True)

