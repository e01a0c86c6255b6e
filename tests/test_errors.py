"""Only the project's own errors become one line; any other exception is a bug and keeps its
traceback, so a bug is never disguised as a configuration error."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from rnnlab import cli
from rnnlab.core.errors import DataError, DownloadError, ParamsError, RnnlabError, UsageError

SCRIPT = """
import sys
from rnnlab.core.errors import DataError
from rnnlab.core.stage import run

def main(name):
    if name == "bad-input":
        raise DataError("data/x.npz: missing (run the stage that writes it first)")
    if name == "bug":
        {}["no such key"]

run(main)
"""


def run_stage(tmp_path, name):
    script = tmp_path / "demo.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script), name], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT)})


def test_a_stage_prints_its_own_errors_as_one_line(tmp_path):
    result = run_stage(tmp_path, "bad-input")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "demo bad-input: error: data/x.npz: missing (run the stage that writes it first)"]


def test_a_stage_keeps_the_traceback_of_a_bug(tmp_path):
    result = run_stage(tmp_path, "bug")
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback") and "KeyError: 'no such key'" in result.stderr


def test_every_expected_error_is_an_rnnlab_error():
    assert all(issubclass(e, RnnlabError) for e in (DataError, DownloadError, ParamsError,
                                                     UsageError))
    assert not issubclass(KeyError, RnnlabError) and not issubclass(OSError, RnnlabError)


def model_folder(root, task, family):
    folder = root / task
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    (folder / "meta.json").write_text(json.dumps({"family": family, "task": task,
                                                  "label_names": ["neg", "pos"]}))
    return folder


def complete_classifier(root, task):
    folder = model_folder(root, task, "classify")
    meta = json.loads((folder / "meta.json").read_text())
    meta |= {"maxlen": 10, "padding": "post", "truncating": "post", "unknown": "oov"}
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "vocab.json").write_text(json.dumps({"level": "word", "standardize": "keras",
                                                   "index_word": ["", "[UNK]"]}))
    return folder


def test_the_cli_names_a_model_folder_of_the_wrong_family(tmp_path, capsys):
    model_folder(tmp_path, "sonnets", "lm")
    with pytest.raises(SystemExit) as err:
        cli.main(["predict", "--task", "sonnets", "--models", str(tmp_path), "a film"])
    assert err.value.code == (f"rnnlab predict: error: {tmp_path / 'sonnets'}: a lm model, "
                              "expected a classify model")
    model_folder(tmp_path, "imdb", "classify")
    with pytest.raises(SystemExit) as err:
        cli.main(["generate", "--task", "imdb", "--models", str(tmp_path)])
    assert "a classify model, expected a lm model" in str(err.value.code)


def test_the_cli_lets_a_bug_through(tmp_path, monkeypatch):
    def broken(_args):
        raise ZeroDivisionError("a bug")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    for action in parser._subparsers._group_actions[0].choices.values():
        action.set_defaults(run=broken)
    with pytest.raises(ZeroDivisionError):
        cli.main(["score", "--task", "sonnets", "x"])


@pytest.mark.parametrize("top", ["0", "-1"])
def test_predict_refuses_a_top_below_one(tmp_path, top):
    with pytest.raises(SystemExit) as err:
        cli.main(["predict", "--task", "imdb", "--models", str(tmp_path), "--top", top, "x"])
    assert err.value.code == f"rnnlab predict: error: --top must be at least 1, got {top}"


def test_a_damaged_keras_file_is_one_line(tmp_path):
    from rnnlab.tasks.classify.predict import Classifier

    folder = complete_classifier(tmp_path, "imdb")
    (folder / "model.keras").write_bytes(b"not a zip at all")
    with pytest.raises(DataError, match=r"model.keras: not a loadable Keras model"):
        _ = Classifier(folder).model


def test_an_ngram_model_is_data_and_a_pickle_in_it_is_refused(tmp_path):
    import numpy as np

    from rnnlab.core.files import load_npz
    from rnnlab.tasks.lm.ngram_eval import load_scorer, save_scorer
    from rnnlab.tasks.lm.params import NgramParams
    from rnnlab.text.vocab import EOL, build_vocab

    vocab = build_vocab(["a b a c", "b a"], reserved=[EOL])
    ids = np.array([vocab.index[t] for t in [EOL, "a", "b", "a", "c", EOL, "b", "a", EOL]])
    params = NgramParams(max_order=2, smoothings=["add_k"], k=0.5, discount=None,
                         score_order=2, score_smoothing="add_k")
    save_scorer(tmp_path / "m.npz", ids, vocab, params)
    model, loaded = load_scorer(tmp_path / "m.npz")
    assert loaded.tokens == vocab.tokens and (model.order, model.smoothing) == (2, "add_k")
    # add-k: (c(a b) + k) / (c(a .) + k |V|), V = a b c EOL <s> </s> <UNK>
    assert model.logprob("b", ["a"]) == pytest.approx(np.log((1 + 0.5) / (3 + 0.5 * 7)))

    np.savez(tmp_path / "evil.npz", config=np.array([{"x": 1}], dtype=object))  # a pickle
    with pytest.raises(DataError, match=r"evil.npz: not a readable .npz file"):
        load_npz(tmp_path / "evil.npz")
    with pytest.raises(DataError, match=r"nothing.npz: no n-gram model"):
        load_scorer(tmp_path / "nothing.npz")


def test_a_model_folder_without_the_keys_its_family_needs_is_one_line(tmp_path):
    from rnnlab.tasks.classify.predict import Classifier

    folder = model_folder(tmp_path, "imdb", "classify")
    with pytest.raises(DataError, match=r"meta.json: no maxlen, padding, truncating, unknown "
                                        r"\(a damaged model folder"):
        Classifier(folder)
