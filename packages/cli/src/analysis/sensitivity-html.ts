/** The sensitivity report: a tornado chart of the effects or indices, and the ranking as a table; one file, offline. */
import { escapeHtml, standalonePage } from '../report-html';
import { measureColumns, type RankedFactor, type SensitivityDocument } from './sensitivity';

const num = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? 'n/a' : Number(x.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 6 });

/** Colours: rises with the field, falls with it, and the unsigned (or first-order) measure. */
const UP = '#1f4e9c';
const DOWN = '#c0392b';
const ABS = '#b0b0b0';

/** The chart's two bars per field, and what they mean, for the method used. */
function bars(doc: SensitivityDocument, factors: RankedFactor[]) {
  if (doc.design.method === 'sobol') {
    return {
      datasets: [
        {
          label: 'total index: share of variance the field has any part in (the ranking)',
          data: factors.map((f) => f.sobol?.total ?? 0),
          backgroundColor: UP,
          barPercentage: 0.9,
        },
        { label: 'first-order index: share it causes alone', data: factors.map((f) => f.sobol?.first ?? 0), backgroundColor: ABS, barPercentage: 0.5 },
      ],
      axis: "share of the output's variance",
      note: "One bar per field, the fields that move the output most at the top. The blue bar is the field's total Sobol' index: the share of the output's variance across the ranges that the field has any part in, alone or with others; the grey bar its first-order index, the share it causes alone. A field whose total index is near 0 can be fixed anywhere in its range without changing the answer.",
    };
  }
  const mu = factors.map((f) => f.mu ?? 0);
  return {
    datasets: [
      // μ as two series, one per sign, so the legend shows both colours; a field has a bar in one of them,
      // and skipNull leaves no gap for the other.
      {
        label: 'μ: mean effect, the output rises with the field',
        data: mu.map((x) => (x >= 0 ? x : null)),
        backgroundColor: UP,
        barPercentage: 0.9,
        skipNull: true,
      },
      {
        label: 'μ: mean effect, the output falls with the field',
        data: mu.map((x) => (x < 0 ? x : null)),
        backgroundColor: DOWN,
        barPercentage: 0.9,
        skipNull: true,
      },
      {
        label: 'μ*: mean absolute effect (the ranking)',
        data: factors.map((f) => f.muStar ?? 0),
        backgroundColor: ABS,
        barPercentage: 0.5,
      },
    ],
    axis: `change of the output over the field's whole range (${doc.output.spec})`,
    note: 'One bar per field, the fields that move the output most at the top. The coloured bar is μ, the mean change of the output when the field goes from the low to the high end of its range with the others held (blue: the output rises with the field; red: it falls); the grey bar is μ*, the mean size of that change whatever its sign, by which the fields are ranked. A grey bar much longer than the coloured one: the field’s effect changes sign with the other fields.',
  };
}

export function sensitivityHtml(doc: SensitivityDocument): string {
  const factors = doc.factors.filter((f) => !Number.isNaN(f.score));
  const labels = factors.map((f) => `${f.path} (${num(f.low)}..${num(f.high)})`);
  const b = bars(doc, factors);
  const config = {
    type: 'bar',
    data: { labels, datasets: b.datasets },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { title: { display: true, text: b.axis } }, y: { ticks: { autoSkip: false } } },
    },
  };
  const m = measureColumns(doc);
  const sobol = doc.design.method === 'sobol';
  const measureCells = (f: RankedFactor) => {
    const c = m.cells(f);
    return sobol ? [num(c[0]), `${num(c[1])}..${num(c[2])}`, num(c[3]), `${num(c[4])}..${num(c[5])}`] : c.slice(0, 3).map(num);
  };
  const rows = doc.factors.map(
    (f) =>
      `<tr data-field="${escapeHtml(f.path)}"><td>${f.rank}</td><th scope="row">${escapeHtml(f.path)}</th><td>${num(f.low)}..${num(f.high)}</td><td>${f.base === null ? 'default' : num(f.base)}</td>${measureCells(
        f,
      )
        .map((c) => `<td>${escapeHtml(c)}</td>`)
        .join('')}</tr>`,
  );
  const height = Math.max(240, 60 + 28 * factors.length);
  const title = `Blindspot sensitivity: ${doc.scenario.name}${doc.against ? ` against ${doc.against.name}` : ''}`;
  const d = doc.design;
  const design =
    d.method === 'sobol'
      ? `${d.samples} rows of ${doc.factors.length + 2} points over ${doc.factors.length} fields, ${d.runs} runs; each row at its own seed`
      : `${d.trajectories} trajectories over ${doc.factors.length} fields, ${d.levels} levels, ${d.runs} runs; each trajectory at its own seed`;
  const body = `<p class="note">Output: ${escapeHtml(doc.output.words)}. ${escapeHtml(doc.method)}: ${design} (${doc.design.seeds.slice(0, 3).join(', ')}${doc.design.seeds.length > 3 ? ', …' : ''}), its runs sharing their random numbers.</p>
<h2>Tornado chart: what the output hangs on</h2>
<p class="note">${escapeHtml(b.note)}</p>
<div class="chart"><canvas id="tornado"></canvas></div>
<h2>Ranking</h2>
<div class="scroll"><table id="ranking"><thead><tr><th>rank</th><th style="text-align:left">field</th><th>range</th><th>in file</th>${m.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>
<p class="note">${sobol ? 'Intervals: 95% bootstrap over the rows.' : 'σ: how much the change varies from trajectory to trajectory (interactions, non-linearity and chance).'} ${doc.skipped.length > 0 ? `Not varied: ${escapeHtml(doc.skipped.join('; '))}.` : ''}</p>`;
  return standalonePage(title, `  .chart { position: relative; height: ${height}px; }`, body, [{ id: 'tornado', config }]);
}
