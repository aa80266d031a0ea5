/**
 * The live view: one self-contained page (no external assets) that polls /api/live
 * every second and shows each run under way (simulated day, messages per second per
 * stage worked out from successive polls), every queue's depth, the reports to police
 * filed per run and route as they arrive, and links to the finished reports. Of a long
 * police sink the dashboard has only just met, the routes cover the reports tallied so
 * far (the total is always whole), and the row says so until it has caught up.
 */
import { ROUTE_LABELS } from '@blindspot/core';

export const LIVE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Blindspot · live</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg: #1d2733; --muted: #5b6876; --line: #d9dee4; --accent: #2b5d8a; --bad: #a33; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 24px; max-width: 1100px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
  .muted { color: var(--muted); } a { color: var(--accent); }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
  th { font-weight: 600; color: var(--muted); }
  td.n, th.n { text-align: right; }
  .bar { height: 6px; background: var(--line); border-radius: 3px; overflow: hidden; min-width: 120px; }
  .bar > span { display: block; height: 100%; background: var(--accent); }
  .error { color: var(--bad); }
  nav a { margin-right: 16px; }
</style>
</head>
<body>
<h1>Blindspot · live view</h1>
<p class="muted">Runs under way on <code id="prefix"></code>, refreshed every second. Updated <span id="updated">never</span>. <span id="status" class="error"></span>
<nav><a href="queues/">Queues (Bull Board)</a><a href="results/">Finished reports</a></nav></p>

<h2>Runs under way</h2>
<table id="runs"><thead><tr><th>run</th><th>scenario</th><th>simulated day</th><th></th>
<th class="n">generated /s</th><th class="n">scanned /s</th><th class="n">metadata /s</th><th class="n">reported /s</th><th class="n">messages</th><th>state</th></tr></thead><tbody></tbody></table>
<p id="no-runs" class="muted">No run under way.</p>

<h2>Reports to police, by the route that filed them</h2>
<table id="police"><thead><tr><th>run</th><th class="n">total</th><th>by route</th></tr></thead><tbody></tbody></table>

<h2>Queues</h2>
<table id="queues"><thead><tr><th>queue</th><th class="n">waiting</th><th class="n">active</th><th class="n">delayed</th><th class="n">prioritized</th><th class="n">failed</th></tr></thead><tbody></tbody></table>

<h2>Finished reports</h2>
<ul id="results"></ul>

<script>
  const ROUTE_LABELS = ${JSON.stringify(ROUTE_LABELS)};
(() => {
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  let previous = null;
  function rates(run) {
    const before = previous && previous.runs.find((r) => r.run === run.run);
    if (!before) return null;
    const seconds = (current.at - previous.at) / 1000;
    if (seconds <= 0) return null;
    const per = (stage) => Math.max(0, run.batches[stage] - before.batches[stage]) * run.batchSize / seconds;
    return { generator: per('generator'), scanner: per('scanner'), metadata: per('metadata'), reporter: per('reporter') };
  }
  let current = null;
  function render(snap) {
    current = snap;
    document.getElementById('prefix').textContent = snap.prefix;
    document.getElementById('updated').textContent = new Date(snap.at).toLocaleTimeString();
    const runs = document.querySelector('#runs tbody');
    runs.innerHTML = snap.runs.map((r) => {
      const rate = rates(r);
      const cell = (v) => '<td class="n">' + (rate ? fmt(v) : '…') + '</td>';
      const share = r.durationDays ? Math.min(1, r.day / r.durationDays) : 0;
      const state = r.error ? '<span class="error">' + esc(r.error) + '</span>' : r.done ? 'done' : 'running';
      return '<tr data-run="' + esc(r.run) + '"><td><code>' + esc(r.run) + '</code></td><td>' + esc(r.name) + '</td>' +
        '<td data-field="day">' + r.day + ' / ' + r.durationDays + '</td><td><div class="bar"><span style="width:' + (share * 100).toFixed(1) + '%"></span></div></td>' +
        (rate ? cell(rate.generator) + cell(rate.scanner) + cell(rate.metadata) + cell(rate.reporter) : cell(0) + cell(0) + cell(0) + cell(0)) +
        '<td class="n" data-field="messages">' + fmt(r.messages) + '</td><td>' + state + '</td></tr>';
    }).join('');
    document.getElementById('no-runs').style.display = snap.runs.length ? 'none' : '';
    document.querySelector('#police tbody').innerHTML = snap.police.map((p) =>
      '<tr data-police="' + esc(p.run) + '"><td><code>' + esc(p.run) + '</code></td><td class="n" data-field="total">' + fmt(p.total) + '</td><td>' +
      Object.entries(p.byRoute).sort((a, b) => b[1] - a[1]).map(([route, n]) => esc(ROUTE_LABELS[route] || route) + ' ' + fmt(n)).join(' · ') +
      (p.counted < p.total ? ' <span class="muted" data-field="counted">(of the first ' + fmt(p.counted) + ' reports; tallying the rest)</span>' : '') + '</td></tr>').join('');
    document.querySelector('#queues tbody').innerHTML = Object.entries(snap.queues).map(([q, c]) =>
      '<tr data-queue="' + esc(q) + '"><td>' + esc(q) + '</td>' + ['waiting', 'active', 'delayed', 'prioritized', 'failed'].map((s) => '<td class="n">' + fmt(c[s] || 0) + '</td>').join('') + '</tr>').join('');
    document.getElementById('results').innerHTML = snap.results.length
      ? snap.results.map((r) => '<li><a href="results/' + r.file.split('/').map(encodeURIComponent).join('/') + '">' + esc(r.file) + '</a> <span class="muted">' + new Date(r.modified).toLocaleString() + '</span></li>').join('')
      : '<li class="muted">None yet: reports appear here as the command line writes them.</li>';
    previous = snap;
  }
  async function poll() {
    try {
      const res = await fetch('api/live', { cache: 'no-store' });
      const status = document.getElementById('status');
      if (res.ok) {
        render(await res.json());
        status.textContent = '';
      } else {
        const body = await res.json().catch(() => ({}));
        status.textContent = 'Redis is not answering (' + (body.error || 'HTTP ' + res.status) + '): showing the last figures; retrying every second.';
      }
    } catch (e) {
      document.getElementById('status').textContent = 'The dashboard is not answering: retrying every second.';
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
</script>
</body>
</html>
`;
