# pictures_test.sh - pages.py's picture blocks: `paste` puts the recorded picture beside the
# page and writes its image line; `check` compares a fresh picture with the page's by structure
# (marks, classes, labels with numbers masked) and fails on an arrow more or less, a changed
# label or a missing picture, but not on other numbers; a "kinds" block compares only which
# kinds of marks there are.
. "$WIRELAB_SOURCE/tests/lib.sh"
PAGES="/usr/bin/python3 $WIRELAB_SOURCE/labs/pages.py"
S="$WIRELAB_BIN/sniffer"
CORPUS="$WIRELAB_SOURCE/tests/sniffer/pcaps"

step "a lab folder with one text block and two picture blocks, one of them 'kinds'"
rm -rf lab out && mkdir -p lab out/pictures
cat >lab/README.md <<'MD'
# A page

<!-- output: s -->
```text
```
<!-- /output -->

<!-- picture: ladder -->
![the ladder](pictures/ladder.svg)
<!-- /picture -->

<!-- picture: trace kinds -->
<!-- /picture -->
MD
echo '$ sniffer -r x.pcap --svg ladder > ladder.svg' >out/s.txt
"$S" -r "$CORPUS/tcp_retrans.pcap" --svg ladder >out/pictures/ladder.svg 2>/dev/null
"$S" -r "$CORPUS/tcp_retrans.pcap" --svg tcptrace >out/pictures/trace.svg 2>/dev/null

step "paste copies both pictures beside the page and writes their image lines"
$PAGES paste lab out || fail "paste failed"
cmp -s out/pictures/ladder.svg lab/pictures/ladder.svg || fail "ladder.svg not copied"
cmp -s out/pictures/trace.svg lab/pictures/trace.svg || fail "trace.svg not copied"
grep -qx '!\[the ladder\](pictures/ladder.svg)' lab/README.md || fail "the image line lost its words: $(cat lab/README.md)"
grep -qx '!\[trace\](pictures/trace.svg)' lab/README.md || fail "no image line for trace: $(cat lab/README.md)"
$PAGES check lab out >check.out || fail "check failed on what paste just wrote: $(cat check.out)"
grep -q '2 pictures match' check.out || fail "check did not count the pictures: $(cat check.out)"

step "other numbers (times, ports, sequence numbers) do not count"
sed -e 's/seq 101/seq 7101/; s/10.0.0.2:7007/10.0.0.2:8080/; s/0\.206000/9.206000/' \
  lab/pictures/ladder.svg >out/pictures/ladder.svg
$PAGES check lab out >check.out || fail "masked numbers made check fail: $(cat check.out)"

step "an arrow less fails, and says which mark and what to do"
/usr/bin/python3 - lab/pictures/ladder.svg out/pictures/ladder.svg <<'PY'
import re, sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r'<g class="arrow" data-frame="5".*?</g>\n', "", text,
                                    count=1, flags=re.S))
PY
if $PAGES check lab out >check.out; then fail "a missing arrow passed"; fi
grep -q 'pictures/ladder.svg, mark' check.out && grep -q 'labs/regen' check.out \
  || fail "the complaint does not name the mark and labs/regen: $(cat check.out)"

step "a changed label fails; a retransmission unmarked fails"
sed 's/SYN,ACK/SYN/' lab/pictures/ladder.svg >out/pictures/ladder.svg
if $PAGES check lab out >check.out; then fail "a changed label passed"; fi
sed 's/class="arrow retrans"/class="arrow"/' lab/pictures/ladder.svg >out/pictures/ladder.svg
if $PAGES check lab out >check.out; then fail "an unmarked retransmission passed"; fi
cp lab/pictures/ladder.svg out/pictures/ladder.svg

step "'kinds': a bar more passes, a kind of mark gone (no retransmission) fails"
sed '0,/<line class="seg" /s//<line class="seg" data-extra="1" \/><line class="seg" /' \
  lab/pictures/trace.svg >out/pictures/trace.svg
$PAGES check lab out >check.out || fail "one bar more failed a kinds block: $(cat check.out)"
sed 's/class="seg retrans"/class="seg"/g' lab/pictures/trace.svg >out/pictures/trace.svg
if $PAGES check lab out >check.out; then fail "a trace without retransmissions passed"; fi

step "a picture the lab no longer draws fails"
rm out/pictures/trace.svg
if $PAGES check lab out >check.out; then fail "a missing fresh picture passed"; fi
grep -q "drew none" check.out || fail "wrong complaint: $(cat check.out)"
echo "picture blocks are pasted and checked by structure"
