import os
import sys
from pathlib import Path

import pytest

from harness.target import load_target
from harness.worker import IsolatedRunner

TESTS = Path(__file__).resolve().parent
FAULTY_DIR = TESTS / "faulty_targets"

# The deliberately broken components stand for an installed stack: importable by name, in this
# process and in the worker and fuzzer processes the harness starts.
COMPONENTS = str(TESTS / "components")
sys.path.insert(0, COMPONENTS)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [COMPONENTS, os.environ.get("PYTHONPATH")]))


@pytest.fixture(scope="module")
def faulty_runner():
    with IsolatedRunner(
        load_target("faulty", FAULTY_DIR), targets_dir=FAULTY_DIR, timeout=2, rss_limit_mb=1024
    ) as runner:
        yield runner


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "work"
