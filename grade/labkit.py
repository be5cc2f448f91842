"""grade/labkit.py - what the graders of labs 4-7 share, on top of gradelib.py: checks that
do not stop the grader, compiling the student's C against the grader's own copy of the API
header, relaying the check lines of a C helper, and a server started on a free port (it
prints the port) and stopped by its own PID.

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

import gradelib

ROOT, BIN = gradelib.ROOT, gradelib.BIN
# The project's warning flags (what the skeletons are built with); the student's code is graded
# with them on but not as errors: a warning is printed, it does not cost the grade.
CFLAGS = ["-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Wconversion"]


def check(name, ok, explain=""):
    """One check line; a failure is remembered for finish() and the grader goes on."""
    if ok:
        gradelib.ok(name, explain)
    else:
        gradelib.fail(name, explain, stop=False)
    return ok


def relay(out):
    """Pass on the check lines a helper program printed (check_*.c), counting its failures."""
    for line in out.splitlines():
        try:
            c = json.loads(line)
            check(c["check"], c["ok"] is True, c.get("explain", ""))
        except (ValueError, KeyError, TypeError):
            gradelib.note(line)


def finish():
    """Exit 0 when every check passed, 1 otherwise."""
    gradelib.done()


def cannot(what_to_do):
    """Could not grade at all (a tool is missing, the folder is not there): say what to do."""
    gradelib.cannot("setup", what_to_do)


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
    gradelib.require_files(work, names, lab)


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


class Server(gradelib.Process):
    """A program started in the background (stdout and stderr into logdir/name.log, in the
    order written) that prints its port on a line matching `pattern` (a regex with one group:
    the port). self.port is None if it did not within timeout seconds."""

    def __init__(self, cmd, pattern, logdir, name, timeout=10.0):
        super().__init__(cmd, log=os.path.join(logdir, f"{name}.log"))
        self.port = None
        if gradelib.wait_for(lambda: re.search(pattern, self.output()) or not self.alive(),
                             timeout):
            m = re.search(pattern, self.output())
            self.port = int(m.group(1)) if m else None

    def output(self, limit=1 << 24):
        return super().output(limit)


def tail(text, n=4):
    """The last n non-empty lines of text, indented, for an explanation."""
    lines = [ln for ln in text.splitlines() if ln.strip()][-n:]
    return "\n".join("    " + ln for ln in lines) if lines else "    (nothing)"
