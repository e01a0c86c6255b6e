"""Faults in a batch of texts given to `rnnlab predict`, `score` and `translate` (and in
`generate`'s prompt), and in how the CLI ends (rnnlab/cli.py, rnnlab/cli_input.py):

- batch rules: a bad text gets its own one-line error on standard error, naming it (`text 2`,
  `<file>: line 2`, `standard input: line 2`) and what was expected; the other texts are still
  answered, standard output keeps one answer per text in order (an empty line for a refused
  one), and the exit status is 1; when every text is refused no model loads;
- text rules, for every command that reads texts: a UTF-8 byte-order mark is dropped, CRLF, LF
  and a lone CR end a line in a file and on standard input alike, a NUL byte or a text with no
  word the model knows is refused;
- a closed output pipe ends the command quietly with status 141;
- an unknown `--task` is named with the known ones.

The models are tiny but real (a classifier, an n-gram scorer, a translator), built once for the
module in a folder made to look like a repository; every test checks that the repository is
left exactly as it was.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from faultkit import leftovers, one_line, snapshot

from rnnlab import cli
from rnnlab.text.vocab import EOL

PARAMS = ("train: {imdb: {}, r8: {}}\ntrain_lm: {sonnets: {}}\nngram: {sonnets: {}}\n"
          "finetune_translation: {por_eng: {}}\n")
TRANSLATION_EVAL = {"data": "por_eng", "beam_width": 1, "length_penalty": 1.0,
                    "max_output_len": 6, "max_input_words": 30, "batch_size": 64, "samples": 2}
TASK = {"predict": ["--task", "imdb"], "score": ["--task", "sonnets"], "translate": []}
GOOD = {"predict": ["a fine story", "bad long plot!"], "score": ["thy love", "fair rose, thy"],
        "translate": ["eu gosto de gatos", "ele tem um gato"]}
FIRST_WORD = {"predict": "fine xylograph", "score": "thy xylograph",  # known: the first word
              "translate": "gato xylograph"}
UNKNOWN = "xylograph qwerty"
EMPTY = " is empty (expected at least one word)"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository with a trained classifier (imdb), an n-gram scorer (sonnets), a translator
    (por_eng), a language-model folder whose model never loads (sonnets) and a classifier
    folder that params.yaml does not list (films)."""
    from test_export import CASES, model_folder
    from test_translation import save_toy_model, train_params

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
    words = build_vocab(["thy love thy fair rose"], reserved=[EOL])
    ids = np.asarray([words.index[t] for t in (EOL, *"thy love thy fair rose".split(), EOL)])
    save_scorer(models / "ngram" / "sonnets.npz", ids, words,
                NgramParams(max_order=2, smoothings=["add_k"], k=0.5, discount=None,
                            score_order=2, score_smoothing="add_k"))
    fake = {"sonnets": ({"family": "lm", "recipe": "prefixes", "context": 5, "epochs_run": 1},
                        [EOL, "thy", "love"]),
            "films": ({"family": "classify", "label_names": ["neg", "pos"], "maxlen": 10,
                       "padding": "pre", "truncating": "pre", "unknown": "oov"}, ["film"])}
    for task, (meta, tokens) in fake.items():
        (models / task).mkdir()
        (models / task / "model.keras").write_bytes(b"")  # never loaded
        (models / task / "meta.json").write_text(json.dumps(meta))
        (models / task / "vocab.json").write_text(json.dumps({
            "level": "word", "standardize": "keras", "index_word": ["", "[UNK]", *tokens]}))
    return root


@pytest.fixture(scope="module", autouse=True)
def models_load_once():
    """Each Keras model loads once for the module, not once per command: what is tested here
    is what the CLI does with the texts (loading has its own tests)."""
    from rnnlab.tasks.classify import predict
    from rnnlab.tasks.translate.decode import Translator

    loaded: dict[Path, object] = {}
    load, build = predict.load_inference_model, Translator._load

    def load_once(folder):
        return loaded[folder] if folder in loaded else loaded.setdefault(folder, load(folder))

    def build_once(self):
        if self._models is None:
            self._models = loaded.setdefault(self.folder, build(self))
        return self._models

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(predict, "load_inference_model", load_once)
        patch.setattr(Translator, "_load", build_once)
        yield


