#!/usr/bin/env bash
# Installs the Debian packages the test node needs: Go to build Kubernetes, etcd for its store, containerd,
# runc and the CNI plugins to run pods, iptables and conntrack for kube-proxy, reflect2 to replace the
# vendored copy that is unsafe on Go >= 1.18, a C toolchain for the static pause binary, dpkg-dev to unpack
# the source package. Their services are not used (the harness starts its own processes).
set -euo pipefail

want=(golang-go etcd-server containerd runc containernetworking-plugins iptables conntrack
  golang-github-modern-go-reflect2-dev build-essential dpkg-dev openssl iproute2)
need=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "kube-node: installing ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
