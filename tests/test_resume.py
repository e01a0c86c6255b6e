"""Resumable training: a training killed with SIGKILL after an epoch and run again ends with the
weights, history and curves of an uninterrupted one, and leaves no backup behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

# A tiny classifier with dropout (its random state must be resumed too), frozen layers for the
# first epoch (a second training phase) and bucketed batches (a new order every epoch).
TRAIN = r"""
import json, os, signal, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
from rnnlab.tasks import fit
from rnnlab.tasks.classify.params import TrainParams
kill_after = int(sys.argv[2])
params = TrainParams(seed=3, optimizer="adam", learning_rate=0.01, clipnorm=None, batch_size=8,
    epochs=5, patience=10, deterministic=True, embedding="learned", embedding_dim=8,
    mask_zero=True, embedding_dropout=0.1, conv_filters=0, layers=1, cell="gru", units=8,
    bidirectional=False, dropout=0.2, recurrent_dropout=0.0, pooling="max", dense_units=0,
    class_weight="none", bucketing=True, bucket_span=2)
fit.set_seeds(params.seed, True)
import keras
from rnnlab.tasks import resume
from rnnlab.tasks.classify import data, model
rng = np.random.default_rng(0)
x = rng.integers(1, 50, (64, 10)).astype("int32")
y, lengths = (x[:, 0] > 25).astype("int32"), rng.integers(3, 11, 64)
classifier = model.build_classifier(params, 50, 2)
make_callback = resume.resume_callback
def killing_callback(*args):
    callback = make_callback(*args)
    save = callback.on_epoch_end
    def on_epoch_end(epoch, logs=None):
        save(epoch, logs)
        if epoch + 1 == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
    callback.on_epoch_end = on_epoch_end
    return callback
resume.resume_callback = killing_callback
history = fit.fit(classifier, data.train_dataset(x, y, lengths, params, "post"),
                  data.eval_dataset(x[:16], y[:16], lengths[:16], 16, "post"), params,
                  Path("live"), Path("backup"), frozen=["embedding"], freeze_epochs=1)
np.save("weights.npy", np.concatenate([w.ravel() for w in classifier.get_weights()]))
Path("history.json").write_text(json.dumps(history.history))
"""


def train(folder: Path, kill_after: int = 0) -> subprocess.CompletedProcess:
    folder.mkdir(exist_ok=True)
    script = folder / "train.py"
    script.write_text(TRAIN)
    return subprocess.run([sys.executable, str(script), str(ROOT), str(kill_after)], cwd=folder,
                          capture_output=True, text=True, timeout=300,
                          env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    assert train(folder).returncode == 0
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 3])  # in the frozen phase's end, and later
def test_a_killed_training_resumes_to_the_same_weights(uninterrupted, tmp_path, kill_after):
    killed = train(tmp_path, kill_after)
    assert killed.returncode == -9
    assert (tmp_path / "backup").is_dir() and not (tmp_path / "weights.npy").exists()
    resumed = train(tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    if kill_after > 1:  # the frozen phase was complete: the second phase went on from its backup
        assert f"{kill_after} epochs done" in resumed.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "weights.npy"),
                                  np.load(uninterrupted / "weights.npy"))
    history = json.loads((tmp_path / "history.json").read_text())
    assert history == json.loads((uninterrupted / "history.json").read_text())
    assert len(history["loss"]) == 5
    curve = (tmp_path / "live" / "plots" / "metrics" / "train" / "loss.tsv").read_text()
    assert curve == (uninterrupted / "live" / "plots" / "metrics" / "train" / "loss.tsv"
                     ).read_text()
    assert not list((tmp_path / "backup").rglob("*.h5"))  # gone once training completed


def test_a_backup_made_with_other_params_is_thrown_away(tmp_path):
    from rnnlab.tasks import resume

    backup, live = tmp_path / "backup", tmp_path / "live"
    backup.mkdir()
    (backup / resume.FINGERPRINT).write_text("another model")
    (backup / "training_metadata.json").write_text('{"epoch": 2, "batch": 0}')
    (backup / resume.STATE).write_text('{"epoch": 2}')
    live.mkdir()
    (live / "old.tsv").write_text("stale curve")
    assert resume.prepare(backup, "this model", live) == 0
    assert (backup / resume.FINGERPRINT).read_text() == "this model"
    assert not (backup / "training_metadata.json").exists() and not live.exists()
