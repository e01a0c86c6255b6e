"""One text rule for every command and for the exported SavedModel (docs/serving.md, "Text
rules"; rnnlab/cli_input.py, rnnlab/tasks/classify/export.py):

- each rule (a NUL byte, text that is not UTF-8, a byte-order mark alone, an empty text, no
  known word, a CR, LF or tab inside a text) holds alike for `predict`, `translate`, `score`
  and `generate`'s prompt; an empty prompt is the one exception (a new line);
- a file that is not UTF-8 is refused whole, naming it, by every command that reads files;
- the SavedModel answers or refuses each text as `rnnlab predict` does, with the same message:
  a NUL byte does not cut a text (TensorFlow's lower-casing would), bad UTF-8 is not mended,
  and an empty or all-unknown text is refused, not classified.

The models are tiny but real; each test leaves the repository as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli_batch_faults import (  # noqa: F401 (fixtures)
    GOOD,
    PARAMS,
    TASK,
    TRANSLATION_EVAL,
    UNKNOWN,
    in_repo,
    models_load_once,
    refused,
    run,
    texts_file,
)

from rnnlab.text.vocab import EOL

COMMANDS = [*TASK, "generate"]
PROMPT = ["generate", "--task", "sonnets", "--words", "3", "--temperature", "0", "--prompt"]
LM_TEXT = "thy love thy fair rose"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository with a trained classifier (imdb), an n-gram scorer and a language model
    (sonnets), and a translator (por_eng)."""
    import keras
    from test_export import CASES, model_folder
    from test_language_model import lm_params
    from test_translation import save_toy_model, train_params

    from rnnlab.core.model_folder import save_model_folder
    from rnnlab.tasks.lm.model import build_language_model
    from rnnlab.tasks.lm.ngram_eval import save_scorer
    from rnnlab.tasks.lm.params import NgramParams
    from rnnlab.text.vocab import build_vocab

    root = tmp_path_factory.mktemp("repo")
    (root / "dvc.yaml").write_text("stages: {}\n")
    (root / "params.yaml").write_text(PARAMS)
    models = root / "models"
    labels, standardize, sequences, train = CASES["binary-pre-masked-concat"]
    model_folder(models / "imdb", labels, standardize, sequences, **train)
    save_toy_model(models / "por_eng", train_params(architecture="basic", attention=None,
                                                    bidirectional=False))
    entry = root / "data" / "params" / "evaluate_translation" / "por_eng.json"
    entry.parent.mkdir(parents=True)
    entry.write_text(json.dumps(TRANSLATION_EVAL))
    words = build_vocab([LM_TEXT], reserved=[EOL])
    ids = np.asarray([words.index[t] for t in (EOL, *LM_TEXT.split(), EOL)])
    save_scorer(models / "ngram" / "sonnets.npz", ids, words,
                NgramParams(max_order=2, smoothings=["add_k"], k=0.5, discount=None,
                            score_order=2, score_smoothing="add_k"))
    keras.utils.set_random_seed(0)
    lm = build_language_model(lm_params(), len(words), many_to_many=True)
    save_model_folder(models / "sonnets", lm, "lm", {"task": "sonnets", "recipe": "windows",
                                                     "context": 5, "epochs_run": 1},
                      {"vocab.json": words})
    return root


@pytest.fixture(scope="module", autouse=True)
def lm_loads_once():
    from rnnlab.tasks.lm import generate

    loaded: dict[Path, object] = {}
    load = generate.load_keras_model

    def load_once(folder):
        return loaded[folder] if folder in loaded else loaded.setdefault(folder, load(folder))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate, "load_keras_model", load_once)
        yield


ANSWERS: dict[tuple[str, ...], str] = {}


def answer(argv: list[str]) -> str:
    """What `rnnlab argv` prints when it succeeds."""
    if tuple(argv) not in ANSWERS:
        code, out, err = run(argv)
        assert (code, err) == (0, ""), (argv, code, err)
        ANSWERS[tuple(argv)] = out
    return ANSWERS[tuple(argv)]


def batch_of(command: str, bad: str) -> tuple[list[str], str]:
    """The argv of `command` given a good text then `bad`, and the good text's answer."""
    good = GOOD[command][0]
    return [command, *TASK[command], good, bad], answer([command, *TASK[command], good])


# ------------------------------------------------------------------ refused, every command


RULES = {  # a bad text: (the text, what predict/translate/score say after "text 2", the prompt's)
    "nul": ("fi\0ne thy", " has a NUL byte at character 3 (expected plain text)",
            "the prompt has a NUL byte at character 3 (expected plain text)"),
    "not-utf8": ("fine \udcff thy", " is not UTF-8 text", "the prompt is not UTF-8 text"),
    "empty": ("", " is empty (expected at least one word)", None),
    "blank": ("\t \u3000", " is empty (expected at least one word)", None),
    "bom-only": ("\ufeff", "", "no token of the prompt '\\ufeff' is in the vocabulary"),
    "all-unknown": (UNKNOWN, ": no word of it is in the training vocabulary",
                    f"no token of the prompt {UNKNOWN!r} is in the vocabulary"),
}
CASES = [(command, rule) for rule in RULES for command in COMMANDS]


@pytest.mark.parametrize("command, rule", CASES, ids=[f"{c}-{r}" for c, r in CASES])
def test_a_text_rule_holds_for_every_command(command, rule):
    text, message, prompt_message = RULES[rule]
    if command == "generate":
        code, out, err = run([*PROMPT, text])
        if prompt_message is None:  # an empty prompt starts a new line
            assert (code, err) == (0, "") and len(out.split()) == 3
        else:
            assert (code, out, err) == (f"rnnlab generate: error: {prompt_message}", "", "")
        return
    argv, good = batch_of(command, text)
    code, out, err = run(argv)
    [line] = refused(code, err, command)
    assert line.startswith(f"text 2{message}"), line  # predict, score: the text quoted after
    assert out == good + "\n"


