"""gradelib.py - what the graders written in Python share (grade/labN/grade).

A grader prints one JSON object a line, {"check", "ok", "explain"}, and exits 0 (all held),
1 (a check failed) or 2 (could not grade: say what to do). With this module:

    import sys, os; sys.path.insert(0, os.path.join(os.environ["WIRELAB_ROOT"], "grade"))
    sys.dont_write_bytecode = True   # no __pycache__ in the checkout
    import gradelib as g
    g.enter_namespace()              # re-run this grader in a network namespace of its own
    g.ok("one byte")                 # a check that held
    g.fail("one byte", "expected..., got...; see ...")   # failed: print, exit 1
    g.cannot("files", "no echo_server.c in ...: run ./wirelab grade 1 --init")  # exit 2
    g.done()                         # exit 0 (or 1 if a soft failure was recorded)

An explanation says what was expected, what happened and where to look; never the answer.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.environ.get("WIRELAB_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("WIRELAB_BIN") or os.path.join(ROOT, "build", "bin")
_failed = False


def emit(check, ok_, explain=""):
    print(json.dumps({"check": check, "ok": ok_, "explain": explain}), flush=True)


def ok(check, explain=""):
    emit(check, True, explain)


def fail(check, explain, stop=True):
    """A failed check; stops the grader (exit 1) unless stop=False."""
    global _failed
    emit(check, False, explain)
    _failed = True
    if stop:
        sys.exit(1)


def cannot(check, explain):
    """Could not grade (files missing, a tool missing): exit 2 with what to do."""
    emit(check, False, explain)
    sys.exit(2)


def done():
    sys.exit(1 if _failed else 0)


def note(text):
    """A line for the student that is not a check (the driver shows it dimmed)."""
    print(text, flush=True)


def enter_namespace():
    """Re-run this grader inside a user + network namespace of its own, as the labs do: a
    private loopback where an ordinary user may capture, and every port is free. Returns True
    inside one, False where the system forbids them (the grader then runs on the host).
    WIRELAB_GRADE_NO_NS=1 acts as if they were forbidden (to try that path)."""
    if os.environ.get("WIRELAB_GRADE_NO_NS"):
        return False
    if os.environ.get("WIRELAB_GRADE_IN_NS"):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
        return True
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        return False
    env = dict(os.environ, WIRELAB_GRADE_IN_NS="1")
    args = ["unshare", "--user", "--map-root-user", "--net", sys.executable,
            os.path.abspath(sys.argv[0])] + sys.argv[1:]
    sys.stdout.flush()
    os.execvpe("unshare", args, env)
    return True  # not reached


def free_port(kind=socket.SOCK_STREAM):
    """A port nobody uses right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_files(workdir, names, lab):
    """Exit 2 naming the first missing file and how to start."""
    for name in names:
        if not os.path.exists(os.path.join(workdir, name)):
            cannot("files", f"{name} is not in {workdir}: run ./wirelab grade {lab} --init to "
                            f"start from the skeleton, or put your {name} there")


