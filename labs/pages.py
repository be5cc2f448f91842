"""pages.py - keep each lab's README showing what the programs really print.

usage: pages.py paste LABDIR [OUTPUTS]   replace every output block in LABDIR/README.md with
                                         the text the last `run --record` saved in OUTPUTS
                                         (default LABDIR/output)
       pages.py check LABDIR OUTPUTS     exit 1 if a block differs from a fresh recording

An output block in a README is:
    <!-- output: STEP -->
    ```text
    ...what step STEP printed...
    ```
    <!-- /output -->
`check` compares with the numbers masked (ports, times, sequence numbers and checksums change
from run to run) and runs of spaces folded, so it catches a page that drifted from the code:
a changed message, a missing line, a different number of packets.
"""
import os
import re
import sys

BLOCK = re.compile(r"(<!-- output: ([\w-]+) -->\n)(.*?)(<!-- /output -->)", re.S)


def recorded(outputs, step):
    path = os.path.join(outputs, step + ".txt")
    if not os.path.exists(path):
        sys.exit(f"pages.py: the page shows step '{step}', but the lab recorded no such step "
                 f"(looked for {path})")
    with open(path) as f:
        return f.read().rstrip("\n")


def paste(labdir, outputs):
    page = os.path.join(labdir, "README.md")
    text = open(page).read()
    new = BLOCK.sub(lambda m: m.group(1) + "```text\n" + recorded(outputs, m.group(2)) +
                    "\n```\n" + m.group(4), text)
    open(page, "w").write(new)
    return 0


def masked(text):
    lines = []
    for line in text.strip("\n").splitlines():
        line = re.sub(r"\b0x[0-9a-fA-F]+\b", "0x0", line)
        if re.match(r"^\s*[0-9a-f]{4}:", line):  # a hex dump row: every byte may differ
            line = re.sub(r"\b[0-9a-f]{2}\b", "00", line)
        # four or more hex bytes in a row (a masking key, say) change from run to run too
        line = re.sub(r"\b[0-9a-f]{2}(?: [0-9a-f]{2}){3,}\b",
                      lambda m: re.sub(r"[0-9a-f]{2}", "00", m.group(0)), line)
        # keys, masks and other hex numbers that change from run to run
        line = re.sub(r"\b(?=[0-9a-f]*\d)[0-9a-f]{6,}\b", "0", line)
        line = re.sub(r"\d+", "0", line)
        line = re.sub(r"0(\.0)+", "0", line)
        line = re.sub(r"[ \t]+", " ", line).rstrip()
        line = re.sub(r"-{2,}", "--", line)
        lines.append(line)
    return lines


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
                      f"run labs/regen {os.path.basename(labdir)[:2]} to update the page")
                return 1
    print(f"README.md of {os.path.basename(labdir)}: {len(blocks)} output blocks match the programs")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "paste":
        sys.exit(paste(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else
                       os.path.join(sys.argv[2], "output")))
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
