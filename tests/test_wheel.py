"""The product works from a built wheel, not only from the source tree: the price book and every
other file read at run time ship inside the package."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_runs(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(ROOT)],
        check=True, capture_output=True)
    wheel = next(dist.glob("llmcost-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "llmcost/_data/pricing/anthropic.yaml" in names
    assert "llmcost/cli/__init__.py" in names

    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True)
    # dependencies come from the test environment's site-packages, appended after the fresh
    # venv's own (a path listed in a .pth file: its own .pth files, e.g. the editable install of
    # llmcost, are not processed, so llmcost can only come from the wheel)
    fresh_site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    Path(fresh_site, "deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    where = subprocess.run([str(py), "-c", "import llmcost; print(llmcost.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert where.startswith(str(env_dir)), where

    r = subprocess.run(
        [str(env_dir / "bin" / "llmcost"), "analyze", str(DATA / "generic" / "tracker.csv"),
         "--db", ":memory:", "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["totals"]["calls"] == 5
    # the break-even defaults ship beside the price book (pricing/breakeven/, not read as a book file)
    assert "llmcost/_data/pricing/breakeven/breakeven.yaml" in names
    r = subprocess.run(
        [str(env_dir / "bin" / "llmcost"), "breakeven", str(DATA / "generic" / "tracker.csv"),
         "--db", ":memory:", "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["command"] == "breakeven"
