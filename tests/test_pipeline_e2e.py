"""The real `dvc repro`, in a temporary copy of the repository, on a tiny generated mirror."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tinyrepo import dvc, make_tiny_repo, ran_stages, repro_everything

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return make_tiny_repo(tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="module")
def first_run(repo, env):
    """DVC's output of the first `dvc repro` of everything."""
    output, last = repro_everything(repo, env)
    assert ran_stages(last) == {"summary"}, last  # the halves ran in a working order
    return output


def test_repro_runs_every_stage_and_writes_metrics(repo, env, first_run):
    assert ran_stages(first_run) == set(dvc(repo, env, "stage", "list", "--name-only").split())
    assert {f"{stage}@{task}" for task in ("imdb", "r8", "r52", "reuters46") for stage in
            ("prepare", "vocab", "sequences", "embeddings", "baseline", "evaluate")
            } <= ran_stages(first_run)
    # imdb, r52 and reuters46 from scratch; r8 (as tinyrepo sets it), two language models and
    # a translator from tiny pretrainings
    assert {"train@imdb", "train@r52", "train@reuters46", "prepare@reuters_pool",
            "pretrain@reuters", "finetune@r8", "finetune_translation@por_eng",
            "pretrain@shakespeare_char", "pretrain@shakespeare_word", "finetune_lm@sonnets",
            "finetune_lm@sheldon"
            } <= ran_stages(first_run)
    metrics = json.loads((repo / "metrics" / "imdb.json").read_text())
    assert {"accuracy", "loss", "precision", "recall", "f1", "macro_f1", "roc_auc",
            "baseline_accuracy", "baseline_macro_f1"} <= set(metrics)
    # the fake reviews carry a strong signal: a model that learned nothing sits near 0.5
    assert metrics["roc_auc"] > 0.8, metrics
    confusion = (repo / "plots" / "eval" / "imdb" / "confusion.csv").read_text().splitlines()
    assert confusion[0] == "actual,predicted" and len(confusion) == 1 + 120
    rows = [line.split(",") for line in confusion[1:]]  # the metric is the table's own count
    assert metrics["accuracy"] == round(sum(a == p for a, p in rows) / len(rows), 6)
    assert (repo / "plots" / "train" / "imdb" / "plots" / "metrics" / "train" / "loss.tsv").exists()
    assert (repo / "models" / "imdb" / "model.keras").exists()
    summary = (repo / "RESULTS.md").read_text()
    assert f"| imdb | {metrics['accuracy']:.4f} |" in summary
    assert "GRU(8); from pretrain.reuters" in summary


def test_a_fine_tuning_starts_from_its_pretraining_and_backups_are_gone(repo, first_run):
    pretrained = json.loads((repo / "metrics" / "pretrain" / "reuters.json").read_text())
    assert pretrained["val_perplexity"] > 1 and pretrained["train_tokens"] > 1000
    assert "finetune.r8: started from the pretrained embedding, gru_0" in first_run
    assert "finetune_lm.sheldon: started from the pretrained embedding, gru_0" in first_run
    assert not list((repo / ".rnnlab").rglob("*.h5"))  # every training completed: no backup


@pytest.mark.parametrize("task", ["r8", "r52", "reuters46"])
def test_topic_tasks_write_multiclass_metrics(repo, first_run, task):
    metrics = json.loads((repo / "metrics" / f"{task}.json").read_text())
    assert {"accuracy", "macro_f1", "weighted_f1", "loss", "baseline_accuracy",
            "baseline_macro_f1"} <= set(metrics)
    per_class = (repo / "plots" / "eval" / task / "per_class.csv").read_text().splitlines()
    assert per_class[0] == "class,precision,recall,f1,support" and len(per_class) == 1 + 8


def test_second_repro_runs_nothing(repo, env, first_run):
    assert ran_stages(dvc(repo, env, "repro")) == set()


def test_metrics_show_lists_the_task(repo, env, first_run):
    shown = json.loads(dvc(repo, env, "metrics", "show", "--json"))
    assert "imdb.json" in json.dumps(shown)


def test_plots_show_renders_offline_with_titles_and_epochs(repo, env, first_run, tmp_path):
    """`dvc plots show` writes a page that carries vega itself (no CDN), with every plot of
    dvc.yaml titled by task and the curves' x axis in epochs."""
    dvc(repo, env, "plots", "show", "-o", str(tmp_path))
    page = (tmp_path / "index.html").read_text()
    assert "cdn.jsdelivr" not in page and "<!-- vega-embed 6.18.2 -->" in page
    assert '"text": "imdb: loss per epoch (training, validation)"' in page
    assert '"text": "r52: confusion matrix, test split"' in page
    assert '"labelExpr": "datum.value + 1"' in page and '"title": "epoch"' in page


