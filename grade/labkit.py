"""grade/labkit.py - what the graders of labs 4-7 share: JSON check lines, compiling the
student's C, starting a server on a free port, and stopping it by its own PID.

A grader is run as  grade/labN/grade WORKDIR  with WIRELAB_ROOT (the checkout) and WIRELAB_BIN
(build/bin) in its environment. It prints one JSON object per check:
    {"check": "...", "ok": true|false, "explain": "expected / happened / where to look"}
and exits 0 when every check passed, 1 when one failed, 2 when it could not grade at all.
An explanation never prints the answer: it says what was expected, what happened, where to look.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("WIRELAB_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("WIRELAB_BIN") or os.path.join(ROOT, "build", "bin")
# The project's warning flags (what the skeletons are built with); the student's code is graded
# with them on but not as errors: a warning is printed, it does not cost the grade.
CFLAGS = ["-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Wconversion"]

_failed = False


def check(name, ok, explain=""):
    """Print one check line; remember a failure for finish()."""
    global _failed
    _failed = _failed or not ok
    print(json.dumps({"check": name, "ok": bool(ok), "explain": explain}), flush=True)
    return ok


def relay(out):
    """Pass on the check lines a helper program printed (check_*.c), counting its failures."""
    global _failed
    for line in out.splitlines():
        try:
            _failed = _failed or json.loads(line).get("ok") is False
        except (ValueError, AttributeError):
            pass
        print(line, flush=True)


def finish():
    """Exit 0 when every check passed, 1 otherwise."""
    sys.exit(1 if _failed else 0)


def cannot(what_to_do):
    """Could not grade at all (a tool is missing, the folder is not there): say what to do."""
    print(json.dumps({"check": "setup", "ok": False, "explain": what_to_do}), flush=True)
    sys.exit(2)


def workdir(lab, argv):
    """The student's folder from the command line, with the files the task names in it."""
    if len(argv) != 2:
        cannot(f"usage: grade/lab{lab}/grade WORKDIR (./wirelab grade {lab} passes it)")
    work = os.path.abspath(argv[1])
    if not os.path.isdir(work):
        cannot(f"{work} does not exist: run ./wirelab grade {lab} --init to get the skeleton")
    return work


def need_files(lab, work, names):
    """Stop with exit 2 unless every file in names is in the student's folder."""
    missing = [n for n in names if not os.path.isfile(os.path.join(work, n))]
    if missing:
        cannot(f"{', '.join(missing)} not found in {work}: the task needs it there "
               f"(./wirelab grade {lab} --init copies the skeleton; it never overwrites a file)")


def scratch(lab):
    """A private build folder, removed when the grader exits."""
    path = tempfile.mkdtemp(prefix=f"wirelab-grade{lab}-")
    import atexit
    atexit.register(shutil.rmtree, path, True)
    return path


def compile_c(out, sources, extra=(), include=()):
    """Compile and link sources into out. Returns (True, "") or (False, the first errors)."""
    cmd = ["cc", *CFLAGS, *extra, *[f"-I{d}" for d in include], "-o", out, *sources, "-lpthread"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False, "the compiler ran for over 120 s"
    if r.returncode != 0:
        lines = [ln for ln in r.stderr.splitlines() if "error" in ln or "undefined reference" in ln]
        return False, "\n".join((lines or r.stderr.splitlines())[:6])
    if r.stderr.strip():  # warnings: shown, not graded
        sys.stderr.write(r.stderr)
    return True, ""


def copy_with_api(work, build, student_files, api_files):
    """Copy the student's files and then OUR copy of the given header(s) into build, so a header
    the student edited cannot change the API the grader tests. Returns the student paths."""
    for name in student_files:
        shutil.copy(os.path.join(work, name), build)
    for path in api_files:
        shutil.copy(path, build)
    return [os.path.join(build, n) for n in student_files]


def run(cmd, timeout, **kw):
    """Run a program to its end (or kill it at timeout). Returns (rc or None, stdout, stderr)."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           errors="replace", **kw)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        def text(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return None, text(e.stdout), text(e.stderr)


class Server:
    """A program started in the background that prints its port on a line matching `pattern`
    (a regex with one group: the port). Its output goes to files in `logdir`; with stderr_too,
    stderr goes into the same file as stdout, in the order it was written."""

    def __init__(self, cmd, pattern, logdir, name, timeout=10.0, env=None, stderr_too=False):
        self.out_path = os.path.join(logdir, f"{name}.out")
        self.err_path = os.path.join(logdir, f"{name}.err")
        out = open(self.out_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=out,
                                     stderr=out if stderr_too else open(self.err_path, "w"),
                                     env=env, stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = re.search(pattern, self.output())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.05)

    def output(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def errors(self):
        if not os.path.exists(self.err_path):
            return ""
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=15, timeout=5.0):
        """Stop it by its own PID (SIGTERM, then SIGKILL). Returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def tail(text, n=4):
    """The last n non-empty lines of text, indented, for an explanation."""
    lines = [ln for ln in text.splitlines() if ln.strip()][-n:]
    return "\n".join("    " + ln for ln in lines) if lines else "    (nothing)"
