#!/usr/bin/env bash
# Runs HAProxy (master-worker, foreground) with configs/haproxy.cfg copied to a
# run directory; its `program api` section starts dataplane. Ctrl-C stops all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export DATAPLANE_RUN=${RUN_DIR:-$root/run}
export DATAPLANE_BIN=${DATAPLANE_BIN:-$root/bin/dataplane}
export DATAPLANE_HCL=${DATAPLANE_HCL:-$root/configs/dataplane.hcl}
export DATAPLANE_PORT=${DATAPLANE_PORT:-5555}
export WWW_PORT=${WWW_PORT:-8080}
export APP_PORT=${APP_PORT:-8081}

mkdir -p "$DATAPLANE_RUN/transactions"
DATAPLANE_RUN=$(cd "$DATAPLANE_RUN" && pwd)
# The example listens on 8080 (www) and 8081 (demo app); WWW_PORT and
# APP_PORT move them.
sed -e "s/127\.0\.0\.1:8080/127.0.0.1:$WWW_PORT/" -e "s/127\.0\.0\.1:8081/127.0.0.1:$APP_PORT/" \
  "$root/configs/haproxy.cfg" > "$DATAPLANE_RUN/haproxy.cfg"
rm -f "$DATAPLANE_RUN/master.sock" "$DATAPLANE_RUN/admin.sock"
cd "$DATAPLANE_RUN"
# An empty state file (format version 1) keeps HAProxy from warning at start.
[ -f server-state ] || echo 1 > server-state
haproxy -c -W -q -f haproxy.cfg

cat <<MSG
dataplane: http://127.0.0.1:$DATAPLANE_PORT/v3  (HAProxy serves http://127.0.0.1:$WWW_PORT/)
try:  curl -u admin:adminpwd http://127.0.0.1:$DATAPLANE_PORT/v3/info
Ctrl-C stops HAProxy and dataplane.
MSG
# The master's messages (why a reload failed, among them) go to the terminal
# and to haproxy.log, which dataplane reads back (--master-log).
exec haproxy -W -f haproxy.cfg -S "$DATAPLANE_RUN/master.sock" 2> >(tee -a "$DATAPLANE_RUN/haproxy.log" >&2)
