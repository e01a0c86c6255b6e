import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run the test from an empty folder, as a stage runs from the repository root."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def env(tmp_path_factory):
    """The environment stages run in: a tiny generated mirror of every corpus, no analytics."""
    from fakedata import make_mirror

    mirror = make_mirror(tmp_path_factory.mktemp("mirror"))
    bin_dir = str(Path(sys.executable).parent)
    return os.environ | {"RNNLAB_MIRROR": str(mirror), "PATH": bin_dir + os.pathsep +
                         os.environ["PATH"], "TF_CPP_MIN_LOG_LEVEL": "3", "DVC_NO_ANALYTICS": "1"}


def real_params(path: Path = ROOT / "params.yaml") -> dict:
    """params.yaml with every `extends` resolved, as the params stage reads it: each entry's
    values in effect, and `shared` with each block resolved (no stage reads it). Tests read the
    real values only through this; `yaml.safe_load` would give an entry's own keys alone."""
    from rnnlab.core.params import read_yaml
    from rnnlab.sections import resolve_params

    return resolve_params(read_yaml(path), path)
