"""The wheel is the product: build it, install it (not editable) into a fresh virtualenv, and
use it there as an operator would, far from the checkout.

    python tests/wheel_check.py          # what `make test` runs (tests/test_wheel.py)

Steps, each failing with a message that names what is missing:
1. build the wheel from a copy of the source tree (a stale build/ cannot hide a file left out);
2. install it with its dependencies into a new virtualenv (pip's cache makes this quick);
3. there, in an empty directory: every file `bot/resources.py` lists as shipped is present;
   `uabot db upgrade`; `uabot demo load`; `uabot letters export` of a seed case as PDF;
   `uabot run` in sandbox mode long enough to fetch the web chat page, get a bot reply, and
   read its /healthz and /metrics.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Never copied into the build: environments, caches, local data, earlier builds.
IGNORED = (".git", ".venv", "build", "dist", "var", "test-artifacts", "__pycache__", "*.pyc")
IGNORED += ("*.egg-info", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".env")
SEED_CASE = "KZ-2026-002"
DEMO_SUBSCRIBER = 1001  # bot/sandbox/web/users.py: the web chat's English subscriber
STEP_TIMEOUT = 120.0


class WheelCheckFailed(Exception):
    """One line saying which step failed and what is missing, then the step's output."""


def copy_source(destination: Path, edit: Callable[[Path], None] | None = None) -> Path:
    """The source tree as a fresh clone would have it; `edit` may break the copy (the check's
    own test leaves a template out)."""
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*IGNORED))
    if edit is not None:
        edit(destination)
    return destination


def build_wheel(source: Path, out: Path) -> Path:
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)],
        step="building the wheel (pip wheel)",
    )
    wheels = sorted(out.glob("uabot-*.whl"))
    if not wheels:
        raise WheelCheckFailed(f"building the wheel: no uabot-*.whl in {out}")
    return wheels[-1]


