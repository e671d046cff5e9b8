#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine: the Debian packages (scipy and
# scikit-learn for reference values, git for gitlab-ci-local, prometheus to scrape the model server,
# docker-registry and skopeo for the OCI client) and the npm packages, offline-safe for onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
/usr/bin/python3 -c 'import scipy, numpy' 2>/dev/null || need+=(python3-scipy python3-numpy)
/usr/bin/python3 -c 'import pandas' 2>/dev/null || need+=(python3-pandas)
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)   # reference models and metrics
command -v git >/dev/null || need+=(git)
command -v rsync >/dev/null || need+=(rsync)   # gitlab-ci-local copies the project with it
[ -x /usr/bin/time ] || need+=(time)
command -v prometheus >/dev/null || need+=(prometheus)   # scrapes `modelship serve` in tests; its service is not used
command -v docker-registry >/dev/null || need+=(docker-registry)   # the OCI registry pushed to in tests; its service is not used
command -v skopeo >/dev/null || need+=(skopeo)   # reads back what the tests push
command -v htpasswd >/dev/null || need+=(apache2-utils)   # bcrypt users for the registry's htpasswd auth in tests
command -v openssl >/dev/null || need+=(openssl)   # the test token server's signing certificate
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The test node (a real Kubernetes v1.20.2 from Debian's packages): its Debian packages, and its
# binaries built once per machine into /var/cache/modelship (keyed by version and recipe), then cached.
bash scripts/kube-node/build.sh >/dev/null
