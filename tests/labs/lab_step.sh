# lab_step.sh - labs in step mode (the way a student runs them: a terminal, Enter between the
# steps), with a student who reads slowly: `script` gives the lab a terminal and Enter comes
# every few seconds.
#   lab 2: the receiver must still count all 12 datagrams from 5 senders, as the page shows
#          (an idle timeout used to expire while the student read, leaving 8 from 1).
#   lab 4: the browser step must run headless Chromium and show its output (where Chromium
#          and the npm package playwright-core are installed).
. "$WIRELAB_SOURCE/tests/lib.sh"

# step_mode LAB SECONDS LOG : run labs/LAB/run step by step, pressing Enter every SECONDS
# (at most 12 times: bounded), the terminal's output (colours removed) in LOG.
step_mode() {
  local lab=$1 pause=$2 log=$3
  (for _ in $(seq 1 12); do sleep "$pause"; echo; done) |
    timeout 300 script -qec "bash '$WIRELAB_SOURCE/labs/$lab/run'" /dev/null 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g; s/\r$//' >"$log" || true
}

step "lab 2 step by step, 3 s between the steps (longer than any idle timeout the lab had)"
step_mode 02-udp-datagrams 3 lab2.log
grep -q 'Press Enter' lab2.log || fail "the lab did not run in step mode: $(head -20 lab2.log)"
grep -q '12 datagrams from 5 senders' lab2.log ||
  fail "the receiver's summary is not the page's (12 datagrams from 5 senders): $(grep -A2 'summary' lab2.log || tail -30 lab2.log)"
grep -q 'sender .*received 8, lost 2' lab2.log || fail "the numbered sender's books are wrong: $(cat lab2.log)"

if [ -x /usr/bin/chromium ] && [ -d "$WIRELAB_SOURCE/tests/node_modules/playwright-core" ]; then
  step "lab 4 step by step: the browser step runs Chromium and shows what it did"
  step_mode 04-http-to-websocket 1 lab4.log
  grep -q '^\$ browser_echo 8080' lab4.log || fail "the browser step did not run browser_echo: $(tail -20 lab4.log)"
  grep -q 'the echo came back into the page' lab4.log ||
    fail "Chromium's output is not shown: $(sed -n '/browser_echo/,$p' lab4.log)"
else
  echo "note: no /usr/bin/chromium or no tests/node_modules/playwright-core here: lab 4's browser step is not tried"
fi
echo "step mode shows what the pages show"