@pytest.fixture(autouse=True)
def in_repo(repo, monkeypatch):
    """Every test runs in the repository and leaves it exactly as it was."""
    monkeypatch.chdir(repo)
    before = snapshot(repo)
    yield repo
    assert snapshot(repo) == before and leftovers(repo) == []


def run(argv: list[str], stdin: bytes | None = None) -> tuple[int | str, str, str]:
    """`rnnlab argv` in this process: (exit status or message, standard output, standard
    error)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = type("Stdin", (), {"buffer": io.BytesIO(stdin or b"")})()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main(argv)
        code: int | str = 0
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


SOLO: dict[tuple[str, str], str] = {}


def solo(command: str, text: str) -> str:
    """What `command` answers for `text` given alone (printed lines, newline included)."""
    if (command, text) not in SOLO:
        code, out, err = run([command, *TASK[command], text])
        assert code == 0 and err == "", (code, err)
        SOLO[command, text] = out
    return SOLO[command, text]


def texts_file(folder: Path, lines: list[str], end: str = "\n", bom: bool = False) -> Path:
    path = folder / "texts.txt"
    path.write_bytes(("\ufeff" if bom else "").encode() + "".join(
        line + end for line in lines).encode("utf-8", "surrogatepass"))
    return path


def refused(code, err: str, command: str) -> list[str]:
    """The refused texts' messages: exit status 1 and one prefixed line each."""
    prefix = f"rnnlab {command}: error: "
    lines = err.splitlines()
    assert code == 1 and lines and all(line.startswith(prefix) for line in lines), (code, err)
    return [line.removeprefix(prefix) for line in lines]


# ------------------------------------------------------------------ batch rules


NO_WORDS = {"predict": " has no words after standardization ('!!! ...')",
            "score": " has no tokens after standardization",
            "translate": " is empty after normalisation (expected at least one word)"}
FAULTS = {  # a bad line: (text, what the error says after its name, per command)
    "empty": ("", dict.fromkeys(TASK, EMPTY)),
    "blank": (" \t\u3000", dict.fromkeys(TASK, EMPTY)),
    "nul": ("fine\0thy gato", dict.fromkeys(TASK, " has a NUL byte at character 5 (expected "
                                                  "plain text)")),
    "no-words": ("!!! ...", NO_WORDS),
    "all-unknown": (UNKNOWN, {
        "predict": f": no word of it is in the training vocabulary ({UNKNOWN!r})",
        "score": f": no word of it is in the training vocabulary ({UNKNOWN!r})",
        "translate": f": no word of it is in the training vocabulary ({UNKNOWN})"}),
}
CASES = [(command, fault) for fault in FAULTS for command in TASK] + [("translate", "too-long")]


