from pathlib import Path

import pytest

from harness.target import ROOT, load_target
from harness.worker import IsolatedRunner

FAULTY_DIR = ROOT / "tests" / "faulty_targets"


@pytest.fixture(scope="module")
def faulty_runner():
    with IsolatedRunner(
        load_target("faulty", FAULTY_DIR), targets_dir=FAULTY_DIR, timeout=2, rss_limit_mb=1024
    ) as runner:
        yield runner


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "work"
