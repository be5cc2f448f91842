# student.sh - the course as a student takes it: an ordinary account without sudo, a login
# shell with Debian's user PATH (no /usr/sbin: nft, sysctl live there), a clone of its own,
# and no npm registry (a classroom, a train) for every lab that does not use npm packages.
#
# As root (CI's fresh machine) it creates a user (useradd; userdel -r at the end) and runs each
# command through `su -l USER -c`; otherwise it runs them with `env -i` (HOME, Debian's user
# PATH, nothing else) under `bash -l`. In that account's home it copies the source tree (what
# git tracks, plus new files not yet committed), then, as that user:
#   ./wirelab build, ./wirelab doctor (exit 0, no FIX), ./wirelab shell (nft, sysctl and the
#   labs/bin helpers found), ./wirelab lab N --check for every lab that does not use npm and
#   ./wirelab tour, all with npm_config_registry pointing at a closed port; then the labs that
#   set LAB_NPM=1 with the npm packages the tree already has (copied from tests/node_modules),
#   the registry still closed (installed packages must not be installed again), or, where the
#   tree has none, with the registry reachable.
. "$WIRELAB_SOURCE/tests/lib.sh"

DEBIAN_USER_PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games # login.defs ENV_PATH
NO_REGISTRY=http://127.0.0.1:9/ # the discard port: nothing listens, npm fails at once
STUDENT="" HOMEDIR=""

cleanup_student() {
  cleanup_pids
  if [ -n "$STUDENT" ]; then
    userdel -r "$STUDENT" 2>/dev/null || userdel -r -f "$STUDENT" 2>/dev/null || true
  elif [ -n "$HOMEDIR" ]; then
    rm -rf "$HOMEDIR"
  fi
}
trap cleanup_student EXIT

# as_student CMD : CMD (a shell command line) in a login shell of the student, in the clone,
# with Debian's user PATH whatever this system's profile says.
as_student() {
  local line="export PATH=$DEBIAN_USER_PATH; cd ~/wirelab && $1"
  if [ -n "$STUDENT" ]; then
    su -l "$STUDENT" -c "$line"
  else
    env -i HOME="$HOMEDIR" USER="$(id -un)" LOGNAME="$(id -un)" TERM=dumb LANG=C.UTF-8 \
      bash -l -c "$line"
  fi
}

if [ "$(id -u)" -eq 0 ]; then
  STUDENT=wl-student-$$
  step "create the user $STUDENT (useradd -m; removed at the end), no sudo"
  useradd -m -s /bin/bash "$STUDENT" || fail "useradd could not create $STUDENT"
  HOMEDIR=$(getent passwd "$STUDENT" | cut -d: -f6)
else
  HOMEDIR=$(mktemp -d "$PWD/home.XXXXXX")
  step "no root here: a clean environment instead (env -i, HOME=$HOMEDIR, bash -l)"
fi

step "copy the source tree into $HOMEDIR/wirelab (no build/, no node_modules)"
mkdir -p "$HOMEDIR/wirelab"
if git -C "$WIRELAB_SOURCE" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$WIRELAB_SOURCE" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) |
    tar -xf - -C "$HOMEDIR/wirelab" || fail "could not copy the tracked files"
else
  tar -C "$WIRELAB_SOURCE" --exclude='./build*' --exclude=node_modules -cf - . |
    tar -xf - -C "$HOMEDIR/wirelab" || fail "could not copy the tree"
fi
[ -z "$STUDENT" ] || chown -R "$STUDENT:" "$HOMEDIR"

step "the login shell's PATH has no /usr/sbin (else this test would not test it)"
path=$(as_student 'echo "$PATH"')
case ":$path:" in *:/usr/sbin:* | *:/sbin:*) fail "the student's PATH has sbin in it: $path" ;; esac

step "./wirelab build, as the student"
as_student './wirelab build' >build.log 2>&1 || fail "the build failed: $(tail -30 build.log)"

step "./wirelab doctor: exit 0 and no FIX line (nothing the course needs is missing)"
as_student './wirelab doctor' >doctor.log 2>&1 || fail "doctor exited non-zero: $(cat doctor.log)"
! grep -q 'FIX' doctor.log || fail "doctor asked for a fix: $(cat doctor.log)"

step "./wirelab shell finds nft, sysctl, ip and the helpers, and nft adds a rule in its namespace"
# (the interactive shell echoes each line it reads: the markers are spelt so the echo is not them)
shell_cmds='for c in nft sysctl ip sniffer frames client push_one poll_open sha1hex b64; do command -v $c >/dev/null || echo "MISS""ING $c"; done
nft add table inet student_probe && nft list tables && echo "NFT""-OK"
exit'
printf '%s\n' "$shell_cmds" | as_student './wirelab shell' >shell.log 2>&1 \
  || fail "./wirelab shell failed: $(cat shell.log)"
! grep -q MISSING shell.log || fail "commands missing in ./wirelab shell: $(grep MISSING shell.log)"
grep -q NFT-OK shell.log || fail "nft did not work in ./wirelab shell: $(cat shell.log)"

npm_labs=() offline_labs=()
for dir in "$WIRELAB_SOURCE"/labs/[0-9][0-9]-*/; do
  n=$((10#$(basename "$dir" | cut -c1-2)))
  if grep -q '^LAB_NPM=' "$dir/run"; then npm_labs+=("$n"); else offline_labs+=("$n"); fi
done

for n in "${offline_labs[@]}"; do
  step "./wirelab lab $n --check, with the npm registry unreachable"
  as_student "npm_config_registry=$NO_REGISTRY ./wirelab lab $n --check" >"lab$n.log" 2>&1 \
    || fail "lab $n failed for the student: $(cat "lab$n.log")"
  ! grep -q 'npm' "lab$n.log" || fail "lab $n (no npm packages) spoke of npm: $(grep npm "lab$n.log")"
  grep -q 'every check passed' "lab$n.log" || fail "lab $n did not pass its checks: $(cat "lab$n.log")"
done

step "./wirelab tour, with the npm registry unreachable"
as_student "npm_config_registry=$NO_REGISTRY ./wirelab tour" >tour.log 2>&1 \
  || fail "the tour failed for the student: $(cat tour.log)"
grep -q 'Done\.' tour.log || fail "the tour did not reach its end: $(tail -20 tour.log)"

registry=$NO_REGISTRY
if [ -f "$WIRELAB_SOURCE/tests/node_modules/.package-lock.json" ]; then
  step "the npm packages this tree has, copied into the student's clone (the registry stays closed)"
  cp -a "$WIRELAB_SOURCE/tests/node_modules" "$HOMEDIR/wirelab/tests/"
  [ -z "$STUDENT" ] || chown -R "$STUDENT:" "$HOMEDIR/wirelab/tests/node_modules"
else
  registry=$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
  step "no tests/node_modules here: the npm labs install them from $registry"
fi
for n in "${npm_labs[@]}"; do
  step "./wirelab lab $n --check (it uses npm packages; registry $registry)"
  as_student "npm_config_registry=$registry ./wirelab lab $n --check" >"lab$n.log" 2>&1 \
    || fail "lab $n failed for the student: $(cat "lab$n.log")"
  grep -q 'every check passed' "lab$n.log" || fail "lab $n did not pass its checks: $(cat "lab$n.log")"
done
echo "every lab (${offline_labs[*]} offline; ${npm_labs[*]} with npm packages) and the tour passed as an ordinary user"