@pytest.mark.parametrize("command, fault", CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_a_bad_line_is_refused_alone_and_the_others_are_answered(tmp_path, command, fault):
    if fault == "too-long":
        text, expected = "gato " * 31, (" has 31 words, more than max_input_words (30); the "
                                        "model learned from sentences of at most 4 words")
    else:
        text, expected = FAULTS[fault][0], FAULTS[fault][1][command]
    first, last = GOOD[command]
    path = texts_file(tmp_path, [first, text, last])
    code, out, err = run([command, *TASK[command], "--file", str(path)])
    assert refused(code, err, command) == [f"{path}: line 2{expected}"]
    assert out == solo(command, first) + "\n" + solo(command, last)


@pytest.mark.parametrize("command", TASK)
@pytest.mark.parametrize("source", ["arguments", "file", "stdin"])
def test_each_source_names_the_bad_text_its_own_way(tmp_path, command, source):
    texts = [GOOD[command][0], UNKNOWN]
    argv, stdin = [command, *TASK[command]], None
    if source == "arguments":
        argv, name = [*argv, *texts], "text 2"
    elif source == "file":
        path = texts_file(tmp_path, texts)
        argv, name = [*argv, "--file", str(path)], f"{path}: line 2"
    else:
        stdin, name = "\n".join(texts).encode(), "standard input: line 2"
    code, out, err = run(argv, stdin)
    message = one_line(err).removeprefix(f"rnnlab {command}: error: ")
    assert code == 1 and message.startswith(f"{name}: no word of it is in the training "), err
    assert out == solo(command, texts[0]) + "\n"


def test_several_bad_lines_are_each_named_in_order(tmp_path):
    path = texts_file(tmp_path, ["", "a fine story", "\0", UNKNOWN, "bad plot", " "])
    code, out, err = run(["predict", "--task", "imdb", "--file", str(path)])
    assert refused(code, err, "predict") == [
        f"{path}: line 1{EMPTY}", f"{path}: line 3 has a NUL byte at character 1 (expected "
        "plain text)", f"{path}: line 4: no word of it is in the training vocabulary "
        f"({UNKNOWN!r})", f"{path}: line 6{EMPTY}"]
    assert out.split("\n") == ["", solo("predict", "a fine story").strip(), "", "",
                               solo("predict", "bad plot").strip(), "", ""]


@pytest.mark.parametrize("command", TASK)
def test_when_every_text_is_refused_no_model_loads(monkeypatch, command):
    def load(*_):
        raise AssertionError("a model loaded")

    for loader in ("rnnlab.tasks.classify.predict.load_inference_model",
                   "rnnlab.tasks.translate.decode.load_keras_model",
                   "rnnlab.tasks.lm.ngram_eval.load_scorer"):
        monkeypatch.setattr(loader, load)
    code, out, err = run([command, *TASK[command], "-"], b"\r\n\0\n")
    assert refused(code, err, command) == [
        f"standard input: line 1{EMPTY}",
        "standard input: line 2 has a NUL byte at character 1 (expected plain text)"]
    assert out == "\n\n"


# ------------------------------------------------------------------ text rules


@pytest.mark.parametrize("command", TASK)
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_byte_order_mark_is_not_part_of_the_first_text(tmp_path, command, source):
    texts = [FIRST_WORD[command], GOOD[command][1]]  # glued to the BOM, the first word is unknown
    path = texts_file(tmp_path, texts, bom=True)
    argv = [command, *TASK[command]] + (["--file", str(path)] if source == "file" else ["-"])
    code, out, err = run(argv, path.read_bytes() if source == "stdin" else None)
    assert (code, err) == (0, "")
    assert out == solo(command, texts[0]) + solo(command, texts[1])


LINE_ENDS = {"lf": ["\n"] * 3, "crlf": ["\r\n"] * 3, "cr": ["\r"] * 3,
             "mixed": ["\r\n", "\r", "\n"]}


@pytest.mark.parametrize("source", ["file", "stdin"])
@pytest.mark.parametrize("ends", LINE_ENDS)
def test_crlf_lf_and_a_lone_cr_end_a_line_in_a_file_and_on_stdin(tmp_path, source, ends):
    texts = ["a fine story", "bad long plot", "fine\u2028music"]  # U+2028 stays inside a text
    data = "".join(text + end for text, end in zip(texts, LINE_ENDS[ends], strict=True))
    path = tmp_path / "texts.txt"
    path.write_bytes(data.encode())
    argv = ["predict", "--task", "imdb"] + (["--file", str(path)] if source == "file" else [])
    code, out, err = run(argv, data.encode() if source == "stdin" else None)
    assert (code, err) == (0, "")
    assert out == "".join(solo("predict", text) for text in texts)


@pytest.mark.parametrize("command", ["score", "translate"])
def test_a_lone_cr_ends_a_line_on_stdin_for_every_command(command):
    texts = GOOD[command]
    code, out, err = run([command, *TASK[command]], "\r".join(texts).encode())
    assert (code, err) == (0, "")
    assert out == solo(command, texts[0]) + solo(command, texts[1])


@pytest.mark.parametrize("argv, expected", [
    (["predict", "--task", "imdb", "a fine\0story"],
     "text 1 has a NUL byte at character 7 (expected plain text)"),
    (["score", "--task", "sonnets", "thy love", "\0"],
     "text 2 has a NUL byte at character 1 (expected plain text)"),
], ids=["predict-argument", "score-second-argument"])
def test_a_nul_byte_in_an_argument_is_refused(argv, expected):
    code, _, err = run(argv)
    assert refused(code, err, argv[0]) == [expected]


@pytest.mark.parametrize("prompt, expected", [
    ("thy\0love", "the prompt has a NUL byte at character 4 (expected plain text)"),
    (UNKNOWN, f"no token of the prompt {UNKNOWN!r} is in the vocabulary"),
], ids=["nul", "all-unknown"])
def test_generate_refuses_a_bad_prompt(prompt, expected):
    assert run(["generate", "--task", "sonnets", "--prompt", prompt]) == (
        f"rnnlab generate: error: {expected}", "", "")


# ------------------------------------------------------------------ pipes


@pytest.mark.parametrize("command", TASK)
def test_a_closed_output_pipe_ends_quietly_with_status_141(command):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    stdout = open(write, "w", encoding="utf-8")  # noqa: SIM115 (closed below, after the exit)
    saved = sys.stdout
    sys.stdout, err = stdout, io.StringIO()
    try:
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
            cli.main([command, *TASK[command], *GOOD[command]])
        print("more", flush=True)  # the descriptor leads to /dev/null now: no second error
    finally:
        sys.stdout = saved
        stdout.close()
    assert exit_.value.code == 141 and err.getvalue() == ""


def test_rnnlab_score_piped_into_head_ends_quietly(repo, tmp_path):
    path = texts_file(tmp_path, ["thy love fair rose thy love"] * 1000)  # more than a pipe holds
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "rnnlab.cli", "score", "--task", "sonnets",
                              "--file", str(path)], cwd=repo, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    first = child.stdout.readline()  # what `head -1` reads, before it exits
    child.stdout.close()
    try:
        status = child.wait(timeout=120)
    finally:
        child.kill()
    errors = child.stderr.read().decode()
    child.stderr.close()
    assert first.startswith(b"thy love fair rose thy love\tlog P = ")
    assert status == 141 and errors == ""


