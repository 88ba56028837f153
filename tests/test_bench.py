"""The benchmark still runs end to end (its figures are read by people, not asserted here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_the_benchmark_runs_and_counts_upstream_calls() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--runs", "1", "--requests", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = {
        line.split(".")[0]: line
        for line in result.stdout.splitlines()
        if line[:2] in {"1.", "2.", "3.", "4.", "5.", "6.", "7."}
    }
    assert set(lines) == {"1", "2", "3", "4", "5", "6", "7"}
    assert "21 / 0" in lines["3"]  # leaderboard: cold calls / warm calls
    assert "= 1.00" in lines["4"]  # 50 concurrent leaderboards cost what one does
    assert "1 / 1" in lines["6"]  # ten caller scopes on one job cost the calls of one
    assert "bare Starlette, same bytes" in result.stdout
    # the 750-candidate job ordered by F1 against SageMaker's order, warm, a query 0.1.0 lacked
    assert "25 of 750 by F1, warm: ordered / SageMaker order" in lines["7"]
    assert re.search(r"[\d.]+ / [\d.]+ ms = [\d.]+ +new +<= 1\.3$", lines["7"]), lines["7"]
