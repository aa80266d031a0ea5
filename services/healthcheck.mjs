// Container health check: exits 0 when the URL answers 2xx within 2 s, else 1.
// Usage: node services/healthcheck.mjs http://127.0.0.1:9464/readyz
const url = process.argv[2] ?? 'http://127.0.0.1:9464/readyz';
fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
