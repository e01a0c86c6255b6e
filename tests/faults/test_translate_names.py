"""`Translator.encode_texts` names a sentence it refuses by its real place: its position in the
call ("text 3"), or the name the caller gives (`rnnlab translate`: "FILE: line 3", "standard
input: line 3"), never "text 1" for all (rnnlab/tasks/translate/decode.py)."""

from __future__ import annotations

import pytest
from test_cli_batch_faults import TASK, refused, run, texts_file
from test_text_rule_faults import in_repo, models_load_once, repo  # noqa: F401

from rnnlab.tasks.translate.decode import TranslationInputError, Translator

GOOD = "eu gosto de gatos"
BAD = {"empty": ("!!!", " is empty after normalisation (expected at least one word)"),
       "all-unknown": ("xylograph qwerty", ": no word of it is in the training vocabulary "
                                           "(xylograph qwerty)"),
       "too-long": ("gato " * 31, " has 31 words, more than max_input_words (30); the model "
                                  "learned from sentences of at most 4 words"),
       "not-utf8": ("gato \udcff", ": not UTF-8 text")}


@pytest.fixture(scope="module")
def translator(repo):  # noqa: F811 (the fixture imported above)
    return Translator(repo / "models" / "por_eng")


@pytest.mark.parametrize("fault", BAD)
@pytest.mark.parametrize("position", [1, 2, 3])
def test_a_refused_sentence_is_named_by_its_position(translator, fault, position):
    texts = [GOOD, GOOD, GOOD]
    texts[position - 1] = BAD[fault][0]
    with pytest.raises(TranslationInputError) as raised:
        translator.encode_texts(texts, 30)
    assert str(raised.value) == f"text {position}{BAD[fault][1]}"


@pytest.mark.parametrize("fault", BAD)
def test_a_refused_sentence_is_named_as_the_caller_names_it(translator, fault):
    with pytest.raises(TranslationInputError) as raised:
        translator.encode_texts([GOOD, BAD[fault][0]], 30, ["a.txt: line 7", "a.txt: line 9"])
    assert str(raised.value) == f"a.txt: line 9{BAD[fault][1]}"


@pytest.mark.parametrize("source", ["arguments", "file", "stdin"])
def test_translate_names_each_refused_line_by_its_number(tmp_path, source):
    texts = [GOOD, "!!!", GOOD, "xylograph qwerty"]
    argv, stdin = ["translate", *TASK["translate"]], None
    if source == "arguments":
        argv, names = [*argv, *texts], ["text 2", "text 4"]
    elif source == "file":
        path = texts_file(tmp_path, texts)
        argv, names = [*argv, "--file", str(path)], [f"{path}: line 2", f"{path}: line 4"]
    else:
        stdin, names = "\n".join(texts).encode(), ["standard input: line 2",
                                                   "standard input: line 4"]
    code, out, err = run(argv, stdin)
    assert refused(code, err, "translate") == [f"{names[0]}{BAD['empty'][1]}",
                                               f"{names[1]}{BAD['all-unknown'][1]}"]
    lines = out.split("\n")
    assert len(lines) == 5 and lines[1] == lines[3] == "" and lines[0] == lines[2] != ""
