/** The sensitivity report: a tornado chart of the elementary effects, and the ranking as a table; one file, offline. */
import { chartLibrary, escapeHtml } from '../report-html';
import type { SensitivityDocument } from './sensitivity';

const num = (x: number | null) => (x === null || Number.isNaN(x) ? 'n/a' : Number(x.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 6 }));

/** Colours: rises with the field, falls with it, and the unsigned measure. */
const UP = '#1f4e9c';
const DOWN = '#c0392b';
const ABS = '#b0b0b0';

export function sensitivityHtml(doc: SensitivityDocument): string {
  const factors = doc.factors.filter((f) => !Number.isNaN(f.muStar));
  const labels = factors.map((f) => `${f.path} (${num(f.low)}..${num(f.high)})`);
  const config = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'μ: mean effect, with its sign',
          data: factors.map((f) => f.mu),
          backgroundColor: factors.map((f) => (f.mu >= 0 ? UP : DOWN)),
          barPercentage: 0.9,
        },
        { label: 'μ*: mean absolute effect (the ranking)', data: factors.map((f) => f.muStar), backgroundColor: ABS, barPercentage: 0.5 },
      ],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { title: { display: true, text: `change of the output over the field's whole range (${doc.output.spec})` } },
        y: { ticks: { autoSkip: false } },
      },
    },
  };
  const rows = doc.factors.map(
    (f) =>
      `<tr data-field="${escapeHtml(f.path)}"><td>${f.rank}</td><th scope="row">${escapeHtml(f.path)}</th><td>${num(f.low)}..${num(f.high)}</td><td>${f.base === null ? 'default' : num(f.base)}</td><td>${num(f.muStar)}</td><td>${num(f.mu)}</td><td>${num(f.sigma)}</td></tr>`,
  );
  const height = Math.max(240, 60 + 28 * factors.length);
  const data = JSON.stringify(config).replace(/</g, '\\u003c');
  const title = `Blindspot sensitivity: ${doc.scenario.name}${doc.against ? ` against ${doc.against.name}` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d1d1f; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
  h2 { font-size: 1.15rem; margin: 2rem 0 0.2rem; }
  .note { color: #555; margin: 0 0 0.6rem; font-size: 0.9rem; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
  th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: right; white-space: nowrap; }
  tbody th { font-weight: normal; text-align: left; }
  thead th { border-bottom: 2px solid #999; }
  .chart { position: relative; height: ${height}px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="note">Output: ${escapeHtml(doc.output.words)}. ${escapeHtml(doc.method)}: ${doc.design.trajectories} trajectories over ${doc.factors.length} fields, ${doc.design.levels} levels, ${doc.design.runs} runs; each trajectory at its own seed (${doc.design.seeds.slice(0, 3).join(', ')}${doc.design.seeds.length > 3 ? ', …' : ''}), its runs sharing their random numbers.</p>
<h2>Tornado chart: what the output hangs on</h2>
<p class="note">One bar per field, the fields that move the output most at the top. The coloured bar is μ, the mean change of the output when the field goes from the low to the high end of its range with the others held (blue: the output rises with the field; red: it falls); the grey bar is μ*, the mean size of that change whatever its sign, by which the fields are ranked. A grey bar much longer than the coloured one: the field's effect changes sign with the other fields.</p>
<div class="chart"><canvas id="tornado"></canvas></div>
<h2>Ranking</h2>
<div class="scroll"><table id="ranking"><thead><tr><th>rank</th><th style="text-align:left">field</th><th>range</th><th>in file</th><th>μ*</th><th>μ</th><th>σ</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>
<p class="note">σ: how much the change varies from trajectory to trajectory (interactions, non-linearity and chance). ${doc.skipped.length > 0 ? `Not varied: ${escapeHtml(doc.skipped.join('; '))}.` : ''}</p>
<script>${chartLibrary()}</script>
<script>
  window.blindspotCharts = [{ id: 'tornado', chart: new Chart(document.getElementById('tornado'), ${data}) }];
</script>
</body>
</html>
`;
}
