"""A pretraining whose vocabulary does not belong to its model is refused in one line naming the
vocabulary file, before any row is copied (a mismatch would map rows to the wrong words)."""

from __future__ import annotations

import pytest
from test_finetune_translation import saved_lm

from rnnlab.core.errors import DataError
from rnnlab.text.vocab import EOL, Vocab

WORDS = ["thou", "art", "love"]


@pytest.mark.parametrize("size", [4, 2, 0, 9], ids=["one-more", "one-fewer", "specials-only",
                                                    "three-times"])
def test_a_vocabulary_of_another_size_is_refused(tmp_path, size):
    from rnnlab.tasks import transfer

    folder = saved_lm(tmp_path / "lm", WORDS, embedding_dim=4, units=6)
    words = [f"w{i}" for i in range(size)]
    Vocab(["", "[UNK]", EOL, *words], "word", "keras").save(folder / "vocab.json")
    with pytest.raises(DataError) as caught:
        transfer.load_pretrained(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{folder / 'vocab.json'}: ")
    assert "expected its own vocabulary" in message


def test_its_own_vocabulary_loads(tmp_path):
    from rnnlab.tasks import transfer

    folder = saved_lm(tmp_path / "lm", WORDS, embedding_dim=4, units=6)
    _, vocab, _ = transfer.load_pretrained(folder)
    assert vocab.tokens[3:] == WORDS
