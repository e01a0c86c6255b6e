"""Faults in what a user gives the `rnnlab` command: empty, blank or non-UTF-8 text (as
arguments, in --file or on standard input), a folder or a missing file for --file, numbers
out of range or not numbers for every numeric option, a missing, mis-pointed or wrong-family
models folder, a damaged decoding-params entry, unknown commands and options.

Each ends as `rnnlab <command>: error: <one line>` (the `SystemExit` code), as argparse's
usage error (exit 2), or, for a text refused on its own, as one such line per refused text on
standard error, an empty line in its place on standard output and exit status 1; all before any
Keras model loads (a test fails if one does), and writing nothing. The runs happen in a
temporary folder made to look like a repository (dvc.yaml and params.yaml), so the CLI never
reads the real models/ or data/.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from faultkit import one_line, snapshot

from rnnlab import cli
from rnnlab.text.vocab import EOL

# the tasks the CLI knows without a trained model (any other --task is unknown)
PARAMS = ("train: {imdb: {}}\ntrain_lm: {sonnets: {}}\nngram: {sonnets: {}}\n"
          "finetune_translation: {por_eng: {}}\n")
TRANSLATION_EVAL = {"data": "por_eng", "beam_width": 5, "length_penalty": 1.0,
                    "max_output_len": 20, "max_input_words": 30, "batch_size": 500, "samples": 20}


@pytest.fixture
def repo(in_tmp, monkeypatch) -> Path:
    """An empty repository (the CLI finds it by its dvc.yaml and params.yaml); no model loads."""
    (in_tmp / "dvc.yaml").write_text("stages: {}\n")
    (in_tmp / "params.yaml").write_text(PARAMS)

    def load(folder):
        raise AssertionError(f"loaded the Keras model of {folder}")

    for loader in ("rnnlab.tasks.classify.predict.load_inference_model",
                   "rnnlab.tasks.lm.generate.load_keras_model",
                   "rnnlab.tasks.translate.decode.load_keras_model"):
        monkeypatch.setattr(loader, load)
    return in_tmp


def folder(repo: Path, task: str, meta: dict, vocabs: dict[str, dict]) -> Path:
    path = repo / "models" / task
    path.mkdir(parents=True)
    (path / "model.keras").write_bytes(b"")  # never read: every fault is found before
    (path / "meta.json").write_text(json.dumps(meta))
    for name, vocab in vocabs.items():
        (path / name).write_text(json.dumps(vocab))
    return path


def vocab(tokens: list[str], level: str = "word") -> dict:
    return {"level": level, "standardize": "keras" if level == "word" else "none",
            "index_word": ["", "[UNK]", *tokens]}


@pytest.fixture
def models(repo) -> Path:
    """A minimal folder of each kind, and the translator's decoding params entry."""
    folder(repo, "imdb", {"family": "classify", "label_names": ["neg", "pos"], "maxlen": 10,
                          "padding": "pre", "truncating": "pre", "unknown": "oov"},
           {"vocab.json": vocab(["film", "good"])})
    folder(repo, "sonnets", {"family": "lm", "recipe": "prefixes", "context": 5,
                             "epochs_run": 1}, {"vocab.json": vocab([EOL, "thy", "love"])})
    folder(repo, "sheldon", {"family": "lm", "recipe": "windows", "context": 5,
                             "epochs_run": 1}, {"vocab.json": vocab([EOL, "a", "b"], "char")})
    entry = repo / "data" / "params" / "evaluate_translation" / "por_eng.json"
    entry.parent.mkdir(parents=True)
    entry.write_text(json.dumps(TRANSLATION_EVAL))
    return repo / "models"


def fails(argv: list[str], stdin: bytes | None = None, monkeypatch=None) -> str:
    """The one-line error `rnnlab` exits with; the folder it ran in is left as it was."""
    before = snapshot(Path.cwd())
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": io.BytesIO(stdin)})())
    with pytest.raises(SystemExit) as err:
        cli.main(argv)
    assert snapshot(Path.cwd()) == before
    message = err.value.code
    assert isinstance(message, str), f"exit code {message!r}, expected a message"
    assert message.startswith(f"rnnlab {argv[0]}: error: ") and "\n" not in message, message
    return message.removeprefix(f"rnnlab {argv[0]}: error: ")