WHITESPACE = {"cr": "\r", "lf": "\n", "tab": "\t", "crlf": "\r\n", "ideographic": "\u3000"}
SPACED = [(command, name) for name in WHITESPACE for command in COMMANDS]


@pytest.mark.parametrize("command, name", SPACED, ids=[f"{c}-{n}" for c, n in SPACED])
def test_a_line_break_or_tab_inside_one_text_is_a_space(command, name):
    """Only a file or standard input is split into lines; inside an argument (and a SavedModel
    text) a CR or LF is whitespace between words, and the answer stays one line or block."""
    text = LM_TEXT if command == "generate" else GOOD[command][0]
    spaced = text.replace(" ", WHITESPACE[name])
    if command == "generate":
        assert answer([*PROMPT, spaced]) == answer([*PROMPT, text])
    else:
        out, expected = (answer([command, *TASK[command], t]) for t in (spaced, text))
        if command == "score":  # the text is echoed as given, its CR and LF as spaces
            echoed = spaced.replace("\r", " ").replace("\n", " ")
            assert out.startswith(echoed + "\t")
            out = text + out.removeprefix(echoed)
        assert out == expected


@pytest.mark.parametrize("command", TASK)
@pytest.mark.parametrize("where", ["file", "stdin"])
def test_a_file_or_stdin_that_is_not_utf8_is_refused_whole(tmp_path, command, where):
    data = GOOD[command][0].encode() + b"\n\xff\xfe bad\n"
    path = tmp_path / "texts.txt"
    path.write_bytes(data)
    argv = [command, *TASK[command]] + (["--file", str(path)] if where == "file" else [])
    code, out, err = run(argv, data if where == "stdin" else None)
    name, at = (path if where == "file" else "standard input"), data.index(0xFF)
    assert (code, out, err) == (f"rnnlab {command}: error: {name}: not UTF-8 text (invalid "
                                f"start byte at byte {at})", "", "")


@pytest.mark.parametrize("command", TASK)
def test_a_byte_order_mark_inside_a_text_is_a_character(tmp_path, command):
    """Only a file's (or standard input's) first BOM is dropped: a BOM inside a line glues to
    its word, which no model knows; the line is answered as one with that word unknown."""
    first, second = GOOD[command]
    path = texts_file(tmp_path, [first, "\ufeff" + UNKNOWN], bom=True)
    code, out, err = run([command, *TASK[command], "--file", str(path)])
    assert refused(code, err, command)[0].startswith(f"{path}: line 2")
    assert out == answer([command, *TASK[command], first]) + "\n"


# ------------------------------------------------------------------ SavedModel = predict


@pytest.fixture(scope="module")
def served(repo):
    """`serve` of the imdb export, written into a folder outside the repository."""
    import tensorflow as tf

    from rnnlab.tasks.classify.export import export_classifier

    out = export_classifier(repo / "models" / "imdb", repo.parent / f"{repo.name}-export")
    loaded = tf.saved_model.load(str(out))
    yield loaded
    del loaded


SERVED = {  # text sent to the SavedModel (bytes) and to `rnnlab predict` (str, as an argument)
    "good": "a fine story",
    "nul-middle": "fine\0 bad long plot",  # cut at the NUL, TensorFlow would read "fine"
    "nul-first": "\0fine",
    "bom-first": "\ufefffine bad plot",
    "bom-only": "\ufeff",
    "empty": "",
    "blank": " \t\u3000\u2028",
    "no-words": "!!! ...",
    "all-unknown": UNKNOWN,
    "not-utf8": b"fine \xff plot",
    "cr-inside": "bad\rlong\nplot",
    "mixed-case": "FINE Story, BAD plot!",
    "unknown-among-known": f"fine {UNKNOWN} plot",
}


@pytest.mark.parametrize("name", SERVED)
def test_the_saved_model_answers_or_refuses_each_text_as_predict_does(served, name):
    import tensorflow as tf

    text = SERVED[name]
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    argument = raw.decode("utf-8", "surrogateescape")  # how Python passes a non-UTF-8 argument
    result = served.serve(tf.constant([b"a fine story", raw]))
    label, error = (result[key].numpy()[1].decode() for key in ("label", "error"))
    probabilities = result["probabilities"].numpy()[1]
    assert result["error"].numpy()[0] == b""
    code, out, err = run(["predict", "--task", "imdb", "a fine story", argument])
    if code == 0:
        assert error == "" and err == ""
        predicted, probability = out.splitlines()[1].split("\t")
        assert label == predicted
        assert abs(probabilities[["neg", "pos"].index(label)] - float(probability)) <= 5e-5
    else:
        [message] = refused(code, err, "predict")
        assert error and (message == error or message.startswith(error + " ")), (message, error)
        assert label == "" and not probabilities.any() and out.splitlines()[1:] == [""]


def test_a_nul_byte_would_have_cut_the_text_and_flipped_its_label(served):
    """Why the NUL rule matters to the SavedModel: the text before the NUL alone gets another
    label than the whole text without the NUL, so cutting there would answer wrongly."""
    import tensorflow as tf

    texts = [b"fine", b"fine bad long plot", b"fine\0 bad long plot"]
    result = served.serve(tf.constant(texts))
    labels = [label.decode() for label in result["label"].numpy()]
    assert labels[0] != labels[1] and labels[2] == ""
    assert result["error"].numpy()[2] == b"text 3 has a NUL byte at character 5 (expected plain " \
                                         b"text)"