def test_predict_cli_uses_the_trained_model(repo, env, first_run):
    rnnlab = str(Path(sys.executable).parent / "rnnlab")
    result = subprocess.run([rnnlab, "predict", "--task", "imdb", "great wonderful superb film",
                             "awful boring dreadful film"], cwd=repo, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [row[0] for row in lines] == ["pos", "neg"], result.stdout
    empty = subprocess.run([rnnlab, "predict", "--task", "imdb", "  "], cwd=repo, env=env,
                           capture_output=True, text=True)
    assert empty.returncode != 0
    assert empty.stderr.strip() == "rnnlab predict: error: text 1 is empty (expected at least " \
                                   "one word)"


def test_predict_works_from_any_folder_quietly_and_the_same_from_every_input(repo, env,
                                                                           first_run, tmp_path):
    rnnlab = str(Path(sys.executable).parent / "rnnlab")
    texts = ["great wonderful superb film", "awful boring\u2028dreadful film"]  # U+2028 inside
    (tmp_path / "reviews.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")

    def predict(*args, cwd=repo / "plots", stdin=None):
        result = subprocess.run([rnnlab, "predict", "--task", "imdb", *args], cwd=cwd, env=env,
                                capture_output=True, text=True, input=stdin)
        assert result.returncode == 0 and result.stderr == "", result.stderr  # no TF chatter
        return result.stdout

    from_args = predict(*texts)
    assert len(from_args.splitlines()) == 2
    assert predict("--file", str(tmp_path / "reviews.txt")) == from_args
    assert predict(stdin="\n".join(texts) + "\n") == from_args
    punctuation = subprocess.run([rnnlab, "predict", "--task", "imdb", "?!"], cwd=repo, env=env,
                                 capture_output=True, text=True)
    assert punctuation.stderr == ("rnnlab predict: error: text 1 has no words after "
                                  "standardization ('?!')\n")


def test_predict_prints_the_top_topics(repo, env, first_run):
    rnnlab = str(Path(sys.executable).parent / "rnnlab")
    result = subprocess.run([rnnlab, "predict", "--task", "r8", "crude crude oil prices"],
                            cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    fields = result.stdout.strip().split("\t")
    assert len(fields) == 6  # three (topic, probability) pairs
    probabilities = [float(f) for f in fields[1::2]]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0001


def test_changing_a_train_param_reruns_only_train_and_evaluate(repo, env, first_run):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["train"]["r52"]["units"] = 6
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # `params` re-runs as the only stage that reads params.yaml itself; summary describes each
    # model from its `train` entry; figures of imdb are drawn from its curves and confusion matrix
    assert ran_stages(dvc(repo, env, "repro")) == {"params", "train@r52", "evaluate@r52",
                                                   "combine@r52", "summary", "figures@r52"}
    assert json.loads((repo / "data" / "params" / "train" / "r52.json").read_text())[
        "units"] == 6
    assert yaml.safe_load((repo / "params.resolved.yaml").read_text())["train"]["r52"][
        "units"] == 6  # what `dvc params diff` and `dvc exp show` list


def test_a_mistyped_param_fails_in_one_line_and_writes_nothing(repo, env, first_run):
    before = (repo / "data" / "params" / "evaluate" / "imdb.json").read_bytes()
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["evaluate"]["imdb"]["treshold"] = 0.4
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    result = subprocess.run([sys.executable, "stages/params.py", "all"], cwd=repo, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "params all: error: params.yaml: evaluate.imdb.treshold: unknown key "
        "(expected one of: batch_size, samples, threshold)"]
    assert (repo / "data" / "params" / "evaluate" / "imdb.json").read_bytes() == before
    assert not list((repo / "data").glob(".params.*"))  # no half-written folder left behind


@pytest.mark.parametrize("task, section", [("por_eng", "finetune_translation"),
                                           ("por_eng_basic", "train_translation")])
def test_translation_tasks_write_bleu_and_the_baseline(repo, first_run, task, section):
    assert {"prepare@por_eng", f"{section}@{task}", f"evaluate_translation@{task}"} <= \
        ran_stages(first_run)
    metrics = json.loads((repo / "metrics" / f"{task}.json").read_text())
    assert {"bleu", "chrf", "token_accuracy", "baseline_bleu", "baseline_chrf"} <= set(metrics)
    import pandas as pd

    pairs = pd.read_parquet(repo / "data" / "prepared" / "por_eng.parquet")
    test = pairs[pairs["split"] == "test"]
    assert (metrics["test_sentences"], metrics["test_pairs"]) == (test["text"].nunique(),
                                                                 len(test))
    samples = (repo / "metrics" / "samples" / f"{task}.md").read_text().splitlines()
    assert samples[0] == "| Portuguese | model | references |" and len(samples) == 2 + 3


def test_por_eng_split_is_leak_free(repo, first_run):
    import pandas as pd

    table = pd.read_parquet(repo / "data" / "prepared" / "por_eng.parquet")
    assert len(table) == 36  # the fake mirror's repeated pairs are dropped
    assert table.groupby("text")["split"].nunique().max() == 1
    assert set(table["split"]) == {"train", "val", "test"}


def test_translate_cli_normalises_and_refuses_bad_input_in_one_line(repo, env, first_run):
    rnnlab = str(Path(sys.executable).parent / "rnnlab")

    def translate(*args):
        return subprocess.run([rnnlab, "translate", *args], cwd=repo, env=env,
                              capture_output=True, text=True)

    result = translate("O gato gosta de PEIXE!", "--beam", "3")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert translate("o cão gosta de leite", "--beam", "1").returncode == 0
    for args, message in [(["?!"], "text 1 is empty after normalisation"),
                          (["xyzzy plugh"], "text 1: no word of it is in the training vocabulary"),
                          (["gato " * 31], "text 1 has 31 words, more than max_input_words"),
                          (["--beam", "0", "o gato"], "--beam must be at least 1")]:
        bad = translate(*args)
        assert bad.returncode != 0
        # TensorFlow may log its start-up lines first; the error itself is one line, no traceback
        assert "Traceback" not in bad.stderr, bad.stderr
        assert bad.stderr.strip().splitlines()[-1].startswith(
            f"rnnlab translate: error: {message}"), bad.stderr


LM_TASKS = ("sonnets", "shakespeare_char", "shakespeare_word", "sheldon")


@pytest.mark.parametrize("task", LM_TASKS)
def test_language_models_report_rnn_and_ngram_scores(repo, first_run, task):
    trained = "finetune_lm" if task in ("sonnets", "sheldon") else "train_lm"
    assert {f"{stage}@{task}" for stage in ("lm_sequences", "ngram", trained, "evaluate_lm")
            } <= ran_stages(first_run)
    metrics = json.loads((repo / "metrics" / f"{task}.json").read_text())
    if task.endswith("_char") or task == "sheldon":
        keys = ("val_loss_nats", "bits_per_char", "ngram_val_loss_nats")
        assert metrics["bits_per_char"] == pytest.approx(metrics["val_loss_nats"] / 0.6931471805,
                                                         rel=1e-6)
        loss = "val_loss_nats"
    else:
        keys = ("perplexity", "ngram_perplexity")
        loss = "perplexity"
    # beside the static score: dynamic evaluation and the Kneser-Ney mixture (second half)
    keys += (f"{loss}_dynamic", f"{loss}_interpolated", f"{loss}_second_half")
    assert all(metrics[k] > 0 for k in keys), metrics
    assert 0 <= metrics["interpolation_weight"] <= 1
    # the fake text is a fixed cycle of words: any working model is far better than uniform
    table = json.loads((repo / "data" / "ngram" / f"{task}.json").read_text())
    assert min(row[f"{metrics['split']}_perplexity"] or 1e9 for row in table["models"]) < 5
    samples = (repo / "metrics" / "samples" / f"{task}.md").read_text()
    assert samples.count("### prompt") == 3


def test_generate_and_score_cli(repo, env, first_run):
    rnnlab = str(Path(sys.executable).parent / "rnnlab")

    def cli(*args):
        return subprocess.run([rnnlab, *args], cwd=repo, env=env, capture_output=True, text=True)

    args = ["generate", "--task", "sonnets", "--prompt", "Thy LOVE", "--words", "7",
            "--temperature", "0.8", "--top-k", "5", "--seed", "3"]
    first = cli(*args)  # the same seed gives the same text: test_language_model.py checks it
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("thy love ")
    generated = first.stdout[:-1]  # print's own newline off; the rest are generated line ends
    assert len(generated.split()) + generated.count("\n") == 2 + 7
    greedy = cli("generate", "--task", "shakespeare_char", "--prompt", "Thy", "--chars", "30",
                 "--temperature", "0")
    assert greedy.returncode == 0 and greedy.stdout.startswith("Thy")
    scored = cli("score", "--task", "sonnets", "thy love rose")
    assert scored.returncode == 0, scored.stderr
    rows = scored.stdout.splitlines()
    assert rows[0].startswith("thy love rose\tlog P = ") and len(rows) == 1 + 4
    probabilities = [float(row.split("\t")[1]) for row in rows[1:]]
    assert all(0 < p <= 1 for p in probabilities)
    for args, message in [(["generate", "--task", "sonnets", "--prompt", "zebra"],
                           "no token of the prompt 'zebra' is in the vocabulary"),
                          (["generate", "--task", "sonnets", "--temperature", "-1"],
                           "temperature must be 0 (greedy) or positive"),
                          (["generate", "--task", "sonnets", "--top-k", "100000"],
                           "top-k must be between 0 (all) and"),
                          (["generate", "--task", "sheldon", "--words", "3"],
                           "sheldon generates characters: use --chars"),
                          (["score", "--task", "sonnets", ""], "text 1 is empty")]:
        bad = cli(*args)
        assert bad.returncode != 0 and "Traceback" not in bad.stderr
        # checked before TensorFlow loads, so the error is all there is on stderr
        assert bad.stderr.strip().splitlines() == [bad.stderr.strip()], bad.stderr
        assert bad.stderr.startswith(f"rnnlab {args[0]}: error: {message}"), bad.stderr
