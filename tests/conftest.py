import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run the test from an empty folder, as a stage runs from the repository root."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