def make_venv(path: Path) -> Path:
    """A virtualenv without pip of its own: the running pip installs into it (`--python`)."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(path)], step="creating a virtualenv")
    return path / "bin" / "python"


def install(wheel: Path, python: Path, *, deps: bool = True) -> None:
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    command += ["--force-reinstall", "--no-deps"] if not deps else []
    _run([*command, str(wheel)], step=f"installing {wheel.name}")


def check_installed(python: Path, workdir: Path) -> dict[str, str]:
    """Use the installed uabot as an operator would; returns what each step printed."""
    workdir.mkdir(parents=True, exist_ok=True)
    bin_dir = python.parent
    uabot = str(bin_dir / "uabot")
    env = _clean_env(workdir)
    out: dict[str, str] = {}

    where = _run(
        [str(python), "-c", _WHERE_AND_WHAT_IS_MISSING],
        step="importing bot from the wheel",
        cwd=workdir,
        env=env,
    )
    location, _, missing = where.partition("\n")
    if not location.startswith(str(bin_dir.parent)):
        raise WheelCheckFailed(f"bot was imported from {location}, not from the virtualenv")
    if missing.strip():
        raise WheelCheckFailed(
            "the wheel lacks files uabot needs at run time (pyproject.toml, "
            f"[tool.setuptools.package-data]): {missing.strip()}"
        )
    env["UABOT_SECRET_KEYS"] = _run(
        [uabot, "keys", "generate"], step="uabot keys generate", cwd=workdir, env=env
    ).strip()
    out["db upgrade"] = _run(
        [uabot, "db", "upgrade"], step="uabot db upgrade", cwd=workdir, env=env
    )
    out["demo load"] = _run([uabot, "demo", "load"], step="uabot demo load", cwd=workdir, env=env)
    letters = workdir / "letters"
    out["letters export"] = _run(
        [uabot, "letters", "export", SEED_CASE, "--format", "pdf", "--out", str(letters)],
        step=f"uabot letters export {SEED_CASE}",
        cwd=workdir,
        env=env,
    )
    pdfs = sorted(letters.glob("*.pdf"))
    if not pdfs or any(not p.read_bytes().startswith(b"%PDF-") for p in pdfs):
        raise WheelCheckFailed(f"uabot letters export {SEED_CASE}: no PDF written in {letters}")
    out["sandbox"] = _sandbox_reply(uabot, workdir, env)
    return out


# Run inside the virtualenv: where `bot` comes from, then the shipped files it lacks.
_WHERE_AND_WHAT_IS_MISSING = (
    "import bot, bot.resources as r; print(bot.__file__); print(', '.join(r.missing()))"
)


def _sandbox_reply(uabot: str, workdir: Path, env: dict[str, str]) -> str:
    """`uabot run` with no token: fetch the web chat page, say /start, wait for the answer."""
    port, health_port = _free_port(), _free_port()
    env = {**env, "SANDBOX_HOST": "127.0.0.1", "SANDBOX_PORT": str(port)}
    env["HEALTH_PORT"] = str(health_port)
    log = workdir / "run.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [uabot, "run"], cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        page = _get_when_up(base + "/", process, log)
        if "<html" not in page.lower():
            raise WheelCheckFailed("uabot run: the web chat page is not HTML:\n" + page[:300])
        _get(base + "/web/chat.js")
        _post(base + "/_control/updates/message", {"user_id": DEMO_SUBSCRIBER, "text": "/start"})
        answer = _get(f"{base}/_control/chats/{DEMO_SUBSCRIBER}/wait?count=1&timeout=60")
        replies = json.loads(answer)
        if not replies or not replies[0].get("plain_text"):
            raise WheelCheckFailed("uabot run: the bot did not answer /start:\n" + answer[:300])
        health = json.loads(_get(f"http://127.0.0.1:{health_port}/healthz"))
        if health.get("status") != "ok":
            raise WheelCheckFailed(f"uabot run: /healthz says {health}")
        if "uabot_reply_seconds_count" not in _get(f"http://127.0.0.1:{health_port}/metrics"):
            raise WheelCheckFailed("uabot run: /metrics lacks uabot_reply_seconds")
        return str(replies[0]["plain_text"])
    except (urllib.error.URLError, OSError) as exc:
        raise WheelCheckFailed(f"uabot run: {exc}\n{_tail(log)}") from None
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get_when_up(url: str, process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        if process.poll() is not None:
            raise WheelCheckFailed(f"uabot run exited with {process.returncode}:\n{_tail(log)}")
        try:
            return _get(url)
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise WheelCheckFailed(f"uabot run: nothing answered {url}\n{_tail(log)}") from None
            time.sleep(0.2)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=STEP_TIMEOUT) as response:  # noqa: S310 - loopback
        return str(response.read().decode())


def _post(url: str, body: dict[str, object]) -> str:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as response:  # noqa: S310
        return str(response.read().decode())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(workdir: Path) -> dict[str, str]:
    """Nothing of the test run's settings: a SQLite file in the work directory, no token."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_CACHE_DIR", "XDG_CACHE_HOME")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["DATABASE_URL"] = f"sqlite:///{workdir / 'uabot.sqlite3'}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(
    command: list[str],
    *,
    step: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT * 3
        )
    except subprocess.TimeoutExpired:
        raise WheelCheckFailed(f"{step}: still running after {STEP_TIMEOUT * 3:.0f}s") from None
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()
        raise WheelCheckFailed(f"{step} failed ({done.returncode}):\n" + "\n".join(output[-25:]))
    return done.stdout


def _tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="uabot-wheel-") as tmp:
        work = Path(tmp)
        try:
            wheel = build_wheel(copy_source(work / "src"), work / "dist")
            python = make_venv(work / "venv")
            install(wheel, python)
            out = check_installed(python, work / "run")
        except WheelCheckFailed as exc:
            print(f"wheel check FAILED: {exc}", file=sys.stderr)
            return 1
    print(f"wheel check passed in {time.monotonic() - started:.1f}s: {wheel.name}")
    for step, text in out.items():
        print(f"  {step}: {text.strip().splitlines()[-1] if text.strip() else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
