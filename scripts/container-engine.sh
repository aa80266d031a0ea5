#!/usr/bin/env bash
# A container engine for docker-compose and testcontainers on a machine that has none.
#
# Where a Docker engine answers, this does nothing. Otherwise it sets up podman's
# Docker-compatible API and builds local look-alikes of the images the project uses
# (nothing can be pulled here): redis:7-alpine from the host's redis-server,
# node:20-bookworm-slim from the host's node and npm, and the observability profile's
# prom/prometheus from Debian's prometheus package. Then it prints the environment to
# use:
#
#   eval "$(scripts/container-engine.sh)"
#   docker-compose up --build
#
# Everything it makes lives under $BLINDSPOT_CONTAINERS_DIR (default /tmp/blindspot-containers);
# running it again reuses what is there. The comment above each step says why it is needed.
set -euo pipefail

say() { echo "container-engine: $*" >&2; }

if [ -z "${DOCKER_HOST:-}" ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "a Docker engine answers; nothing to set up"
  exit 0
fi

DIR="${BLINDSPOT_CONTAINERS_DIR:-/tmp/blindspot-containers}"
SOCK="$DIR/podman.sock"
mkdir -p "$DIR"

need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# compose's `init: true` runs catatonit as PID 1
[ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
if ((${#need[@]})); then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Lower ulimits: without them every container start fails with
# "error setting rlimit type 7: operation not permitted".
cat >"$DIR/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF
# On a machine whose cgroups are in hybrid mode (v1 controllers, and a cgroup2 hierarchy
# holding a controller too), crun refuses every container ("cgroups in hybrid mode not
# supported"); runc runs them.
controllers=/sys/fs/cgroup/unified/cgroup.controllers
if [ -r "$controllers" ] && [ -n "$(tr -d ' \n' <"$controllers")" ]; then
  if ! command -v runc >/dev/null 2>&1; then
    say "installing runc (cgroups are in hybrid mode, which crun refuses)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null
  fi
  printf '\n[engine]\nruntime = "runc"\n' >>"$DIR/containers.conf"
fi
export CONTAINERS_CONF="$DIR/containers.conf"

# An API service started with another configuration (an earlier run of this script on
# another machine layout) would keep it: restart it when the configuration changed.
if [ -f "$DIR/podman-service.conf" ] && ! cmp -s "$DIR/containers.conf" "$DIR/podman-service.conf"; then
  say "the configuration changed; restarting podman's API"
  pkill -f "podman system service --time=0 unix://$SOCK" 2>/dev/null || true
  for _ in $(seq 1 50); do curl -fsS --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 || break; sleep 0.1; done
fi

# Podman's Docker-compatible API on a socket of our own.
if ! curl -fsS --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
  cp "$DIR/containers.conf" "$DIR/podman-service.conf"
  rm -f "$SOCK"
  say "starting podman's API on $SOCK"
  # From / (env -C), so the service never runs in a folder someone deletes (it then fails
  # every container start); not from a subshell, whose descriptors it would keep open.
  nohup env -C / podman system service --time=0 "unix://$SOCK" </dev/null >"$DIR/podman-service.log" 2>&1 &
  for _ in $(seq 1 100); do
    curl -fsS --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS --unix-socket "$SOCK" http://d/_ping >/dev/null || { say "podman's API did not answer; see $DIR/podman-service.log"; exit 1; }
fi

# Podman runs health checks from systemd timers, and there is no systemd here: without
# this loop every health check stays "starting" and `depends_on: service_healthy`
# waits forever. It runs each running container's check every 2 seconds.
# (A pid file left by an earlier machine or session may name some other process now.)
if ! { [ -f "$DIR/healthchecks.pid" ] && ps -p "$(cat "$DIR/healthchecks.pid")" -o args= 2>/dev/null | grep -q 'podman healthcheck run'; }; then
  say "running container health checks every 2 s (podman has no systemd timers here)"
  nohup bash -c '
    while true; do
      for id in $(podman ps -q --filter health=starting --filter health=healthy --filter health=unhealthy 2>/dev/null); do
        podman healthcheck run "$id" >/dev/null 2>&1 || true
      done
      sleep 2
    done' </dev/null >"$DIR/healthchecks.log" 2>&1 &
  echo $! >"$DIR/healthchecks.pid"
fi

# Copies a binary and the shared libraries it links into a root filesystem.
copy_with_libs() {
  local root="$1" bin="$2" dest="$3"
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$bin" "$root$dest"
  ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# A busybox userland (sh, grep, chown, mkdir, ...) and the users images expect.
base_rootfs() {
  local root="$1"
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,root,data,home/node}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  # Scripts start with #!/usr/bin/env node.
  ln -s ../../bin/busybox "$root/usr/bin/env"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nredis:x:999:999:redis:/data:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nredis:x:999:\n' >"$root/etc/group"
  chown 1000:1000 "$root/home/node"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

image_exists() { podman image exists "$1" 2>/dev/null; }

if ! image_exists docker.io/library/redis:7-alpine; then
  say "building a local redis:7-alpine look-alike from $(command -v redis-server)"
  root="$DIR/redis-rootfs"
  base_rootfs "$root"
  copy_with_libs "$root" "$(command -v redis-server)" /usr/local/bin/redis-server
  copy_with_libs "$root" "$(command -v redis-cli)" /usr/local/bin/redis-cli
  # Like the official image: plain `redis-server` listens beyond loopback.
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
if [ "$1" = "redis-server" ] && [ "$#" -eq 1 ]; then set -- redis-server --protected-mode no; fi
exec "$@"
EOF
  chmod +x "$root/usr/local/bin/docker-entrypoint.sh"
  tar -C "$root" -cf "$DIR/redis.tar" .
  podman import \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["redis-server"]' \
    --change 'WORKDIR /data' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    "$DIR/redis.tar" docker.io/library/redis:7-alpine >/dev/null
fi

if ! image_exists docker.io/library/node:20-bookworm-slim; then
  say "building a local node:20-bookworm-slim look-alike from $(command -v node) ($(node --version))"
  root="$DIR/node-rootfs"
  base_rootfs "$root"
  copy_with_libs "$root" "$(command -v node)" /usr/local/bin/node
  # The rest of glibc that native executables expect of a Debian image (pnpm's own binary needs librt).
  for lib in /lib/x86_64-linux-gnu/{librt,libresolv,libnss_dns,libnss_files,libutil,libanl,libz}.so.*; do
    [ -e "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  npm_dir="$(npm root -g)/npm"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # The host's TLS roots (they may include a proxy's), so npm can reach its registry
  # from a build; the image points node and npm at them.
  mkdir -p "$root/etc/ssl"
  cp -aL /etc/ssl/certs "$root/etc/ssl/certs"
  tar -C "$root" -cf "$DIR/node.tar" .
  podman import \
    --change 'CMD ["node"]' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change "ENV NODE_VERSION=$(node --version | tr -d v)" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV npm_config_cafile=/etc/ssl/certs/ca-certificates.crt' \
    "$DIR/node.tar" docker.io/library/node:20-bookworm-slim >/dev/null
fi

# Prometheus, the version docker-compose.yml names, from Debian's package of it, laid out
# as the official image is: /bin/prometheus as the entrypoint with the official CMD,
# WORKDIR /prometheus, run as nobody, who owns /prometheus and /etc/prometheus; so the
# compose file's `command:` means the same here as with the real image. Only the two
# binaries: the package's web pages need JavaScript from a dozen other Debian packages,
# so this look-alike answers Prometheus's HTTP API (all CI asks of it) but its pages
# are bare. No EXPOSE or VOLUME, as for Redis.
PROMETHEUS_VERSION=2.42.0
if ! image_exists "docker.io/prom/prometheus:v$PROMETHEUS_VERSION"; then
  say "building a local prom/prometheus:v$PROMETHEUS_VERSION look-alike from Debian's prometheus package"
  debs="$DIR/prometheus-deb"
  rm -rf "$debs"
  mkdir -p "$debs"
  # apt downloads as its own user where it can: let it write here.
  chown _apt "$debs" 2>/dev/null || true
  download() { (cd "$debs" && apt-get download -qq prometheus) >&2; }
  download 2>/dev/null || { apt-get update -qq && download; }
  deb="$(echo "$debs"/prometheus_*.deb)"
  version="$(dpkg-deb -f "$deb" Version)"
  version="${version#*:}"
  case "$version" in
    "$PROMETHEUS_VERSION"[+~-]*) ;;
    *)
      say "Debian's prometheus package is $version, not the $PROMETHEUS_VERSION of prom/prometheus:v$PROMETHEUS_VERSION (docker-compose.yml);" \
        "set both to the package's version"
      exit 1
      ;;
  esac
  dpkg-deb -x "$deb" "$debs/files"
  root="$DIR/prometheus-rootfs"
  base_rootfs "$root"
  copy_with_libs "$root" "$debs/files/usr/bin/prometheus" /bin/prometheus
  copy_with_libs "$root" "$debs/files/usr/bin/promtool" /bin/promtool
  printf 'nobody:x:65534:65534:nobody:/home:/bin/false\n' >>"$root/etc/passwd"
  printf 'nobody:x:65534:\n' >>"$root/etc/group"
  mkdir -p "$root"/{etc/prometheus,usr/share/prometheus/console_libraries,usr/share/prometheus/consoles,prometheus}
  ln -s /usr/share/prometheus/console_libraries /usr/share/prometheus/consoles "$root/etc/prometheus/"
  # Like the official image's default configuration: Prometheus scrapes itself.
  cat >"$root/etc/prometheus/prometheus.yml" <<'YAML'
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
YAML
  chown -R 65534:65534 "$root/etc/prometheus" "$root/prometheus"
  tar -C "$root" -cf "$DIR/prometheus.tar" .
  podman import \
    --change 'ENTRYPOINT ["/bin/prometheus"]' \
    --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.console.libraries=/usr/share/prometheus/console_libraries", "--web.console.templates=/usr/share/prometheus/consoles"]' \
    --change 'WORKDIR /prometheus' \
    --change 'USER nobody' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$DIR/prometheus.tar" "docker.io/prom/prometheus:v$PROMETHEUS_VERSION" >/dev/null
  rm -rf "$debs" "$DIR/prometheus.tar"
fi

cat <<EOF
export CONTAINERS_CONF='$CONTAINERS_CONF'
export DOCKER_HOST='unix://$SOCK'
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export COMPOSE_DOCKER_CLI_BUILD=0
export DOCKER_BUILDKIT=0
EOF
say "ready: DOCKER_HOST=unix://$SOCK"