def build(workdir, lab, target):
    """make in the work folder (the skeleton's Makefile); exit 2 with the compiler's first
    errors if it does not build."""
    if not shutil.which("make") or not shutil.which("cc"):
        cannot("build", "grading needs make and a C compiler: sudo apt-get install -y make gcc")
    out = subprocess.run(["make", "-C", workdir, target], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        text = (out.stderr or out.stdout).strip().splitlines()
        cannot("build", f"`make -C {workdir} {target}` failed; fix the first error and run "
                        f"./wirelab grade {lab} again:\n" + "\n".join(text[:15]))
    ok("build", f"make {target} built {target}")


def sniffer_packets(pcap):
    """The capture as the sniffer's JSON Lines (sniffer -r FILE --json), a list of dicts;
    exits 2 if the sniffer cannot read it."""
    sniffer = os.path.join(BIN, "sniffer")
    if not os.path.exists(sniffer):
        cannot("sniffer", f"{sniffer} is not built: run ./wirelab build")
    out = subprocess.run([sniffer, "-r", pcap, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        cannot("capture", f"the sniffer cannot read {pcap}: {out.stderr.strip()[:300]}; "
                          "was it written by sniffer -w (or tcpdump -w) and the capture stopped "
                          "with Ctrl-C?")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def layer(pkt, proto):
    return next((lay for lay in pkt["layers"] if lay["proto"] == proto), None)


def read_answers(path, keys, lab):
    """The answers file: `key: value` lines; '#' starts a comment. Returns {key: value} for
    every key in keys; exits 2 naming the first key that is missing or still blank."""
    if not os.path.exists(path):
        cannot("answers", f"there is no {path}: run ./wirelab grade {lab} --init for the "
                          "template, then fill it in")
    answers = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            m = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
            if m:
                answers[m.group(1).lower()] = m.group(2).strip()
    for key in keys:
        if not answers.get(key):
            cannot("answers", f"{os.path.basename(path)} has no answer for '{key}' yet "
                              f"(a line '{key}: VALUE'): fill in every line of the template")
    return answers


def answer_int(answers, key):
    """An answer that must be a whole number, or None (the caller explains)."""
    value = answers.get(key, "")
    return int(value) if re.fullmatch(r"\d+", value) else None


class Process:
    """A program the grader starts (the student's server, say), in a process group of its own,
    so stop() ends it and any child it forked, by that group's id (never by name)."""

    def __init__(self, argv, cwd=None, log=None):
        self.log_path = log
        self.logf = open(log, "w") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def output(self, limit=600):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as f:
            text = f.read()
        return text if len(text) <= limit else "..." + text[-limit:]

    def _signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)  # the group this Popen made: the program and its children
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, deadline=3.0):
        """SIGTERM to the program's group, then SIGKILL after deadline seconds; returns the
        program's exit status."""
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait()
        if self.logf is not subprocess.DEVNULL:
            self.logf.close()
        return self.proc.returncode


def wait_for(predicate, deadline):
    """Poll predicate() every 50 ms until it is true or deadline seconds pass."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class Capture:
    """sniffer -i IFACE -f FILTER -w PCAP while the grader runs its checks."""

    def __init__(self, iface, bpf, pcap, log):
        self.pcap = pcap
        self.log = log
        self.proc = Process([os.path.join(BIN, "sniffer"), "-i", iface, "-f", bpf, "-w", pcap],
                            log=log)
        started = wait_for(lambda: "listening on" in self.proc.output(2000) or not self.proc.alive(),
                           5)
        self.ok = started and self.proc.alive()

    def stop(self):
        time.sleep(0.3)  # the last packets (the final ACK) reach the capture
        if self.proc.alive():
            self.proc.proc.send_signal(signal.SIGINT)  # as Ctrl-C: the sniffer closes the file
            try:
                self.proc.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.proc.stop()


# ---- capture tasks (labs 3, 8, 9): the student's pcap and answers file -------------------

def load_capture(workdir, name, lab):
    """The student's capture WORKDIR/NAME as the sniffer's packets; exits 2 if it is missing
    or empty."""
    pcap = os.path.join(workdir, name)
    if not os.path.exists(pcap):
        cannot("capture", f"there is no {pcap}: take the capture as the task says (in "
                          f"./wirelab shell, sniffer ... -w {pcap}), then grade again")
    pkts = sniffer_packets(pcap)
    if not pkts:
        cannot("capture", f"{pcap} holds no packets: was the capture running while the "
                          "programs talked? Start the sniffer first, stop it last (Ctrl-C)")
    return pkts


def describe(pkt):
    """A frame in a few words, for an explanation: 'frame 5: TCP 127.0.0.1:7007 > ... [ACK]'.
    Says what the student can see in the sniffer anyway; never an answer by itself."""
    n = pkt["n"]
    arp = layer(pkt, "arp")
    if arp:
        return f"frame {n} is an ARP {'request' if arp['op'] == 1 else 'reply'}"
    ip = layer(pkt, "ipv4") or layer(pkt, "ipv6")
    tcp, udp = layer(pkt, "tcp"), layer(pkt, "udp")
    if ip and tcp:
        data = " carrying data" if tcp["payload_len"] else ", no data"
        return (f"frame {n} is TCP {ip['src']}:{tcp['sport']} > {ip['dst']}:{tcp['dport']} "
                f"[{','.join(tcp['flags'])}]{data}")
    if ip and udp:
        return f"frame {n} is UDP {ip['src']}:{udp['sport']} > {ip['dst']}:{udp['dport']}"
    return f"frame {n} is {'/'.join(lay['proto'] for lay in pkt['layers'])}"


def frame(pkts, n):
    """Packet number n (1-based, as the sniffer numbers them), or None."""
    return next((p for p in pkts if p["n"] == n), None)
