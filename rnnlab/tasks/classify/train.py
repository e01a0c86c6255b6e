"""The classify family's training: a task's sequences, vocabulary and (GloVe) embeddings in, a
classifier out, saved with what inference needs in models/<task>/ (`train`, `finetune`)."""

from __future__ import annotations

from rnnlab.core import paths
from rnnlab.core.files import load_npz
from rnnlab.core.params import load_entry
from rnnlab.tasks.classify import data
from rnnlab.tasks.classify.params import TRAINING_SECTIONS, SequencesParams, TrainParams
from rnnlab.tasks.training import Family, Inputs
from rnnlab.text.vocab import Vocab


class Classify(Family):
    kind = "classify"
    sections = TRAINING_SECTIONS

    def inputs(self, name: str, params: TrainParams) -> Inputs:
        from rnnlab.tasks.classify.model import build_classifier

        seq = load_entry("sequences", name, SequencesParams)
        arrays = load_npz(paths.sequences(name))
        vocab = Vocab.load(paths.vocab(name))
        glove = (load_npz(paths.embeddings(name))["matrix"] if params.embedding != "learned"
                 else None)
        labels = arrays["label_names"].tolist()
        return Inputs(
            train=data.train_dataset(arrays["x_train"], arrays["y_train"], arrays["len_train"],
                                     params, seq.padding),
            val=data.eval_dataset(arrays["x_val"], arrays["y_val"], arrays["len_val"],
                                  4 * params.batch_size, seq.padding),
            build=lambda: build_classifier(params, len(vocab), len(labels), glove),
            vocab=vocab, files={"vocab.json": vocab},
            meta={"task": name, "label_names": labels, "maxlen": seq.maxlen,
                  "padding": seq.padding, "truncating": seq.truncating, "unknown": seq.unknown},
            class_weight=(data.class_weights(arrays["y_train"], len(labels))
                          if params.class_weight == "balanced" else None))


CLASSIFY = Classify()
