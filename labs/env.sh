# labs/env.sh - what ./wirelab, every lab (labs/lib.sh) and `./wirelab shell` share. Sourced.
# shellcheck shell=bash
#
# 1. PATH. Debian installs nft, sysctl, setcap, getcap, haproxy (and on older systems ip) in
#    /usr/sbin and /sbin, which an ordinary user's login PATH (/etc/login.defs ENV_PATH, what
#    `su -l` gives) leaves out. The labs run them inside a namespace of their own, where they work
#    without sudo, so they must be found: both folders are appended (the user's own come first).
# 2. npm packages, installed only for the labs and tests that use them (wirelab_npm_ready).

case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac
case ":$PATH:" in *:/sbin:*) ;; *) PATH=$PATH:/sbin ;; esac
export PATH

# wirelab_npm_ready ROOT : make ROOT/tests/node_modules match tests/package-lock.json (npm ci),
# unless it already does. Only the labs that run npm packages (4: playwright-core drives
# Chromium; 6 and 7: socket.io-client) and ./wirelab test call this; every other lab works
# offline. npm ci needs the registry and deletes node_modules before it installs, so packages
# that are only out of date are kept when the registry cannot be reached (a classroom, a train).
# Returns 1, having said why, when the packages could not be installed; the caller decides.
wirelab_npm_ready() {
  local tests=$1/tests
  # npm itself writes node_modules/.package-lock.json at every install (npm ci by hand too).
  local stamp=$tests/node_modules/.package-lock.json
  [ -f "$tests/package.json" ] || return 0
  [ -f "$stamp" ] && ! [ "$tests/package-lock.json" -nt "$stamp" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "wirelab: npm is not installed, so the npm packages in tests/package.json cannot be: sudo apt-get install -y npm" >&2
    return 1
  fi
  # Ask the registry first (under a second when it is unreachable). If it does not answer (or
  # is a mirror without /-/ping), npm ci tries once, without its minute of retries.
  local retries=()
  if ! npm ping --fetch-retries=0 >/dev/null 2>&1; then
    if [ -d "$tests/node_modules" ]; then
      echo "wirelab: tests/node_modules is older than tests/package-lock.json, and the npm registry" >&2
      echo "  ($(npm config get registry)) cannot be reached: using the packages already installed." >&2
      return 0
    fi
    retries=(--fetch-retries=0)
  fi
  echo "wirelab: installing the npm packages in tests/package.json (npm ci, from the npm registry)"
  if ! (cd "$tests" && npm ci --no-audit --no-fund --loglevel=error "${retries[@]}" >/dev/null 2>&1); then
    echo "wirelab: npm ci in tests/ could not install the npm packages in tests/package.json (is the" >&2
    echo "  npm registry, $(npm config get registry), reachable?)." >&2
    echo "  With a network, run it by hand to see why: (cd tests && npm ci)" >&2
    return 1
  fi
}
