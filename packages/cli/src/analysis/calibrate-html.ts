/** The calibration report: the fit table, the fitted fields, and the trace of the search as a chart; one file, offline. */
import { escapeHtml, standalonePage } from '../report-html';
import type { CalibrationDocument } from './calibrate';
import { formatEstimate } from './replications-format';

const num = (x: number) => Number(x.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 6 });

/** The log scale's floor: an objective of 0 (every target met exactly) is drawn here. */
const FLOOR = 1e-3;
const drawn = (x: number) => Math.max(FLOOR, x);

export function calibrationHtml(doc: CalibrationDocument): string {
  const config = {
    type: 'line',
    data: {
      labels: doc.trace.map((p) => String(p.evaluation)),
      datasets: [
        {
          label: 'objective at each evaluation',
          data: doc.trace.map((p) => drawn(p.objective)),
          borderColor: '#5dade2',
          backgroundColor: '#5dade2',
          showLine: false,
          pointRadius: 3,
        },
        { label: 'best so far', data: doc.trace.map((p) => drawn(p.best)), borderColor: '#1f4e9c', backgroundColor: '#1f4e9c', stepped: true, pointRadius: 0 },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { title: { display: true, text: 'evaluation' } },
        y: { type: 'logarithmic', title: { display: true, text: 'Σ ((mean − value) / tolerance)²' } },
      },
    },
  };
  const fit = doc.fit.map(
    (r) =>
      `<tr class="${r.within ? 'within' : 'miss'}"><th scope="row">${escapeHtml(r.target)}</th><td>${escapeHtml(r.output)}</td><td>${num(r.value)} ± ${num(r.tolerance)}</td><td>${escapeHtml(formatEstimate(r.simulated))}</td><td>${r.within ? 'yes' : 'no'}</td><td class="source">${escapeHtml(r.source ?? '')}</td></tr>`,
  );
  const fields = doc.fields.map(
    (f) =>
      `<tr><th scope="row">${escapeHtml(f.path)}</th><td>${num(f.low)}..${num(f.high)}</td><td>${f.base === null ? 'default' : num(f.base)}</td><td>${num(f.fitted)}</td></tr>`,
  );
  const title = `Blindspot calibration: ${doc.scenario.name}`;
  const body = `<p class="note">${escapeHtml(doc.scenario.file)} fitted to ${escapeHtml(doc.targetsFile)}. ${escapeHtml(doc.method)}; ${doc.replications} replications per evaluation (seeds ${doc.seeds.slice(0, 3).join(', ')}${doc.seeds.length > 3 ? ', …' : ''}); ${doc.evaluations} evaluations, ${doc.checked ? 'checked at the file’s own values, nothing fitted' : doc.converged ? 'converged' : 'stopped at the budget'}.</p>
<h2>Fit</h2>
<table id="fit"><thead><tr><th style="text-align:left">target</th><th>output</th><th>value</th><th>simulated (95%)</th><th>within tolerance?</th><th style="text-align:left">source</th></tr></thead><tbody>${fit.join('')}</tbody></table>
<p class="note">Simulated: the mean over the replications at the fitted values ± the half-width of its 95% interval.</p>
<h2>Fitted fields</h2>
<table id="fields"><thead><tr><th style="text-align:left">field</th><th>range</th><th>in file</th><th>fitted</th></tr></thead><tbody>${fields.join('')}</tbody></table>
<h2>Trace</h2>
<p class="note">The objective at every evaluation of the search (points) and the best found so far (line), on a log scale; an objective of 0 (every target met exactly) is drawn at ${FLOOR}.</p>
<div class="chart"><canvas id="trace"></canvas></div>`;
  const style = `  th, td { white-space: normal; }
  td.source { text-align: left; }
  tr.miss td { color: #a00; }
  .chart { position: relative; height: 340px; }`;
  return standalonePage(title, style, body, [{ id: 'trace', config }]);
}