def refused(argv: list[str], capsys, stdin: bytes | None = None, monkeypatch=None) -> list[str]:
    """The texts `rnnlab` refused one by one: exit status 1, an empty line on standard output
    for each of them, and one error line each on standard error (returned without the prefix);
    the folder it ran in is left as it was."""
    before = snapshot(Path.cwd())
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": io.BytesIO(stdin)})())
    capsys.readouterr()
    with pytest.raises(SystemExit) as err:
        cli.main(argv)
    assert snapshot(Path.cwd()) == before
    assert err.value.code == 1
    out, errors = capsys.readouterr()
    prefix = f"rnnlab {argv[0]}: error: "
    lines = errors.splitlines()
    assert lines and all(line.startswith(prefix) for line in lines), errors
    assert out == "\n" * len(lines), out
    return [line.removeprefix(prefix) for line in lines]


def usage_error(argv: list[str], capsys) -> str:
    """argparse's refusal: exit 2, and its message as the last line of standard error."""
    with pytest.raises(SystemExit) as err:
        cli.main(argv)
    assert err.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


# ------------------------------------------------------------------ texts


EMPTY = "is empty (expected at least one word)"


@pytest.mark.parametrize("argv, expected", [  # every text refused, so no model loads
    (["predict", "--task", "imdb", ""], [f"text 1 {EMPTY}"]),
    (["predict", "--task", "imdb", "   "], [f"text 1 {EMPTY}"]),
    (["predict", "--task", "imdb", "\t\u3000\u00a0"], [f"text 1 {EMPTY}"]),
    (["predict", "--task", "imdb", "\n", ""], [f"text 1 {EMPTY}", f"text 2 {EMPTY}"]),
    (["score", "--task", "sonnets", " "], [f"text 1 {EMPTY}"]),
    (["translate", "\t", "\n"], [f"text 1 {EMPTY}", f"text 2 {EMPTY}"]),
    (["predict", "--task", "imdb", "caf\udce9"], ["text 1 is not UTF-8 text"]),
    (["score", "--task", "sonnets", " ", "\udcff"], [f"text 1 {EMPTY}",
                                                     "text 2 is not UTF-8 text"]),
], ids=["empty", "spaces", "unicode-spaces", "two-empty", "score-blank", "translate-blank",
        "predict-not-utf8", "score-second-not-utf8"])
def test_a_bad_text_argument_is_refused(models, capsys, argv, expected):
    assert refused(argv, capsys) == expected


def test_a_prompt_that_is_not_utf8_is_refused(models):
    assert fails(["generate", "--task", "sonnets", "--prompt", "thy \udcff"]) == (
        "the prompt is not UTF-8 text")


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xfe bad", "{path}: not UTF-8 text (invalid start byte at byte 0)"),
    (b"a good film\nand \xe9 then\n", "{path}: not UTF-8 text (invalid continuation byte at "
                                      "byte 16)"),
    (b"", "no text given (pass it as an argument, with --file, or on stdin)"),
], ids=["not-utf8", "not-utf8-on-line-2", "empty"])
def test_a_bad_texts_file_is_refused(models, content, expected):
    (models.parent / "texts.txt").write_bytes(content)
    message = fails(["predict", "--task", "imdb", "--file", "texts.txt"])
    assert message == expected.format(path=models.parent / "texts.txt")


@pytest.mark.parametrize("content, lines", [
    (b"\n\n", [1, 2]),
    (b" \r\n\r\n\t\r\n", [1, 2, 3]),
    (b"\xef\xbb\xbf\n \t \n", [1, 2]),
], ids=["blank-lines", "crlf-blank-lines", "bom-whitespace-lines"])
def test_each_blank_line_of_a_texts_file_is_refused(models, capsys, content, lines):
    (models.parent / "texts.txt").write_bytes(content)
    path = models.parent / "texts.txt"
    assert refused(["predict", "--task", "imdb", "--file", "texts.txt"], capsys) == [
        f"{path}: line {line} {EMPTY}" for line in lines]


@pytest.mark.parametrize("command", ["predict", "score", "translate"])
@pytest.mark.parametrize("kind, reason", [("a-folder", "Is a directory"),
                                          ("missing", "No such file or directory")])
