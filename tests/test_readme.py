"""Every README example runs, in order, after what scripts/demo does, on a copy of the project.

The copy holds the bundled data and pipelines (copied, so that nothing is written into the
checkout) with ``../shared`` beside it, as on the project's machines; the commands run with the
installed ``fovlabel`` first on PATH. The README's own first block (scripts/demo, scripts/test) is
not run here: it would set up a virtual environment and run this very suite.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SHARED

BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.M | re.S)


#: the docs pages, in the order their examples run after the README's (they may use its labels)
DOCS = ("labelling.md", "formats.md", "writing.md", "trainers.md", "correspondences.md", "benchmarks.md",
        "development.md")


def readme_examples() -> list[tuple[str, str]]:
    """(language, code) of every bash and python block from the README's "## Use" on, then of
    every docs page's (DOCS)."""
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Use\n")
    blocks = [(m.group(1), m.group(2)) for m in BLOCK.finditer(text, start)]
    for page in DOCS:
        blocks += [(m.group(1), m.group(2)) for m in BLOCK.finditer((ROOT / "docs" / page).read_text())]
    return blocks


def test_every_docs_page_is_linked_from_the_readme_and_the_readme_is_a_reference():
    text = (ROOT / "README.md").read_text()
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert pages == sorted(DOCS)
    for page in pages:
        assert f"(docs/{page})" in text, page
    assert text.count("\n") <= 300


def demo_commands() -> list[str]:
    """The fovlabel commands scripts/demo runs (labels, summaries, pictures), in order."""
    lines = (ROOT / "scripts" / "demo").read_text().splitlines()
    return [line for line in lines if line.startswith("fovlabel ")]


def test_the_readme_has_the_examples_this_test_runs():
    kinds = [kind for kind, _ in readme_examples()]
    assert kinds.count("bash") >= 2 and "python" in kinds
    assert any(line.startswith("fovlabel run") for line in demo_commands())


@pytest.fixture
def project_copy(tmp_path):
    if not SHARED.exists():
        pytest.skip(f"README examples skipped: they read {SHARED}, which is absent")
    repo = tmp_path / "fovlabel"
    repo.mkdir()
    for name in ("sample_data", "pipelines"):
        shutil.copytree(ROOT / name, repo / name)
    (repo / "docs").mkdir()
    (tmp_path / "shared").symlink_to(SHARED.parent, target_is_directory=True)
    venv = Path(sys.prefix)
    (repo / ".venv").symlink_to(venv, target_is_directory=True)  # `source .venv/bin/activate`
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "MPLBACKEND": "Agg"}
    return repo, env


def _run(kind, code, repo, env):
    command = ["bash", "-euo", "pipefail", "-c", code] if kind == "bash" else [sys.executable, "-c", code]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_every_readme_example_runs_in_order_after_the_demo(project_copy):
    repo, env = project_copy
    for line in demo_commands():
        done = _run("bash", line, repo, env)
        assert done.returncode == 0, f"scripts/demo: {line}\n{done.stdout}\n{done.stderr}"
    for k, (kind, code) in enumerate(readme_examples()):
        done = _run(kind, code, repo, env)
        assert done.returncode == 0, (f"README example {k + 1} ({kind}) failed:\n{code}\n"
                                      f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
    assert (repo / "labels" / "munich" / "pairs.parquet").is_file()
    assert (repo / "exports" / "kitti06_hloc" / "pairs.txt").is_file()
    assert (repo / "corr" / "kitchen" / "correspondences.parquet").is_file()  # docs/correspondences.md ran
    assert (repo / "labels" / "city_dask" / "pairs.parquet").is_file()  # docs/labelling.md ran
