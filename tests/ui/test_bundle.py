"""The installable bundle: PyInstaller builds it (installer/iopdesk.spec) and `iopdesk --self-test`
passes from it with no Python environment of ours in sight. Slow: builds in about a minute or two."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIZE_LIMIT = 250_000_000  # bytes unpacked


def unpacked_size(folder: Path) -> int:
    """Bytes of every file in `folder` (symbolic links count as themselves, not their target)."""
    return sum(path.lstat().st_size for path in folder.rglob("*") if not path.is_dir())


def clean_environment(home: Path) -> dict[str, str]:
    """A workstation's environment: system PATH only, no virtual environment or PYTHONPATH, a
    throwaway home, no display."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    return env


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test builds the Linux bundle")
def test_the_linux_bundle_runs_its_self_test_without_python(tmp_path, record_property):
    """`pyinstaller installer/iopdesk.spec` builds dist/IOPDesk; its `iopdesk --self-test` exits 0
    with "self-test: ok" in a clean environment, `--version` names pyproject's version, and the
    unpacked bundle stays under 250 MB."""
    if importlib.util.find_spec("PyInstaller") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must build the bundle, but PyInstaller is not installed (pip install -e '.[bundle]')")
        pytest.skip("PyInstaller is not installed (pip install -e '.[bundle]')")
    dist, work = tmp_path / "dist", tmp_path / "build"
    built = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "installer" / "iopdesk.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-6000:]
    program = dist / "IOPDesk" / "iopdesk"
    assert program.is_file()

    home = tmp_path / "home"
    home.mkdir()
    env = clean_environment(home)
    ran = subprocess.run([str(program), "--self-test"], cwd=home, env=env, capture_output=True, text=True,
                         timeout=300)
    print(ran.stdout)
    assert ran.returncode == 0, ran.stdout + ran.stderr[-4000:]
    assert ran.stdout.rstrip().endswith("self-test: ok")

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    shown = subprocess.run([str(program), "--version"], cwd=home, env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0 and shown.stdout.strip() == f"IOP Desk {version}"
    assert not any(home.glob("xdg_data_home/IOPDesk/*.sqlite"))  # the self-test kept to its temporary folder

    size = unpacked_size(dist / "IOPDesk")
    # Shown in the test run's summary by tests/conftest.py (also under pytest-xdist).
    record_property("report", f"bundle size: {size / 1e6:.1f} MB unpacked ({size:,} bytes; target under 250 MB)")
    assert size < SIZE_LIMIT, f"the bundle is {size / 1e6:.1f} MB unpacked; the target is under 250 MB"
