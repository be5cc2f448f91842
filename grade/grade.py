"""grade.py - grade the student's own work for a lab ("Your turn" on each lab's page).

usage: grade.py N [--report FILE]     grade lab N's task
       grade.py N --init              copy lab N's skeleton into the work folder (never overwrites)
       grade.py all [--report FILE]   grade every lab that has a task
       grade.py list                  the labs with a task, and where each one's work goes

The student's work lives outside the toolkit's sources, so `git pull` never touches it:
    ${WIRELAB_WORK:-$HOME/wirelab-work}/labN/
Each lab's grader is grade/labN/grade (any language), called as `grade/labN/grade WORKDIR` with
WIRELAB_ROOT (this checkout) and WIRELAB_BIN (build/bin) in its environment. It prints one JSON
object a line, {"check": NAME, "ok": true|false, "explain": TEXT}, and exits 0 (every check
held), 1 (a check failed) or 2 (it could not grade: files missing, say, and what to do). Lines
that are not JSON are passed through as the grader's notes. This driver prints a summary with
the first problem in words, and --report FILE writes FILE.md and FILE.json: each task, pass or
fail, the explanations, the sha256 of every graded file, the date and the toolkit's commit.
"""
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap

ROOT = os.environ.get("WIRELAB_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADE = os.path.join(ROOT, "grade")
BIN = os.environ.get("WIRELAB_BIN") or os.path.join(ROOT, "build", "bin")
GRADER_DEADLINE = 900  # seconds: a grader that hangs is stopped and reported, never waited on
MAX_HASHED_FILES = 500  # a work folder is a few source files; stop hashing a runaway one

bold = dim = red = green = off = ""
if sys.stdout.isatty():
    bold, dim, red, green, off = "\033[1m", "\033[2m", "\033[31m", "\033[32m", "\033[0m"


def from_caller(path):
    """A path the user typed, relative to where they typed it (./wirelab changes directory)."""
    return os.path.join(os.environ.get("WIRELAB_CALLER_DIR") or os.getcwd(),
                        os.path.expanduser(path))


def work_root():
    work = os.environ.get("WIRELAB_WORK")
    return from_caller(work) if work else os.path.join(os.path.expanduser("~"), "wirelab-work")


def work_dir(n):
    return os.path.join(work_root(), f"lab{n}")


def labs_with_tasks():
    found = []
    for name in os.listdir(GRADE):
        if name.startswith("lab") and name[3:].isdigit() and \
                os.path.exists(os.path.join(GRADE, name, "grade")):
            found.append(int(name[3:]))
    return sorted(found)


def task_title(n):
    """The lab's title, from its page's first line ("# Lab 1: TCP echo and ..."), or from the
    first heading of grade/labN/task.md."""
    labs = os.path.join(ROOT, "labs")
    pages = [d for d in (os.listdir(labs) if os.path.isdir(labs) else [])
             if d[:2].isdigit() and int(d[:2]) == n]
    candidates = [os.path.join(labs, d, "README.md") for d in sorted(pages)]
    candidates.append(os.path.join(GRADE, f"lab{n}", "task.md"))
    for path in candidates:
        if os.path.exists(path):
            for line in open(path, encoding="utf-8"):
                if line.startswith("#"):
                    title = line.lstrip("#").strip()
                    return title.split(": ", 1)[1] if title.startswith("Lab ") and ": " in \
                        title else title
    return f"lab {n}"


def init(n):
    """Copy grade/labN/skeleton/ into the work folder; existing files are left alone."""
    src = os.path.join(GRADE, f"lab{n}", "skeleton")
    dst = work_dir(n)
    if not os.path.isdir(src):
        print(f"lab {n} has no skeleton to copy; read its task: grade/lab{n}/task.md")
        return 2
    copied, kept = [], []
    for base, _, files in os.walk(src):
        rel = os.path.relpath(base, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in sorted(files):
            target = os.path.normpath(os.path.join(dst, rel, f))
            (kept if os.path.exists(target) else copied).append(os.path.relpath(target, dst))
            if not os.path.exists(target):
                shutil.copy2(os.path.join(base, f), target)
    print(f"lab {n}: your work folder is {dst}")
    for f in copied:
        print(f"  copied  {f}")
    for f in kept:
        print(f"  kept    {f} (it exists already: yours, not overwritten)")
    print(f"Next: read the task (\"Your turn\" on lab {n}'s page, or grade/lab{n}/task.md),")
    print(f"do it in that folder, then run: ./wirelab grade {n}")
    return 0


def sha256_files(folder):
    """{relative path: sha256} for every regular file in the work folder (the graded files),
    except .grade/, where graders leave what they made (a capture to look at)."""
    hashes = {}
    if not os.path.isdir(folder):
        return hashes
    for base, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != ".grade")  # the graders' own output
        for f in sorted(files):
            path = os.path.join(base, f)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            if len(hashes) >= MAX_HASHED_FILES:
                hashes["(more files)"] = f"not hashed: over {MAX_HASHED_FILES} files"
                return hashes
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 16), b""):
                    h.update(block)
            hashes[os.path.relpath(path, folder)] = h.hexdigest()
    return hashes


