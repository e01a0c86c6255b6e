"""The translate family's training (`train_translation`, `finetune_translation`): vocabularies
from the training pairs, the decoder optionally started from a pretrained language model of the
target language, saved with both vocabularies in models/<task>/."""

from __future__ import annotations

import dataclasses

from rnnlab.core import paths
from rnnlab.core.errors import DataError
from rnnlab.core.files import read_table
from rnnlab.tasks import transfer
from rnnlab.tasks.training import Family, Inputs
from rnnlab.tasks.translate.data import arrays, build_vocabs, dataset
from rnnlab.tasks.translate.params import TRAINING_SECTIONS, TranslationTrainParams

DECODER = transfer.Copy(embedding="target_embedding", recurrent=("decoder_rnn",),
                        same_standardize=False)


class Translate(Family):
    kind = "translate"
    sections = TRAINING_SECTIONS

    def inputs(self, name: str, params: TranslationTrainParams) -> Inputs:
        from rnnlab.tasks.translate.model import build_translator

        where = paths.prepared(params.data)
        pairs = read_table(where)
        train, val = pairs[pairs["split"] == "train"], pairs[pairs["split"] == "val"]
        if train.empty or val.empty:
            raise DataError(f"{where}: needs train and val pairs")
        source, target = build_vocabs(train, params)
        return Inputs(
            train=dataset(*arrays(train, source, target), params.batch_size, params.seed),
            val=dataset(*arrays(val, source, target), 4 * params.batch_size, None),
            build=lambda: build_translator(params, len(source), len(target)), vocab=target,
            files={"source_vocab.json": source, "target_vocab.json": target},
            meta={"task": name, "params": dataclasses.asdict(params),
                  "max_source_words": int(train["text"].str.split().str.len().max()),
                  "max_target_words": int(train["target"].str.split().str.len().max()),
                  "source_vocab_size": len(source), "target_vocab_size": len(target)})

    def copy_for(self, params: TranslationTrainParams) -> transfer.Copy:
        """The decoder's embedding and recurrent layer, and with `copy_output` the output
        layer's columns (by word)."""
        output = "logits" if getattr(params, "copy_output", False) else None
        return dataclasses.replace(DECODER, output=output)


TRANSLATE = Translate()
