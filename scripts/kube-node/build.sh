#!/usr/bin/env bash
# Builds the Kubernetes v1.20.2 binaries the test node runs (control plane, kubelet, kube-proxy, kubectl)
# from Debian bookworm's `kubernetes` source package with Debian's Go, plus a static pause binary, once per
# machine. The result lives outside the checkout, keyed by version and by this recipe's own hash, so a
# second run (and every `.ci/run` after the first) takes seconds. Prints the bin folder on stdout.
#
#   MODELSHIP_CACHE_DIR  cache root (default /var/cache/modelship)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

K8S_VERSION=v1.20.2
DEB_VERSION=1.20.5+really1.20.2-1.1+deb12u1
TARGETS=(cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kube-proxy cmd/kubectl)

recipe_hash="$(cat "$here/build.sh" "$here/pause.c" | sha256sum | cut -c1-12)"
root="${MODELSHIP_CACHE_DIR:-/var/cache/modelship}/kube-node"
out="$root/$K8S_VERSION-$recipe_hash"
work="$root/work-$K8S_VERSION"   # source tree and Go cache: reused across recipe changes
bin="$out/bin"

log() { echo "kube-node: $*" >&2; }

if [ -f "$out/.complete" ]; then echo "$bin"; exit 0; fi
mkdir -p "$root"
exec 9>"$root/.build.lock"
flock 9   # two test processes starting at once build once; the second finds the cache
if [ -f "$out/.complete" ]; then echo "$bin"; exit 0; fi
bash "$here/install-debs.sh"
mkdir -p "$work" "$bin"

# apt-get source through a private configuration: the deb-src twins of this machine's own Debian sources,
# its own lists, so the machine's apt state is left as it was.
fetch_source() {
  local apt="$work/apt" src="$work/src"
  [ -f "$src/.unpacked" ] && return 0
  log "fetching the kubernetes=$DEB_VERSION source package"
  mkdir -p "$apt/lists/partial" "$src"
  {
    cat /etc/apt/sources.list 2>/dev/null || true
    cat /etc/apt/sources.list.d/*.list 2>/dev/null || true
  } | awk '$1 == "deb" && /debian/ { $1 = "deb-src"; print }' > "$apt/sources.list"
  for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f"; echo; done \
    > "$apt/deb-src.sources"
  mkdir -p "$apt/parts" && mv "$apt/deb-src.sources" "$apt/parts/"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Get::List-Cleanup=false
    -o APT::Sandbox::User=root)   # the cache folder is root's; _apt could not write there
  mkdir -p "$apt/cache/archives/partial"
  apt-get "${opts[@]}" update -qq
  rm -rf "$src" && mkdir -p "$src"
  (cd "$src" && apt-get "${opts[@]}" source -qq "kubernetes=$DEB_VERSION" >/dev/null)
  local tree; tree="$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -1)"
  [ -d "$tree/vendor" ] || { log "the source package has no vendor/ tree"; exit 70; }
  ln -sfn "$tree" "$src/tree"
  touch "$src/.unpacked"
}

# GOPATH mode: module mode fails with "updates to go.mod needed" on Debian's Go.
gopath_env() {
  export GOPATH="$work/gopath" GOCACHE="$work/gocache" GO111MODULE=off GOFLAGS= CGO_ENABLED=0
  mkdir -p "$GOPATH/src/k8s.io"
  ln -sfn "$(readlink -f "$work/src/tree")" "$GOPATH/src/k8s.io/kubernetes"
}

# reflect2 v1.0.1 (vendored) reads runtime internals that changed in Go 1.18: replace it with Debian's 1.0.2.
patch_reflect2() {
  local v="$GOPATH/src/k8s.io/kubernetes/vendor/github.com/modern-go/reflect2"
  [ -f "$v/go_above_118.go" ] && return 0
  log "replacing vendored reflect2 with Debian's 1.0.2"
  rm -rf "$v" && mkdir -p "$v"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2/. "$v/"
  rm -f "$v/go.mod" "$v/go.sum"
}

gen_openapi() {
  local k="$GOPATH/src/k8s.io/kubernetes"
  [ -s "$k/pkg/generated/openapi/zz_generated.openapi.go" ] && return 0
  log "generating pkg/generated/openapi (make gen_openapi)"
  (cd "$k" && make gen_openapi) > "$work/gen_openapi.log" 2>&1 || { tail -30 "$work/gen_openapi.log" >&2; exit 70; }
}

ldflags() {
  local kv pkg key
  local -A vals=([gitVersion]=$K8S_VERSION [gitMajor]=1 [gitMinor]=20 [gitTreeState]=clean
    [gitCommit]=debian-$DEB_VERSION [buildDate]=1970-01-01T00:00:00Z)
  kv="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for key in "${!vals[@]}"; do
      kv+=" -X k8s.io/kubernetes/vendor/$pkg.$key=${vals[$key]} -X $pkg.$key=${vals[$key]}"
    done
  done
  echo "$kv"
}

# go build -v prints each package as it is compiled; count them against `go list -deps` for progress.
build_go() {
  local k="$GOPATH/src/k8s.io/kubernetes" pkgs=() t total start n=0 line now
  for t in "${TARGETS[@]}"; do pkgs+=("k8s.io/kubernetes/$t"); done
  total="$(cd "$k" && go list -deps "${pkgs[@]}" | wc -l)"
  start=$(date +%s)
  log "building ${#TARGETS[@]} binaries (~$total packages; cold ≈ 8 min on 2 cores, warm seconds)"
  (cd "$k" && go build -v -trimpath -ldflags "$(ldflags)" -o "$bin/" "${pkgs[@]}" 2>&1) |
    while IFS= read -r line; do
      case "$line" in
        \#*|*.go:*) echo "$line" >&2; continue ;;   # compiler messages, not package names
      esac
      n=$((n + 1)); now=$(date +%s)
      if [ $((n % 50)) -eq 0 ]; then
        local el=$((now - start)) pct=$((n * 100 / (total > 0 ? total : 1)))
        local eta=$(( el > 0 && n < total ? (total - n) * el / n : 0 ))
        log "$n/$total packages ($pct%), $((n * 60 / (el > 0 ? el : 1)))/min, ${el}s elapsed, ETA ${eta}s"
      fi
    done
  [ "${PIPESTATUS[0]}" -eq 0 ] || exit 70
  for t in "${TARGETS[@]}"; do [ -x "$bin/${t#cmd/}" ] || { log "missing ${t#cmd/} after build"; exit 70; }; done
  log "Go build done in $(( $(date +%s) - start ))s"
}

build_pause() {
  gcc -static -Os -o "$bin/pause" "$here/pause.c"
  strip "$bin/pause"
}

fetch_source
gopath_env
patch_reflect2
gen_openapi
build_go
build_pause
"$bin/kube-apiserver" --version >&2
touch "$out/.complete"
echo "$bin"
