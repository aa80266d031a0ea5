#!/usr/bin/env bash
# The compose stack for real: build the image, bring Redis, the four services, the
# dashboard and Prometheus (the observability profile) up, run the one-shot comparison
# inside the stack, check its result against the embedded comparison, scale the scanner
# to 3 and check again, check through Prometheus's API that it scrapes every replica
# and has data for every dashboard query (scripts/prometheus-check.ts), check Redis
# refused no service anything and refuses the scanner a run's client secret, then bring
# it all down. Uses a Docker engine where one answers, else podman
# (scripts/container-engine.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "compose-e2e: [${SECONDS} s] $*" >&2; }
eval "$(scripts/container-engine.sh)"

# The administrator's password and each Redis user's (ops/redis/users.acl), unless given.
for v in REDIS_PASSWORD REDIS_PASSWORD_GENERATOR REDIS_PASSWORD_SCANNER REDIS_PASSWORD_METADATA_DETECTOR \
  REDIS_PASSWORD_REPORTER REDIS_PASSWORD_DASHBOARD REDIS_PASSWORD_CLI; do
  export "$v=${!v:-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
done
export BLINDSPOT_JOB_KEY="${BLINDSPOT_JOB_KEY:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
export COMPOSE_PROJECT_NAME=blindspot-e2e
# Prometheus is in the observability profile; with the profile on, `down` removes it too.
# (Grafana, also in it, is never started here: nothing names it.)
export COMPOSE_PROFILES=observability
work="$(mktemp -d)"
cleanup() {
  docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
  # Each build leaves the previous image untagged; do not let them pile up.
  docker image prune -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The containers run as the image's non-root user and write into ./results.
mkdir -p results
chmod -R a+rwX results

say "embedded reference comparison"
pnpm blindspot compare scenarios/plaintext.yaml scenarios/e2ee.yaml --json --out "$work/embedded" >"$work/embedded.json"

say "building the image"
docker-compose build --quiet 2>/dev/null || docker-compose build

health() {
  docker inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null || podman inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null || true
}

wait_healthy() {
  local deadline=$((SECONDS + 180))
  for service in "$@"; do
    for id in $(docker-compose ps -q "$service"); do
      until [ "$(health "$id")" = healthy ]; do
        if ((SECONDS > deadline)); then
          say "$service ($id) is not healthy after 180 s"
          docker-compose logs --tail 50 "$service" >&2
          exit 1
        fi
        sleep 1
      done
    done
  done
}

check_comparison() {
  local label="$1"
  node -e '
    const fs = require("node:fs");
    const [written, reference, label] = process.argv.slice(1);
    const a = JSON.parse(fs.readFileSync(written, "utf8"));
    const b = JSON.parse(fs.readFileSync(reference, "utf8"));
    const strip = (r) => { const { timing, ...rest } = r; return { rest, timing }; };
    for (const side of ["a", "b"]) {
      const x = strip(a[side]), y = strip(b[side]);
      if (x.timing.transport !== "bullmq") throw new Error(`${label}: ${side} ran over ${x.timing.transport}, not bullmq`);
      if (JSON.stringify(x.rest) !== JSON.stringify(y.rest)) throw new Error(`${label}: ${side} (${x.rest.scenario.name}) differs from the embedded result`);
      console.error(`compose-e2e: ${label}: ${x.rest.scenario.name} equals the embedded result (${x.rest.reports.total} reports to police, ${x.timing.messagesPerSecond} messages/s)`);
    }
  ' "results/latest/comparison.json" "$work/embedded.json" "$label"
}

run_comparison() {
  local label="$1"
  # Each run writes a new folder and points results/latest at it; without the old
  # link, a run that wrote nothing cannot pass on an earlier run's files.
  rm -f results/latest
  say "$label: the one-shot comparison inside the stack"
  docker-compose run --rm compare >"$work/compare-$label.log" 2>&1 || {
    cat "$work/compare-$label.log" >&2
    docker-compose logs --tail 50 >&2
    exit 1
  }
  check_comparison "$label"
}

say "up: redis, generator, scanner, metadata-detector, reporter, dashboard, prometheus"
docker-compose up -d redis generator scanner metadata-detector reporter dashboard prometheus
wait_healthy redis generator scanner metadata-detector reporter dashboard
curl -fsS http://127.0.0.1:8080/api/live >/dev/null && say "the dashboard answers on 127.0.0.1:8080"
run_comparison "scanner=1"

say "scaling the scanner to 3"
docker-compose up -d --scale scanner=3 scanner
[ "$(docker-compose ps -q scanner | wc -l)" -eq 3 ] || { say "expected 3 scanner containers"; docker-compose ps >&2; exit 1; }
wait_healthy scanner
run_comparison "scanner=3"

say "Prometheus: every replica scraped, every dashboard query with data"
# The replicas running now: one of each service, and the three scanners counted above.
node --import tsx scripts/prometheus-check.ts http://127.0.0.1:9090 generator=1 scanner=3 metadata-detector=1 reporter=1 || {
  docker-compose logs --tail 50 prometheus >&2
  exit 1
}

# Every process ran as its own Redis user: Redis refused none of them anything, and
# refuses the scanner's user a run's client secret.
in_redis() { docker-compose exec -T redis sh -c "$1"; }
refused="$(in_redis 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli acl log')"
[ -z "$refused" ] || { say "Redis refused a service something:"; echo "$refused" >&2; exit 1; }
secret="$(in_redis 'REDISCLI_AUTH="$REDIS_PASSWORD_SCANNER" redis-cli --user scanner get "{blindspot}:secret:r1:client-secret"' 2>&1 || true)"
case "$secret" in *NOPERM*) say "the scanner's Redis user is refused a client secret: $secret" ;; *) say "the scanner read a client secret key: $secret"; exit 1 ;; esac

say "down"
cleanup
trap - EXIT
say "passed"