def test_a_file_option_that_is_not_a_file_is_named(models, command, kind, reason):
    if kind == "a-folder":
        (models.parent / "texts").mkdir()
    task = [] if command == "translate" else ["--task", "sonnets" if command == "score" else
                                              "imdb"]
    message = fails([command, *task, "--file", "texts"])
    assert message == f"{models.parent / 'texts'}: {reason}"


@pytest.mark.parametrize("stdin, expected", [
    (b"", "no text given (pass it as an argument, with --file, or on stdin)"),
    (b"\xff\xfe", "standard input: not UTF-8 text (invalid start byte at byte 0)"),
], ids=["empty", "not-utf8"])
def test_bad_standard_input_is_refused(models, monkeypatch, stdin, expected):
    assert fails(["predict", "--task", "imdb", "-"], stdin, monkeypatch) == expected


def test_a_blank_line_of_standard_input_is_refused(models, capsys, monkeypatch):
    assert refused(["predict", "--task", "imdb", "-"], capsys, b" \n\r", monkeypatch) == [
        f"standard input: line 1 {EMPTY}", f"standard input: line 2 {EMPTY}"]


def test_a_text_with_no_word_the_model_reads_is_refused(models, capsys):
    assert refused(["predict", "--task", "imdb", "!!! ... ???"], capsys) == [
        "text 1 has no words after standardization ('!!! ... ???')"]


def test_a_sentence_with_no_token_to_score_is_refused(models, capsys):
    from rnnlab.tasks.lm.ngram_eval import save_scorer
    from rnnlab.tasks.lm.params import NgramParams
    from rnnlab.text.vocab import build_vocab

    words = build_vocab(["thy love thy"], reserved=[EOL])
    ids = np.asarray([words.index[t] for t in (EOL, "thy", "love", "thy", EOL)])
    params = NgramParams(max_order=2, smoothings=["add_k"], k=0.5, discount=None, score_order=2,
                         score_smoothing="add_k")
    (models / "ngram").mkdir()
    save_scorer(models / "ngram" / "sonnets.npz", ids, words, params)
    with pytest.raises(SystemExit) as err:
        cli.main(["score", "--task", "sonnets", "thy love", "?!"])
    out, errors = capsys.readouterr()
    assert err.value.code == 1 and out.startswith("thy love\tlog P = ") and out.endswith("\n\n")
    assert errors == "rnnlab score: error: text 2 has no tokens after standardization\n"


def test_a_prompt_of_unknown_words_only_is_refused(models):
    assert fails(["generate", "--task", "sonnets", "--prompt", "zebra quartz"]) == (
        "no token of the prompt 'zebra quartz' is in the vocabulary")


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize("argv, expected", [
    (["generate", "--task", "sonnets", "--temperature", "-1"],
     "temperature must be 0 (greedy) or positive, got -1.0"),
    (["generate", "--task", "sonnets", "--temperature", "-0.01"],
     "temperature must be 0 (greedy) or positive, got -0.01"),
    (["generate", "--task", "sonnets", "--top-k", "-1"],
     "top-k must be between 0 (all) and 3, the tokens the model can produce; got -1"),
    (["generate", "--task", "sonnets", "--top-k", "4"],
     "top-k must be between 0 (all) and 3, the tokens the model can produce; got 4"),
    (["translate", "--beam", "0", "o gato"], "--beam must be at least 1, got 0"),
    (["translate", "--beam", "-2", "o gato"], "--beam must be at least 1, got -2"),
    (["generate", "--task", "sheldon", "--words", "5"], "sheldon generates characters: use "
                                                        "--chars"),
    (["generate", "--task", "sonnets", "--chars", "5"], "sonnets generates words: use --words"),
], ids=["temperature-minus-1", "temperature-slightly-negative", "top-k-minus-1",
        "top-k-above-vocabulary", "beam-0", "beam-minus-2", "words-for-a-char-model",
        "chars-for-a-word-model"])
def test_an_out_of_range_option_is_refused_before_the_model_loads(models, argv, expected):
    assert fails(argv) == expected