def run_grader(n):
    """Run grade/labN/grade on the work folder; returns the task's result as a dict."""
    folder = work_dir(n)
    result = {"lab": n, "task": task_title(n), "workdir": folder, "status": "error",
              "checks": [], "notes": []}
    if not os.path.isdir(folder):
        result["status"] = "not started"
        result["checks"].append({"check": "work folder", "ok": False, "explain":
                                 f"there is no {folder} yet: run ./wirelab grade {n} --init, "
                                 f"then do the task there"})
        return result
    result["files"] = sha256_files(folder)  # hashed before grading: what the student handed in
    env = dict(os.environ, WIRELAB_ROOT=ROOT, WIRELAB_BIN=BIN)
    grader = os.path.join(GRADE, f"lab{n}", "grade")
    try:
        proc = subprocess.Popen([grader, folder], stdout=subprocess.PIPE, env=env, text=True)
    except OSError as e:
        result["checks"].append({"check": "grader", "ok": False,
                                 "explain": f"could not start {grader}: {e.strerror}"})
        return result
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            item = parse_line(line)
            if item is None:
                if line.strip():
                    result["notes"].append(line)
                    print(f"{dim}  {line}{off}", flush=True)
                continue
            result["checks"].append(item)
            mark = f"{green}ok  {off}" if item["ok"] else f"{red}FAIL{off}"
            print(f"  {mark}  {item['check']}", flush=True)
        rc = proc.wait(timeout=GRADER_DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        result["checks"].append({"check": "grader", "ok": False, "explain":
                                 f"the grader did not finish within {GRADER_DEADLINE} s and "
                                 "was stopped; run it again, and tell your instructor if it "
                                 "happens twice"})
        return result
    if rc == 0 and result["checks"] and all(c["ok"] for c in result["checks"]):
        result["status"] = "pass"
    elif rc == 2:
        result["status"] = "could not grade"
    elif rc in (0, 1) and result["checks"]:
        result["status"] = "fail"
    if result["status"] in ("fail", "error", "could not grade") and \
            all(c["ok"] for c in result["checks"]):
        # A grader that fails without saying why is a bug in the grader: say so, plainly.
        result["checks"].append({"check": "grader", "ok": False, "explain":
                                 f"{grader} exited with status {rc} without a failing check "
                                 "(a bug in the grader: tell your instructor)"})
        if result["status"] != "could not grade":
            result["status"] = "error"
    return result


def parse_line(line):
    """One grader line as a check dict, or None when it is not a check (a note)."""
    try:
        item = json.loads(line)
    except ValueError:
        return None
    if not isinstance(item, dict) or "check" not in item or not isinstance(item.get("ok"), bool):
        return None
    return {"check": str(item["check"]), "ok": item["ok"], "explain": str(item.get("explain", ""))}


def first_problem(result):
    return next((c for c in result["checks"] if not c["ok"]), None)


def summary(result):
    n = result["lab"]
    status = result["status"]
    colour = green if status == "pass" else red
    print(f"{bold}Lab {n}: {result['task']}: {colour}{status.upper()}{off}")
    problem = first_problem(result)
    if problem:
        print(f"The first problem ({problem['check']}):")
        for para in problem["explain"].split("\n"):
            print(textwrap.fill(para, width=96, initial_indent="    ", subsequent_indent="    ")
                  if para.strip() else "")
        if status == "fail":
            print(f"Fix it in {result['workdir']} and run ./wirelab grade {n} again.")


def toolkit_commit():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" (with local changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def write_report(base, results):
    for ext in (".md", ".json"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "toolkit_commit": toolkit_commit(), "work_folder": work_root(),
            "user": os.environ.get("USER", "")}
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(dict(meta, tasks=results), f, indent=2)
        f.write("\n")
    lines = ["# Wirelab: graded work", "",
             f"- date: {meta['date']}", f"- toolkit commit: {meta['toolkit_commit']}",
             f"- work folder: {meta['work_folder']}", "",
             "| lab | task | result |", "|---|---|---|"]
    lines += [f"| {r['lab']} | {r['task']} | {r['status']} |" for r in results]
    for r in results:
        lines += ["", f"## Lab {r['lab']}: {r['task']}: {r['status']}", ""]
        for c in r["checks"]:
            lines.append(f"- {'ok' if c['ok'] else 'FAIL'} **{c['check']}**" +
                         (f": {c['explain']}" if c["explain"] and not c["ok"] else ""))
        if r.get("files"):
            lines += ["", "Graded files (sha256):", ""]
            lines += [f"    {h}  {p}" for p, h in r["files"].items()]
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"report: {base}.md and {base}.json")


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if argv else 2
    what, rest = argv[0], argv[1:]
    report = None
    do_init = False
    while rest:
        opt = rest.pop(0)
        if opt == "--init":
            do_init = True
        elif opt == "--report" and rest:
            report = from_caller(rest.pop(0))
        else:
            print(f"grade: unknown option '{opt}' (./wirelab grade N [--init] | all [--report FILE])")
            return 2
    known = labs_with_tasks()
    if what == "list":
        for n in known:
            print(f"  {n}  {task_title(n)}   work folder: {work_dir(n)}")
        return 0
    if what == "all":
        if do_init:
            print("grade: --init takes one lab: ./wirelab grade N --init")
            return 2
        labs = known
    elif what.isdigit() and int(what) in known:
        labs = [int(what)]
    else:
        print(f"grade: lab '{what}' has no task to grade; the labs with one: "
              f"{', '.join(map(str, known))} (./wirelab grade list)")
        return 2
    if do_init:
        return init(labs[0])
    results = []
    for n in labs:
        print(f"{bold}== grading lab {n}: {task_title(n)} ({work_dir(n)}){off}", flush=True)
        result = run_grader(n)
        summary(result)
        results.append(result)
    if len(results) > 1:
        print(f"\n{bold}Summary{off}")
        for r in results:
            print(f"  lab {r['lab']:>2}  {r['status']:<16} {r['task']}")
    if report:
        write_report(report, results)
    if all(r["status"] == "pass" for r in results):
        return 0
    return 1 if any(r["status"] == "fail" for r in results) else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
