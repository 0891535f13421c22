#!/usr/bin/env bash
# Installs what skiff needs and is missing: Debian packages (as root) and npm packages.
# Idempotent; quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# The node agent: OCI runtimes and their monitor, CNI plugins, packet filtering, a static
# busybox for test images, Debian's OCI registry for pull tests.
command -v crun >/dev/null 2>&1 || need_apt+=(crun)
command -v runc >/dev/null 2>&1 || need_apt+=(runc)
command -v conmon >/dev/null 2>&1 || need_apt+=(conmon)
command -v socat >/dev/null 2>&1 || need_apt+=(socat)  # attach stdin: bridges to conmon's SEQPACKET socket
[ -x /usr/lib/cni/bridge ] || need_apt+=(containernetworking-plugins)
[ -x /usr/bin/busybox ] || need_apt+=(busybox-static)
command -v nft >/dev/null 2>&1 || need_apt+=(nftables)
command -v iptables >/dev/null 2>&1 || need_apt+=(iptables)
command -v conntrack >/dev/null 2>&1 || need_apt+=(conntrack)
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v setfattr >/dev/null 2>&1 || need_apt+=(attr)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)  # registry auth tests
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    # etcd-server's package starts a system etcd on the default ports; skiff starts its own.
    # So does docker-registry on :5000; tests start their own on free ports.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now etcd docker-registry >/dev/null 2>&1 || true; fi
  else
    echo "setup: missing ${need_apt[*]}; run as root or install them with apt-get" >&2
  fi
fi

if [ ! -x node_modules/.bin/node ] || [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -f dist/.stamp ] || [ -n "$(find src -newer dist/.stamp -print -quit)" ]; then
  echo "setup: building dist/"
  bash scripts/build.sh
fi
