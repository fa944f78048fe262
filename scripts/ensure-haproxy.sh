#!/usr/bin/env bash
# Installs what the tests and `make run` need when it is missing (Debian).
set -euo pipefail
need=()
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
for p in "$@"; do
  case $p in
    promtool) { command -v promtool && command -v prometheus; } >/dev/null 2>&1 || need+=(prometheus) ;;
    # Debian names the packages after the role, not the command.
    etcd) command -v etcd >/dev/null 2>&1 || need+=(etcd-server) ;;
    etcdctl) command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client) ;;
    *) command -v "$p" >/dev/null 2>&1 || need+=("$p") ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
}
command -v haproxy >/dev/null
