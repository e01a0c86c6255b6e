"""What the benchmarks that train a task's model again share: a scratch checkout that reads the
pipeline's data/ and pretrainings but never writes models/ or metrics/, and the test scores of a
model trained there, computed as the `evaluate*` stages compute them."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from provenance import earlier_results, provenance

from rnnlab.core import paths
from rnnlab.core.files import load_npz, read_table
from rnnlab.core.params import load_entry


def checked_record(root: Path, tasks: list[str], json_path: Path | None) -> dict:
    """The provenance of the code and params about to run (params.yaml and the tasks' resolved
    entries); a `--json` merge that would be refused later is refused now, before hours of
    training."""
    entries = [entry for task in tasks
               for entry in sorted((root / "data/params").glob(f"*/{task}.json"))]
    record = provenance([root / "params.yaml", *entries])
    if json_path:
        earlier_results(json_path, record)
    return record


@contextlib.contextmanager
def scratch_checkout(root: Path, metrics: bool = False) -> Iterator[Path]:
    """A temporary working folder with root's data/ and models/pretrain/ linked in (read only)
    and an empty models/; with `metrics`, root's metrics/ linked too (to read the pipeline's
    own scores)."""
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "data").symlink_to(root / "data")
        if metrics:
            (folder / "metrics").symlink_to(root / "metrics")
        (folder / "models").mkdir()
        (folder / "models" / "pretrain").symlink_to(root / "models" / "pretrain")
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(here)


def test_accuracy(task: str) -> float:
    """The test accuracy of models/<task>/, as the `evaluate` stage counts it."""
    import numpy as np

    from rnnlab.tasks.classify.data import predict
    from rnnlab.tasks.classify.predict import Classifier

    classifier = Classifier(paths.model_dir(task))
    data = load_npz(paths.sequences(task))
    out = predict(classifier.model, data["x_test"], data["len_test"], 512,
                  classifier.meta["padding"])
    pred = (out[:, 0] >= 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    return round(float(np.mean(pred == data["y_test"])), 5)


def test_bleu(task: str) -> float:
    """The test BLEU of models/<task>/, decoded as `evaluate_translation.<task>` says."""
    from rnnlab.tasks.translate import score
    from rnnlab.tasks.translate.data import encode_sources
    from rnnlab.tasks.translate.decode import Translator
    from rnnlab.tasks.translate.params import TranslationEvalParams

    evaluation = load_entry("evaluate_translation", task, TranslationEvalParams)
    pairs = read_table(paths.prepared(evaluation.data))
    sources, references = score.references_by_source(pairs[pairs["split"] == "test"])
    translator = Translator(paths.model_dir(task))
    hypotheses = translator.translate_ids(encode_sources(sources, translator.source),
                                          evaluation.beam_width, evaluation.length_penalty,
                                          evaluation.max_output_len, evaluation.batch_size)
    return score.corpus_scores(hypotheses, references)["bleu"]
