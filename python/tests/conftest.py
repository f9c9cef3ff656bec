"""pytest setup: the Spillway library under test (SPILLWAY_LIB, else the one installed in
the package), vLLM 0.33.0 when it is importable, scratch directories on a file system
with O_DIRECT (/tmp on ext4 here, or SPILLWAY_TEST_DIR)."""

from __future__ import annotations

import os
import pathlib
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))


def vllm_available() -> bool:
    try:
        import vllm.v1.kv_offload.tiering.manager  # noqa: F401
    except Exception:
        return False
    return True


requires_vllm = pytest.mark.skipif(
    not vllm_available(), reason="vLLM 0.33.0 is not importable (run under scripts/vllm-env.sh's venv)")


@pytest.fixture
def scratch():
    base = os.environ.get("SPILLWAY_TEST_DIR", "/tmp")
    path = tempfile.mkdtemp(prefix="spillway-py-", dir=base)
    yield path
    shutil.rmtree(path, ignore_errors=True)
