"""pages.py - keep each lab's README showing what the programs really print.

usage: pages.py extract LABDIR STEP       print the output block of STEP (replaying a lab)
       pages.py paste LABDIR [OUTPUTS]   replace every output block in LABDIR/README.md with
                                         the text the last `run --record` saved in OUTPUTS
                                         (default LABDIR/output)
       pages.py check LABDIR OUTPUTS     exit 1 if a block differs from a fresh recording
       pages.py check-task LABDIR        exit 1 if the page's "Your turn" is not task.md

An output block in a README is:
    <!-- output: STEP -->
    ```text
    ...what step STEP printed...
    ```
    <!-- /output -->
A picture block shows an SVG the lab drew with `picture NAME --svg KIND` (labs/lib.sh):
    <!-- picture: NAME -->
    ![what it shows](pictures/NAME.svg)
    <!-- /picture -->
`paste` copies the recorded OUTPUTS/pictures/NAME.svg to LABDIR/pictures/NAME.svg and writes
the image line (keeping its words). `check` parses both pictures (the page's and the fresh
one) and compares their structure, not their coordinates: in document order, every arrow,
message, layer box, field, segment bar, datagram, gap and line, by kind and class, with its
label's words (numbers masked, as for the text). So a picture with one arrow more, a label
that changed or a layer missing fails; times, ports and sequence numbers do not. A block
written `<!-- picture: NAME kinds -->` is compared by the set of kinds only (which kinds of
marks and which titles it has, not how many): for a lab whose losses are random, the number
of retransmissions and gaps changes from run to run, but that there are some does not (SACK
blocks are left out: whether any come depends on where the drops fall).
A lab with a task to grade (grade/labNN/task.md, with N the lab's number) also gets a
"Your turn" section: `paste` copies the task into the block
    <!-- task -->
    ...grade/labN/task.md, verbatim...
    <!-- /task -->
(adding "## Your turn" with the block before "## Questions" the first time), and `check`
fails when the page's task differs from task.md.
`check` compares with the numbers masked (ports, times, sequence numbers and checksums change
from run to run) and runs of spaces folded, so it catches a page that drifted from the code:
a changed message, a missing line, a different number of packets.
"""
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET

BLOCK = re.compile(r"(<!-- output: ([\w-]+) -->\n)(.*?)(<!-- /output -->)", re.S)
PICTURE = re.compile(r"(<!-- picture: ([\w-]+)( kinds)? -->\n)(.*?)(<!-- /picture -->)", re.S)
IMAGE = re.compile(r"!\[([^\]]*)\]\(pictures/[\w-]+\.svg\)")
TASK = re.compile(r"(<!-- task -->\n)(.*?)(<!-- /task -->)", re.S)


def recorded(outputs, step):
    path = os.path.join(outputs, step + ".txt")
    if not os.path.exists(path):
        sys.exit(f"pages.py: the page shows step '{step}', but the lab recorded no such step "
                 f"(looked for {path})")
    with open(path) as f:
        return f.read().rstrip("\n")


def task_text(labdir):
    """grade/labN/task.md for this lab folder (labs/NN-name), or None if it has no task."""
    name = os.path.basename(os.path.normpath(labdir))
    if not name[:2].isdigit():
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "grade",
                        f"lab{int(name[:2])}", "task.md")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read().strip("\n") + "\n"


def paste_task(labdir, text):
    task = task_text(labdir)
    if task is None:
        return text
    if TASK.search(text):
        return TASK.sub(lambda m: m.group(1) + task + m.group(3), text)
    section = "## Your turn\n\n<!-- task -->\n" + task + "<!-- /task -->\n\n"
    at = text.find("\n## Questions")
    if at < 0:
        return text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    return text[: at + 1] + section + text[at + 1:]


def paste_picture(labdir, outputs, m):
    """Copy the recorded picture beside the page; the block is its image line."""
    name = m.group(2)
    src = os.path.join(outputs, "pictures", name + ".svg")
    if not os.path.exists(src):
        sys.exit(f"pages.py: the page shows picture '{name}', but the lab drew no such picture "
                 f"(looked for {src})")
    os.makedirs(os.path.join(labdir, "pictures"), exist_ok=True)
    shutil.copyfile(src, os.path.join(labdir, "pictures", name + ".svg"))
    alt = IMAGE.search(m.group(4))
    words = alt.group(1) if alt else name
    return m.group(1) + f"![{words}](pictures/{name}.svg)\n" + m.group(5)


def paste(labdir, outputs):
    page = os.path.join(labdir, "README.md")
    text = open(page).read()
    new = BLOCK.sub(lambda m: m.group(1) + "```text\n" + recorded(outputs, m.group(2)) +
                    "\n```\n" + m.group(4), text)
    new = PICTURE.sub(lambda m: paste_picture(labdir, outputs, m), new)
    open(page, "w").write(paste_task(labdir, new))
    return 0


# What a picture's structure is made of: the marks view_svg_*.c draw, found by class.
MARKS = {"arrow", "msg", "lost", "layer", "field", "title", "label", "seg", "gap", "dgram",
         "sack", "ack", "win", "flow", "phase"}


