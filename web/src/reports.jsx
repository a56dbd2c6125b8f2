import { useEffect, useState } from 'preact/hooks';
import { get, withQuery } from './api.js';
import { formatMoney, formatNumber, t } from './i18n.js';

function monthOf(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

// A horizontal bar chart drawn as SVG: one bar per row, scaled to the largest value. The
// table below the chart holds the same figures for screen readers and copying.
function Bars({ title, rows, value, label }) {
  const max = Math.max(1, ...rows.map(value));
  const height = 28 * rows.length + 8;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg role="img" aria-label={`${title}: ${rows.map((r) => `${r.employee} ${label(r)}`).join(', ')}`} viewBox={`0 0 600 ${height}`} width="100%" preserveAspectRatio="xMinYMin meet">
        {rows.map((r, i) => {
          const w = Math.round((value(r) / max) * 330); // room for the value after the bar
          return (
            <g key={r.employee} transform={`translate(0 ${4 + i * 28})`}>
              <text x="0" y="17" class="chart-label">
                {r.employee}
              </text>
              <rect x="120" y="3" width={Math.max(w, 1)} height="18" class="chart-bar" />
              <text x={126 + w} y="17" class="chart-value">
                {label(r)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

// The sales dashboard: KPIs per employee over a range of months, as charts and a table,
// with the CSV of the same figures. Each person sees the rows their crm.read reaches.
export function Reports() {
  const now = new Date();
  const [to, setTo] = useState(monthOf(now));
  const [from, setFrom] = useState(monthOf(new Date(now.getFullYear(), now.getMonth() - 11, 1)));
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setError('');
    get(withQuery('/api/kpis/employees', { from, to }))
      .then((r) => setRows(r.items))
      .catch((e) => setError(e.message));
  }, [from, to]);
  const pln = (r) => {
    const found = r.revenue.find((x) => x.currency === 'PLN');
    return found ? found.amount : '0.00';
  };
  return (
    <section aria-labelledby="reports-title" class="reports">
      <h1 id="reports-title">{t('reports.title')}</h1>
      <div class="toolbar">
        <label>
          {t('reports.from')}
          <input type="month" value={from} max={to} onChange={(e) => e.currentTarget.value && setFrom(e.currentTarget.value)} />
        </label>
        <label>
          {t('reports.to')}
          <input type="month" value={to} min={from} onChange={(e) => e.currentTarget.value && setTo(e.currentTarget.value)} />
        </label>
        <a href={withQuery('/api/kpis/employees', { from, to, format: 'csv' })} download>
          {t('reports.csv')}
        </a>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {rows && rows.length === 0 && <p class="empty">{t('reports.none')}</p>}
      {rows && rows.length > 0 && (
        <>
          <div class="charts">
            <Bars title={t('reports.activities')} rows={rows} value={(r) => r.activities.total} label={(r) => formatNumber(r.activities.total)} />
            <Bars title={t('reports.revenue')} rows={rows} value={(r) => Number(pln(r))} label={(r) => formatMoney(pln(r), 'PLN')} />
          </div>
          <table data-kpis>
            <caption>{t('reports.table')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('reports.employee')}</th>
                <th scope="col">{t('reports.activities')}</th>
                <th scope="col">{t('reports.offers')}</th>
                <th scope="col">{t('reports.orders')}</th>
                <th scope="col">{t('reports.conversion')}</th>
                <th scope="col">{t('reports.revenue')}</th>
                <th scope="col">{t('reports.complaints')}</th>
                <th scope="col">{t('reports.response')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.employee} data-employee={r.employee}>
                  <th scope="row">{r.employee}</th>
                  <td class="num">{formatNumber(r.activities.total)}</td>
                  <td class="num">{formatNumber(r.offers)}</td>
                  <td class="num">{formatNumber(r.orders)}</td>
                  <td class="num">{r.conversionPercent === null ? '—' : `${r.conversionPercent} %`}</td>
                  <td class="num">{formatMoney(pln(r), 'PLN')}</td>
                  <td class="num">{formatNumber(r.complaintsResolved)}</td>
                  <td class="num">{r.averageResponseMinutes === null ? '—' : t('reports.minutes', { n: r.averageResponseMinutes })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