# ------------------------------------------------------------------ tasks


@pytest.mark.parametrize("argv, expected", [
    (["predict", "--task", "imbd", "a film"], "classification tasks: films, imdb, r8"),
    (["export", "--task", "imbd"], "classification tasks: films, imdb, r8"),
    (["generate", "--task", "sonets"], "language-model tasks: sonnets"),
    (["score", "--task", "sonets", "thy love"], "n-gram tasks: sonnets"),
    (["translate", "--task", "por_en", "o gato"], "translation tasks: por_eng"),
], ids=["predict", "export", "generate", "score", "translate"])
def test_an_unknown_task_is_named_with_the_known_tasks(argv, expected):
    started = time.perf_counter()
    code, out, err = run(argv)
    assert code == (f"rnnlab {argv[0]}: error: --task: unknown task {argv[2]!r} (expected one "
                    f"of the {expected})") and (out, err) == ("", "")
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("task", ["../imdb", "im\0db", ""], ids=["a-path", "nul", "empty"])
def test_a_task_that_is_not_a_name_is_unknown(task):
    code, _, _ = run(["predict", "--task", task, "a fine story"])
    assert code == (f"rnnlab predict: error: --task: unknown task {task!r} (expected one of the "
                    "classification tasks: films, imdb, r8)")


def test_a_task_of_params_yaml_without_a_model_says_how_to_get_it(repo):
    code, _, _ = run(["predict", "--task", "r8", "a fine story"])
    assert code == (f"rnnlab predict: error: {repo / 'models/r8/model.keras'}: no trained model "
                    "(run `dvc repro` or `dvc pull` first)")


def test_with_no_task_known_the_message_says_where_it_looked(tmp_path, monkeypatch):
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "params.yaml").write_text("train: [not, a, mapping]\n")
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(["predict", "--task", "imdb", "a fine story"])
    assert code == ("rnnlab predict: error: --task: unknown task 'imdb' (no classification task "
                    f"in {tmp_path / 'params.yaml'} or {tmp_path / 'models'})")