def shape(path, kinds_only):
    """The picture as lines "tag.class attribute-words: masked text", in document order
    (kinds_only: the sorted set of them). Coordinates, times and numbers do not count."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        return [f"(not a picture: {e})"]
    out = []
    for el in root.iter():
        cls = (el.get("class") or "").split()
        if not cls or cls[0] not in MARKS:
            continue
        tag = el.tag.split("}")[-1]
        words = " ".join(el.get(a) for a in ("data-proto", "data-name") if el.get(a))
        text = "" if tag == "g" else " ".join("".join(el.itertext()).split())
        if kinds_only and cls[0] == "sack":
            continue  # SACK blocks come only when a drop is followed by later arrivals: chance
        if kinds_only and cls[0] not in ("title",):
            text = ""  # a kind of mark, not what it says (how much was lost varies)
        line = f"{tag}.{'.'.join(cls)} {words}: {' '.join(masked(text))}".rstrip()
        out.append(line)
    return sorted(set(out)) if kinds_only else out


def check_pictures(labdir, outputs, text):
    for m in PICTURE.finditer(text):
        name, kinds = m.group(2), bool(m.group(3))
        if not IMAGE.search(m.group(4)):
            print(f"README.md, picture '{name}': the block shows no ![...](pictures/{name}.svg)")
            return 1
        page_pic = os.path.join(labdir, "pictures", name + ".svg")
        fresh = os.path.join(outputs, "pictures", name + ".svg")
        if not os.path.exists(fresh):
            print(f"README.md shows picture '{name}', but the lab drew none ({fresh})")
            return 1
        want, got = shape(page_pic, kinds), shape(fresh, kinds)
        for i in range(max(len(want), len(got))):
            w = want[i] if i < len(want) else "(the page's picture ends here)"
            g = got[i] if i < len(got) else "(the fresh picture has nothing more)"
            if w != g:
                print(f"pictures/{name}.svg, mark {i + 1}: the page's picture has\n    {w}\n"
                      f"but the programs now draw\n    {g}\n"
                      f"run labs/regen {regen_name(labdir)} to update the page")
                return 1
    return 0


def check_task(labdir, text):
    """The page's "Your turn" must be grade/labN/task.md as it is today."""
    task = task_text(labdir)
    if task is None:
        return 0
    m = TASK.search(text)
    shown = m.group(2) if m else None
    if shown == task:
        return 0
    where = "has no \"Your turn\" section" if m is None else "shows an older task"
    print(f"README.md {where}: grade/lab{regen_name(labdir).lstrip('0')}/task.md changed; "
          f"run labs/regen {regen_name(labdir)} to update the page")
    return 1


def masked(text):
    lines = []
    for line in text.strip("\n").splitlines():
        line = re.sub(r"\b0x[0-9a-fA-F]+\b", "0x0", line)
        if re.match(r"^\s*[0-9a-f]{4}:", line):  # a hex dump row: every byte may differ
            line = re.sub(r"\b[0-9a-f]{2}\b", "00", line)
        # four or more hex bytes in a row (a masking key, say) change from run to run too
        line = re.sub(r"\b[0-9a-f]{2}(?: [0-9a-f]{2}){3,}\b",
                      lambda m: re.sub(r"[0-9a-f]{2}", "00", m.group(0)), line)
        # Engine.IO session ids and Socket.IO private ids are random on every run
        line = re.sub(r'"(sid|pid)":"[^"]*"', r'"\1":"<id>"', line)
        line = re.sub(r"\bsid=[A-Za-z0-9_-]+", "sid=<id>", line)
        # keys, masks and other hex numbers that change from run to run
        line = re.sub(r"\b(?=[0-9a-f]*\d)[0-9a-f]{6,}\b", "0", line)
        line = re.sub(r"\d+", "0", line)
        line = re.sub(r"0(\.0)+", "0", line)
        line = re.sub(r"[ \t]+", " ", line).rstrip()
        line = re.sub(r"-{2,}", "--", line)
        lines.append(line)
    return lines


def regen_name(labdir):
    name = os.path.basename(os.path.normpath(labdir))
    return name[:2] if name[:2].isdigit() else name


def check(labdir, outputs):
    text = open(os.path.join(labdir, "README.md")).read()
    blocks = BLOCK.findall(text)
    if not blocks:
        print(f"{labdir}/README.md has no output blocks")
        return 1
    for _, step, body, _ in blocks:
        shown = body.strip("\n")
        shown = re.sub(r"^```text\n|```$", "", shown.strip(), flags=re.M).strip("\n")
        want, got = masked(shown), masked(recorded(outputs, step))
        for i in range(max(len(want), len(got))):
            w = want[i] if i < len(want) else "(the page ends here)"
            g = got[i] if i < len(got) else "(the program printed nothing more)"
            if w != g:
                print(f"README.md, step '{step}', line {i + 1}: the page shows\n    {w}\n"
                      f"but the programs now print\n    {g}\n"
                      f"run labs/regen {regen_name(labdir)} to update the page")
                return 1
    if check_task(labdir, text) or check_pictures(labdir, outputs, text):
        return 1
    pictures = len(PICTURE.findall(text))
    print(f"README.md of {os.path.basename(labdir)}: {len(blocks)} output blocks"
          f"{f' and {pictures} pictures' if pictures else ''} match the programs")
    return 0


def extract(labdir, step):
    text = open(os.path.join(labdir, "README.md")).read()
    for _, name, body, _ in BLOCK.findall(text):
        if name == step:
            print(re.sub(r"^```text\n|```\s*$", "", body.strip()).strip("\n"))
            return 0
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "extract":
        sys.exit(extract(sys.argv[2], sys.argv[3]))
    if len(sys.argv) >= 3 and sys.argv[1] == "paste":
        sys.exit(paste(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else
                       os.path.join(sys.argv[2], "output")))
    if len(sys.argv) == 3 and sys.argv[1] == "check-task":
        sys.exit(check_task(sys.argv[2], open(os.path.join(sys.argv[2], "README.md")).read()))
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