@pytest.mark.parametrize("argv, option, value", [
    (["generate", "--task", "sonnets", "--words", "0"], "--words", "0"),
    (["generate", "--task", "sonnets", "--words", "-1"], "--words", "-1"),
    (["generate", "--task", "sheldon", "--chars", "0"], "--chars", "0"),
    (["generate", "--task", "sonnets", "--words", "10001"], "--words", "10001"),
    (["generate", "--task", "sonnets", "--words", "1000000000"], "--words", "1000000000"),
    (["generate", "--task", "sheldon", "--chars", "50001"], "--chars", "50001"),
], ids=["words-0", "words-minus-1", "chars-0", "words-over", "words-billion", "chars-over"])
def test_a_length_out_of_range_names_its_option_and_range(models, argv, option, value):
    most = "10,000" if option == "--words" else "50,000"
    assert fails(argv) == f"{option} must be from 1 to {most}, got {value}"


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_temperature_that_is_not_finite_is_refused(models, value):
    message = fails(["generate", "--task", "sonnets", "--temperature", value])
    assert message.startswith("temperature must be") and str(float(value)) in message


@pytest.mark.parametrize("argv, expected", [
    (["predict", "--task", "imdb", "--top", "abc", "x"], "argument --top: invalid int value: "
                                                         "'abc'"),
    (["predict", "--task", "imdb", "--top", "1.5", "x"], "argument --top: invalid int value: "
                                                         "'1.5'"),
    (["generate", "--task", "sonnets", "--words", "ten"], "argument --words: invalid int value: "
                                                          "'ten'"),
    (["generate", "--task", "sheldon", "--chars", "2e2"], "argument --chars: invalid int value: "
                                                          "'2e2'"),
    (["generate", "--task", "sonnets", "--temperature", "warm"],
     "argument --temperature: invalid float value: 'warm'"),
    (["generate", "--task", "sonnets", "--top-k", "all"], "argument --top-k: invalid int value: "
                                                          "'all'"),
    (["generate", "--task", "sonnets", "--seed", "x1"], "argument --seed: invalid int value: "
                                                        "'x1'"),
    (["translate", "--beam", "wide", "o gato"], "argument --beam: invalid int value: 'wide'"),
], ids=["top-abc", "top-float", "words-ten", "chars-exponent", "temperature-word", "top-k-all",
        "seed-x1", "beam-wide"])
def test_an_option_that_is_not_a_number_is_a_usage_error(models, capsys, argv, expected):
    assert usage_error(argv, capsys) == f"rnnlab {argv[0]}: error: {expected}"


# ------------------------------------------------------------------ models and params


@pytest.mark.parametrize("argv, missing", [
    (["predict", "--task", "imdb", "a film"], "models/imdb/model.keras"),
    (["generate", "--task", "sonnets"], "models/sonnets/model.keras"),
    (["translate", "o gato"], "models/por_eng/model.keras"),
], ids=["predict", "generate", "translate"])
def test_a_missing_model_says_how_to_get_it(repo, argv, missing):
    entry = repo / "data" / "params" / "evaluate_translation" / "por_eng.json"
    entry.parent.mkdir(parents=True)
    entry.write_text(json.dumps(TRANSLATION_EVAL))
    assert fails(argv) == (f"{repo / missing}: no trained model (run `dvc repro` or `dvc pull` "
                           "first)")


def test_an_unknown_task_is_named_with_the_known_ones(repo):
    assert fails(["predict", "--task", "nosuch", "a film"]) == (
        "--task: unknown task 'nosuch' (expected one of the classification tasks: imdb)")


def test_a_missing_ngram_model_says_how_to_get_it(repo):
    assert fails(["score", "--task", "sonnets", "thy love"]) == (
        f"{repo / 'models/ngram/sonnets.npz'}: no n-gram model (run `dvc repro` or `dvc pull` "
        "first)")


def test_a_models_option_naming_a_file_is_refused(repo):
    (repo / "models.zip").write_bytes(b"PK")
    assert fails(["predict", "--task", "imdb", "--models", "models.zip", "a film"]) == (
        f"{repo / 'models.zip/imdb/model.keras'}: no trained model (run `dvc repro` or "
        "`dvc pull` first)")


