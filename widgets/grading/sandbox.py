"""Run a submission's kernel in a bubblewrap sandbox.

A submission's code runs with the instructor's rights unless something stops
it. The grader starts each submission's kernel through ``bwrap``
(Debian's ``bubblewrap``), which gives it:

- the system read-only, and a private scratch folder (its working folder, its
  ``$HOME`` and ``$TMPDIR``) as the only place it can write;
- the instructor's home, ``/tmp`` and the grading folders (source lessons,
  submissions, report) replaced by empty folders, so solutions, other
  students' work and the report are invisible; only the Python install and the
  kit are put back, read-only;
- no network (a private network namespace: connections are refused or find no
  route); the grader talks to it over IPC sockets in a folder both can see;
- a process cap: ``RLIMIT_NPROC`` set inside the sandbox, which the kernel
  counts per user and per user namespace. Run by a normal user, bwrap makes a
  user namespace, so the count is this sandbox's alone; run by root (whom the
  limit does not bind), the kernel drops to a user id of its own, unused
  elsewhere, so again the count is this sandbox's alone. Threads count too
  (JAX starts one per core), hence the margin;
- a memory cap: ``RLIMIT_DATA`` on each process (JAX reserves far more address
  space than it uses, which rules out ``RLIMIT_AS``; the data limit counts
  what a process allocates), and a watchdog in the grader that sums the
  resident memory of every process in the sandbox and kills the sandbox when
  the sum passes the cap (a limit per process alone would let many processes
  add up). The sum is of proportional set sizes, so pages a fork shares with
  its parent count once.

:func:`check` says whether a sandbox can start here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import sys
import threading

import psutil

MEMORY_MB = 2048  # a lesson's kernel peaks near 600 MB
# Processes and threads at once (the limit counts both): a lesson's kernel runs about 40 threads
# on 2 cores, and XLA's thread pools grow with the cores.
MAX_PROCESSES = max(256, 8 * (os.cpu_count() or 1) + 64)
TMP_MB = 64  # size of the sandbox's private /tmp

INSTALL = (
    "grading runs each submission in a bubblewrap sandbox, which could not start here{why}. "
    "Install it (Debian/Ubuntu: `apt-get install bubblewrap`; it needs user namespaces, "
    "or running as root), or pass --no-sandbox to grade without one, with the student's "
    "code running as you, with your files and network"
)

# Runs inside the sandbox: set the limits, drop to the sandbox's own user (root only), exec the kernel.
_LAUNCH = """\
import os, resource, sys
uid, nproc, data, fsize = (int(v) for v in sys.argv[1:5])
resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
resource.setrlimit(resource.RLIMIT_DATA, (data, data))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if uid >= 0:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
os.execv(sys.argv[5], sys.argv[5:])
"""

_PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "JAX_PLATFORMS", "XLA_FLAGS", "OMP_NUM_THREADS")


class Unavailable(ValueError):
    """No sandbox can start on this machine."""


def _bwrap() -> str | None:
    """The bwrap program: ``$WIDGETS_BWRAP`` if set, else ``bwrap`` on the PATH or in /usr/bin."""
    chosen = os.environ.get("WIDGETS_BWRAP")
    if chosen:
        return shutil.which(chosen)
    return shutil.which("bwrap") or shutil.which("/usr/bin/bwrap")


def _kit_root() -> pathlib.Path:
    """The folder holding the ``widgets`` package: site-packages, or the clone of an editable install."""
    import widgets

    return pathlib.Path(os.path.realpath(widgets.__file__)).parent.parent


def _needed() -> list[pathlib.Path]:
    """Folders the kernel must see: the Python install, the kit and its packages.

    Not the grader's working folder, which ``python -m`` puts on its path: it
    may hold courses, submissions and reports, and no kernel imports from it.
    """
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    cwd = os.path.realpath(os.getcwd())
    paths.update(p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != cwd)
    paths.add(str(_kit_root()))
    out = set()
    for p in paths:
        out.add(pathlib.Path(p).absolute())
        out.add(pathlib.Path(os.path.realpath(p)))
    return sorted(out)


def _inside(path: pathlib.Path, folder: pathlib.Path) -> bool:
    return path == folder or folder in path.parents


@dataclasses.dataclass
class Sandbox:
    """How every submission's kernel is sandboxed in one grading run.

    Parameters
    ----------
    hidden : list of pathlib.Path
        Folders the kernel must not see (source lessons, submissions, report);
        each must exist.
    memory_mb : int
        Memory cap of the whole sandbox, in MB.
    max_processes : int
        Processes and threads the sandbox may run at once.
    """

    hidden: list[pathlib.Path]
    memory_mb: int = MEMORY_MB
    max_processes: int = MAX_PROCESSES

    def command(
        self, argv: list[str], *, folder: pathlib.Path, uid: int, env: dict | None = None
    ) -> list[str]:
        """`argv` wrapped in bwrap, with `folder` (holding work/, home/, ipc/) as the only writable place.

        The kernel's environment is cleared, then given a few variables of ours and `env`.
        """
        home, tmp = pathlib.Path.home().absolute(), pathlib.Path("/tmp")
        # Hidden behind empty folders: /tmp, and the home unless /tmp already covers it.
        tops = [tmp] + ([home] if home != pathlib.Path("/") and not _inside(home, tmp) else [])
        cmd = [_bwrap() or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        cmd += ["--size", str(TMP_MB * 2**20), "--tmpfs", str(tmp)]
        for top in tops[1:]:
            cmd += ["--tmpfs", str(top)]
        made = set(tops)
        needed = _needed()  # once: it walks sys.path and imports the kit
        for path in needed:
            for top in tops:
                if _inside(path, top) and path != top:
                    for parent in reversed(path.parents):  # bwrap would make them 0700
                        if _inside(parent, top) and parent not in made:
                            cmd += ["--perms", "0755", "--dir", str(parent)]
                            made.add(parent)
                    cmd += ["--ro-bind", str(path), str(path)]
                    made.add(path)
        # An editable clone's own lessons (sources with solutions, *_reference.py), whatever is graded.
        kit_lessons = _kit_root() / "lessons"
        named = {os.path.realpath(h) for h in self.hidden}
        extra = [kit_lessons] if kit_lessons.is_dir() and str(kit_lessons) not in named else []
        hidden = [*self.hidden, *extra]
        for folder_ in hidden:
            folder_ = pathlib.Path(folder_).absolute()
            if any(_inside(p, folder_) for p in needed):  # e.g. --source . in the clone
                inner = [p for p in needed if p != folder_ and _inside(p, folder_)]
                answer_keys = [*folder_.rglob("*.ipynb"), *folder_.rglob("*_reference.py")]
                for key in sorted(answer_keys):
                    if not any(_inside(key, p) for p in inner):
                        cmd += ["--ro-bind", "/dev/null", str(key)]
            elif folder_.is_dir():
                cmd += ["--tmpfs", str(folder_), "--remount-ro", str(folder_)]
        cmd += ["--bind", str(folder), str(folder)]
        for top in tops:
            cmd += ["--remount-ro", str(top)]
        work, home_inside = folder / "work", folder / "home"
        path_env = os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])
        cmd += ["--clearenv", "--setenv", "PATH", path_env, "--setenv", "HOME", str(home_inside)]
        cmd += [
            "--setenv",
            "TMPDIR",
            str(folder / "tmp"),
            "--setenv",
            "XDG_CACHE_HOME",
            str(folder / "cache"),
        ]
        cache = str(folder / "cache" / "widgets")
        if os.environ.get("WIDGETS_COMPILATION_CACHE", "").strip().lower() == "off":
            cache = "off"
        cmd += ["--setenv", "WIDGETS_COMPILATION_CACHE", cache]
        cmd += ["--setenv", "JPY_PARENT_PID", "1"]  # bwrap's init: no "Ctrl-C will not work" note
        cmd += ["--setenv", "MPLCONFIGDIR", str(home_inside / ".matplotlib")]
        for name in _PASSED_ENV:
            if name in os.environ:
                cmd += ["--setenv", name, os.environ[name]]
        for name, value in (env or {}).items():
            cmd += ["--setenv", name, str(value)]
        cmd += ["--chdir", str(work), "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        cmd += ["--die-with-parent", "--new-session"]
        if os.geteuid() == 0:
            cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            cmd += ["--unshare-user"]
        limits = [str(uid), str(self.max_processes), str(self.memory_mb * 2**20), str(self.memory_mb * 2**20)]
        return cmd + ["--", sys.executable, "-I", "-S", "-c", _LAUNCH, *limits, *argv]

    def prepare(self, folder: pathlib.Path, *, cache: pathlib.Path | None) -> int:
        """Make work/, home/, tmp/ and cache/ in `folder`; return the kernel's uid (-1: ours).

        The compilation cache, if any, is copied in, so a submission cannot change another's.
        """
        for name in ("work", "home", "tmp", "cache"):
            (folder / name).mkdir(exist_ok=True)
        if cache is not None and cache.is_dir():
            shutil.copytree(cache, folder / "cache" / "widgets", dirs_exist_ok=True)
        if os.geteuid() != 0:
            return -1
        uid = 200_000 + secrets.randbelow(1_000_000)  # a user of its own: RLIMIT_NPROC counts only it
        for root, dirs, files in os.walk(folder):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.chown(name, uid, uid)
        return uid


def compilation_cache() -> pathlib.Path | None:
    """The kit's compilation cache folder of the grader's user, if there is one."""
    from widgets import compilation_cache as cc

    folder = cc.cache_dir()
    return folder if folder is not None and folder.is_dir() else None


@functools.lru_cache(maxsize=4)
def _check(bwrap: str | None) -> None:
    """Raise :class:`Unavailable`, saying what to install, if no sandbox can start here."""
    if bwrap is None:
        raise Unavailable(INSTALL.format(why=" (no `bwrap` on the PATH)"))
    import tempfile

    with tempfile.TemporaryDirectory(prefix="widgets-sandbox-check-") as folder:
        folder = pathlib.Path(folder)
        sandbox = Sandbox(hidden=[])
        uid = sandbox.prepare(folder, cache=None)
        probe = (
            "import socket; s = socket.socket(); s.settimeout(1)\n"
            "try: s.connect(('127.0.0.1', 9))\nexcept OSError: print('ok')"
        )
        cmd = sandbox.command([sys.executable, "-c", probe], folder=folder, uid=uid)
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise Unavailable(INSTALL.format(why=f" ({err})")) from None
        if done.returncode != 0 or done.stdout.strip() != "ok":
            why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise Unavailable(INSTALL.format(why=f" (bwrap said: {why})"))


def interrupt(pid: int) -> None:
    """Send SIGINT to the kernel in the sandbox started as `pid` (the outermost kernel process)."""
    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for proc in procs:
        try:
            if proc.name() != "bwrap" and proc.parent().name() == "bwrap":  # not the kernel's own forks
                proc.send_signal(signal.SIGINT)
        except psutil.Error:
            pass


def _pss(pid: int) -> int:
    """Proportional set size of `pid` in bytes: shared pages (a fork's) count once in a sum."""
    with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
        for line in handle:
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024
    return 0


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _threads(pid: int) -> int:
    """Threads of `pid` (the process cap counts threads too)."""
    return len(os.listdir(f"/proc/{pid}/task"))


def _descendants(pid: int) -> list[int]:
    """`pid` and every process under it; empty once `pid` has ended.

    Read from the kernel's list of each thread's children, which costs far less
    than psutil's scan of every process on the machine.
    """
    if not os.path.exists(f"/proc/{pid}/task/{pid}/children"):  # a kernel without CONFIG_PROC_CHILDREN
        try:
            root = psutil.Process(pid)
            return [pid, *(p.pid for p in root.children(recursive=True))]
        except psutil.Error:
            return []
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:  # it ended
            continue
        found.append(parent)
        for task in tasks:
            with contextlib.suppress(OSError), open(f"/proc/{parent}/task/{task}/children") as handle:
                queue.extend(int(child) for child in handle.read().split())
    return found


def _rss(pid: int) -> int:
    """Resident set size of `pid` in bytes: cheap to read, and never less than its PSS."""
    with open(f"/proc/{pid}/statm", "rb") as handle:
        return int(handle.read().split()[1]) * _PAGE


def check() -> None:
    """Raise :class:`Unavailable`, saying what to install, if no sandbox can start here."""
    _check(_bwrap())


class Watchdog:
    """Kill a sandbox whose processes hold more than `memory_mb` together, or are too many.

    Polls every 0.1 s from a thread of the grader; :attr:`stopped` says why it killed, if it did.
    """

    def __init__(self, pid: int, *, memory_mb: int, max_processes: int):
        self.pid, self.memory_mb, self.max_processes = pid, memory_mb, max_processes
        self.stopped: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cap = self.memory_mb * 2**20
        while not self._done.wait(0.1):
            pids = _descendants(self.pid)
            if not pids:
                return
            if self._sum(_threads, pids) > self.max_processes + 8:  # the bwrap processes and the launcher's
                self.stopped = "processes"
            # The sum of resident sizes bounds the sum of PSS from above, and costs far
            # less to read (PSS walks the page tables, ~10 ms for a JAX kernel, under a
            # lock the kernel's own page faults wait for): PSS only when RSS is over.
            elif self._sum(_rss, pids) > cap and self._sum(_pss, pids) > cap:
                self.stopped = "memory"
            if self.stopped:
                for pid in reversed(pids):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                return

    @staticmethod
    def _sum(size, pids: list[int]) -> int:
        total = 0
        for pid in pids:
            with contextlib.suppress(OSError):  # it ended
                total += size(pid)
        return total

    def stop(self) -> None:
        """Stop watching."""
        self._done.set()
        self._thread.join()


def notes(nb, stopped: str | None, box: Sandbox) -> list[str]:
    """What the sandbox stopped, in words, from the watchdog's verdict and the notebook's errors."""
    memory_mb, max_processes = box.memory_mb, box.max_processes
    text = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                text.append(f"{out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text.append(out.get("text", ""))
    text = "\n".join(text)
    found = []
    if stopped == "memory" or "MemoryError" in text:
        found.append(f"the notebook tried to use more memory than the {memory_mb} MB the grader allows")
    if stopped == "processes" or "BlockingIOError" in text or "Resource temporarily unavailable" in text:
        found.append(
            f"the notebook was stopped: it started too many processes (the grader allows {max_processes})"
        )
    if any(s in text for s in ("Network is unreachable", "ConnectionRefusedError", "gaierror")):
        found.append("the notebook tried to open a network connection, which grading does not allow")
    outside = [str(pathlib.Path(p).absolute()) for p in box.hidden]
    if any(s in text for s in ("Read-only file system", "PermissionError", *outside)):
        found.append(
            "the notebook tried to reach files outside its own folder (the lessons, the report, other "
            "submissions or the instructor's files), which grading does not allow"
        )
    return found