@pytest.mark.parametrize("argv, folder_of, written, expected", [
    (["translate", "--task", "sonnets", "o gato"], "sonnets", "lm", "translate"),
    (["predict", "--task", "sonnets", "a film"], "sonnets", "lm", "classify"),
    (["generate", "--task", "imdb"], "imdb", "classify", "lm"),
], ids=["lm-as-translator", "lm-as-classifier", "classifier-as-lm"])
def test_a_model_of_another_family_is_named(models, argv, folder_of, written, expected):
    entry = models.parent / "data" / "params" / "evaluate_translation" / "sonnets.json"
    entry.write_text(json.dumps(TRANSLATION_EVAL))
    assert fails(argv) == f"{models / folder_of}: a {written} model, expected a {expected} model"


@pytest.mark.parametrize("content, expected", [
    (None, "{path}: missing (run `dvc repro params` or `dvc pull`)"),
    ("{", "{path}: not valid JSON (Expecting property name enclosed in double quotes at line 1)"),
    (json.dumps(TRANSLATION_EVAL | {"beam_width": 0}),
     "{path}: evaluate_translation.por_eng.beam_width: expected a value ≥ 1, got 0"),
    (json.dumps(TRANSLATION_EVAL | {"beam": 3}),
     "{path}: evaluate_translation.por_eng.beam: unknown key (expected one of: data, "
     "beam_width, length_penalty, max_output_len, max_input_words, batch_size, samples)"),
    (json.dumps([TRANSLATION_EVAL]),
     "{path}: evaluate_translation.por_eng: expected a mapping, got list"),
], ids=["missing", "not-json", "out-of-range", "unknown-key", "not-a-mapping"])
def test_a_bad_decoding_params_entry_is_named(models, content, expected):
    entry = models.parent / "data" / "params" / "evaluate_translation" / "por_eng.json"
    if content is None:
        entry.unlink()
    else:
        entry.write_text(content)
    assert fails(["translate", "o gato"]) == expected.format(path=entry)


# ------------------------------------------------------------------ commands and options


@pytest.mark.parametrize("argv, expected", [
    (["frobnicate"], "rnnlab: error: argument command: invalid choice: 'frobnicate' (choose "
                     "from 'predict', 'generate', 'score', 'translate'"),  # and any newer one
    ([], "rnnlab: error: the following arguments are required: command"),
    (["predict", "a film"], "rnnlab predict: error: the following arguments are required: "
                            "--task"),
    (["generate", "--task", "sonnets", "--colour", "red"], "rnnlab: error: unrecognized "
                                                           "arguments: --colour red"),
], ids=["unknown-command", "no-command", "no-task", "unknown-option"])
def test_an_unknown_command_or_option_is_a_usage_error(repo, capsys, argv, expected):
    message = usage_error(argv, capsys)
    assert message == expected or (argv == ["frobnicate"] and message.startswith(expected))


# ------------------------------------------------------------------ as a user runs it


def rnnlab(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "rnnlab.cli", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, expected", [
    (["predict", "--task", "imdb", "  "], f"rnnlab predict: error: text 1 {EMPTY}"),
    (["predict", "--task", "imdb", "--file", "bad.txt"], "rnnlab predict: error: {repo}/bad.txt: "
                                                         "not UTF-8 text (invalid start byte at "
                                                         "byte 0)"),
    (["translate", "--task", "sonnets", "o gato"], "rnnlab translate: error: {repo}/models/"
                                                   "sonnets: a lm model, expected a translate "
                                                   "model"),
], ids=["blank-text", "not-utf8-file", "wrong-family"])
def test_the_command_prints_one_line_and_nothing_else(models, args, expected):
    repo = models.parent
    (repo / "bad.txt").write_bytes(b"\xff\xfe bad")
    entry = repo / "data" / "params" / "evaluate_translation" / "sonnets.json"
    entry.write_text(json.dumps(TRANSLATION_EVAL))
    before = snapshot(repo)
    result = rnnlab(repo, *args)
    assert result.returncode == 1  # a refused text keeps its (empty) line on standard output
    assert result.stdout == ("\n" if args[-1] == "  " else "")
    assert one_line(result.stderr) == expected.format(repo=repo)
    assert snapshot(repo) == before
