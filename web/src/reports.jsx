import { useEffect, useState } from 'preact/hooks';
import { customerSegments, get, withQuery } from './api.js';
import { formatMoney, formatNumber, t } from './i18n.js';

function monthOf(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

// A horizontal bar chart drawn as SVG: one bar per row, scaled to the largest value. The
// table below the chart holds the same figures for screen readers and copying.
function Bars({ title, rows, id, name, value, label }) {
  const max = Math.max(1, ...rows.map(value));
  const height = 28 * rows.length + 8;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg role="img" aria-label={`${title}: ${rows.map((r) => `${name(r)} ${label(r)}`).join(', ')}`} viewBox={`0 0 600 ${height}`} width="100%" preserveAspectRatio="xMinYMin meet">
        {rows.map((r, i) => {
          const w = Math.round((value(r) / max) * 330); // room for the value after the bar
          return (
            <g key={id(r)} transform={`translate(0 ${4 + i * 28})`}>
              <text x="0" y="17" class="chart-label">
                {name(r).length > 16 ? `${name(r).slice(0, 15)}…` : name(r)}
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

const pln = (r) => {
  const found = r.revenue.find((x) => x.currency === 'PLN');
  return found ? found.amount : '0.00';
};
const orDash = (v, f = (x) => x) => (v === null || v === undefined ? '—' : f(v));

// The signed-in employee's own figures for the months, as tiles.
function Mine({ row }) {
  const tiles = [
    [t('reports.activities'), formatNumber(row.activities.total)],
    [t('reports.offers'), formatNumber(row.offers)],
    [t('reports.orders'), formatNumber(row.orders)],
    [t('reports.conversion'), orDash(row.conversionPercent, (v) => `${v} %`)],
    [t('reports.conversionDays'), orDash(row.averageConversionDays, (v) => t('reports.days', { n: v }))],
    [t('reports.revenue'), formatMoney(pln(row), 'PLN')],
    [t('reports.tasks'), formatNumber(row.tasks.completed)],
    [t('reports.onTime'), orDash(row.tasks.onTimePercent, (v) => `${v} %`)],
  ];
  return (
    <section aria-labelledby="mine-title" data-mine>
      <h2 id="mine-title">{t('reports.mine')}</h2>
      <dl class="tiles">
        {tiles.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

// The funnel of a process over the instances started in the months: the steps in the order
// of the flows, how many reached each, where they dropped out, how long a step took.
function Funnel({ from, to }) {
  const [processes, setProcesses] = useState(null);
  const [process, setProcess] = useState('');
  const [funnel, setFunnel] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get('/api/processes')
      .then((r) => {
        setProcesses(r.items);
        if (r.items.length > 0) setProcess(r.items[0].id);
      })
      .catch((e) => setError(e.message));
  }, []);
  useEffect(() => {
    if (!process) return;
    setError('');
    setFunnel(null);
    get(withQuery(`/api/kpis/funnels/${encodeURIComponent(process)}`, { from, to }))
      .then(setFunnel)
      .catch((e) => setError(e.message));
  }, [process, from, to]);
  if (processes && processes.length === 0) return null;
  const steps = funnel ? funnel.steps.filter((s) => s.reached > 0 || s.type !== 'removed') : [];
  return (
    <section aria-labelledby="funnel-title" data-funnel-section>
      <h2 id="funnel-title">{t('reports.funnel')}</h2>
      <div class="toolbar">
        <label>
          {t('reports.process')}
          <select value={process} onChange={(e) => setProcess(e.currentTarget.value)}>
            {(processes || []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name || p.id}
              </option>
            ))}
          </select>
        </label>
        {process && (
          <a href={withQuery(`/api/kpis/funnels/${encodeURIComponent(process)}`, { from, to, format: 'csv' })} download data-funnel-csv>
            {t('reports.csv')}
          </a>
        )}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {funnel && (
        <>
          <p data-instances>
            {t('reports.instances', {
              started: formatNumber(funnel.instances.started),
              completed: formatNumber(funnel.instances.completed),
              cancelled: formatNumber(funnel.instances.cancelled),
              running: formatNumber(funnel.instances.running),
            })}
          </p>
          {funnel.instances.started > 0 && <Bars title={t('reports.reached')} rows={steps} id={(s) => s.elementId} name={(s) => s.name} value={(s) => s.reached} label={(s) => `${formatNumber(s.reached)} (${orDash(s.reachedPercent)} %)`} />}
          <table data-funnel>
            <caption>{t('reports.funnelTable', { name: funnel.name })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('reports.step')}</th>
                <th scope="col">{t('reports.reached')}</th>
                <th scope="col">{t('reports.completed')}</th>
                <th scope="col">{t('reports.abandoned')}</th>
                <th scope="col">{t('reports.waiting')}</th>
                <th scope="col">{t('reports.average')}</th>
              </tr>
            </thead>
            <tbody>
              {steps.map((s) => (
                <tr key={s.elementId} data-step={s.elementId}>
                  <th scope="row">{s.name}</th>
                  <td class="num">
                    {formatNumber(s.reached)} {s.reachedPercent !== null && `(${s.reachedPercent} %)`}
                  </td>
                  <td class="num">{formatNumber(s.completed)}</td>
                  <td class="num">{formatNumber(s.abandoned)}</td>
                  <td class="num">{orDash(s.waiting, formatNumber)}</td>
                  <td class="num">{orDash(s.averageMinutes, (v) => t('reports.minutes', { n: v }))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

// Customers over the months: who ordered, who was new, who stayed and who left, against the
// months just before; lifetime value; revenue by month. Over the customers the caller's
// crm.read reaches, or a saved segment of them.
function Customers({ from, to }) {
  const [segments, setSegments] = useState([]);
  const [segment, setSegment] = useState('');
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    customerSegments().then(setSegments);
  }, []);
  useEffect(() => {
    setError('');
    get(withQuery('/api/kpis/customers', { from, to, segment: segment || undefined }))
      .then(setData)
      .catch((e) => setError(e.message));
  }, [from, to, segment]);
  const p = data && data.period;
  const value = data && data.lifetime.averageValue.find((x) => x.currency === 'PLN');
  const tiles = p && [
    [t('reports.activeCustomers'), formatNumber(p.activeCustomers), 'active'],
    [t('reports.newCustomers'), formatNumber(p.newCustomers), 'new'],
    [t('reports.returnedCustomers'), formatNumber(p.returnedCustomers), 'returned'],
    [t('reports.retention'), orDash(p.retentionPercent, (v) => `${v} %`), 'retention'],
    [t('reports.churn'), orDash(p.churnPercent, (v) => `${v} %`), 'churn'],
    [t('reports.lifetimeValue'), formatMoney(value ? value.amount : '0.00', 'PLN'), 'value'],
  ];
  return (
    <section aria-labelledby="customers-title" data-customers-section>
      <h2 id="customers-title">{t('reports.customers')}</h2>
      <div class="toolbar">
        <label>
          {t('reports.segment')}
          <select value={segment} onChange={(e) => setSegment(e.currentTarget.value)} data-segment>
            <option value="">{t('reports.allCustomers')}</option>
            {segments.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </label>
        <a href={withQuery('/api/kpis/customers', { from, to, segment: segment || undefined, format: 'csv' })} download data-customers-csv>
          {t('reports.csv')}
        </a>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {p && (
        <>
          <dl class="tiles" data-customer-tiles>
            {tiles.map(([k, v, key]) => (
              <div key={key} data-tile={key}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
          <p class="hint">
            {t('reports.comparedWith', {
              from: p.previousFrom,
              to: p.previousTo,
              active: formatNumber(p.previousActiveCustomers),
              retained: formatNumber(p.retainedCustomers),
              churned: formatNumber(p.churnedCustomers),
            })}
          </p>
          <div class="charts">
            <Bars title={t('reports.revenueByMonth')} rows={data.months} id={(m) => m.month} name={(m) => m.month} value={(m) => Number(pln(m))} label={(m) => formatMoney(pln(m), 'PLN')} />
            <Bars title={t('reports.activeByMonth')} rows={data.months} id={(m) => m.month} name={(m) => m.month} value={(m) => m.activeCustomers} label={(m) => `${formatNumber(m.activeCustomers)} (+${formatNumber(m.newCustomers)})`} />
          </div>
          <table data-customer-months>
            <caption>{t('reports.customerMonths')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('reports.month')}</th>
                <th scope="col">{t('reports.orders')}</th>
                <th scope="col">{t('reports.revenue')}</th>
                <th scope="col">{t('reports.activeCustomers')}</th>
                <th scope="col">{t('reports.newCustomers')}</th>
              </tr>
            </thead>
            <tbody>
              {data.months.map((m) => (
                <tr key={m.month} data-month={m.month}>
                  <th scope="row">{m.month}</th>
                  <td class="num">{formatNumber(m.orders)}</td>
                  <td class="num">{formatMoney(pln(m), 'PLN')}</td>
                  <td class="num">{formatNumber(m.activeCustomers)}</td>
                  <td class="num">{formatNumber(m.newCustomers)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

// One employee's row of the table (or a team's total, under `label`).
function KpiTableRow({ r, label }) {
  return (
    <tr data-employee={label ? undefined : r.employee} data-total={label ? r.employee : undefined}>
      <th scope="row">{label || r.employee}</th>
      <td class="num">{formatNumber(r.activities.total)}</td>
      <td class="num">{formatNumber(r.offers)}</td>
      <td class="num">{formatNumber(r.orders)}</td>
      <td class="num">{orDash(r.conversionPercent, (v) => `${v} %`)}</td>
      <td class="num">{orDash(r.averageConversionDays, (v) => t('reports.days', { n: v }))}</td>
      <td class="num">{formatMoney(pln(r), 'PLN')}</td>
      <td class="num">{formatNumber(r.tasks.completed)}</td>
      <td class="num">{orDash(r.tasks.onTimePercent, (v) => `${v} %`)}</td>
      <td class="num">{formatNumber(r.complaintsResolved)}</td>
      <td class="num">{orDash(r.averageResponseMinutes, (v) => t('reports.minutes', { n: v }))}</td>
    </tr>
  );
}

// The dashboard, by what the signed-in person may see: their own figures; the employees
// their crm.read reaches (own, their team, everyone) as charts and a table with CSV; the
// customers they reach (acquisition, retention, churn, lifetime value, revenue by month);
// and, with instances.read, the funnel of each process.
export function Reports({ me }) {
  const now = new Date();
  const [to, setTo] = useState(monthOf(now));
  const [from, setFrom] = useState(monthOf(new Date(now.getFullYear(), now.getMonth() - 11, 1)));
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState('');
  const [groups, setGroups] = useState([]);
  const [group, setGroup] = useState(''); // a team: its members and their total
  const [total, setTotal] = useState(null);
  const [error, setError] = useState('');
  const may = (permission) => (me.permissions || []).some((p) => p.permission === permission);
  // Everyone's rows come a page at a time (in name order); "more" adds the next page.
  const load = (after, before) => {
    setError('');
    get(withQuery('/api/kpis/employees', { from, to, after, group }))
      .then((r) => {
        setRows([...before, ...r.items]);
        setNext(r.next || '');
        setTotal(r.total || null);
      })
      .catch((e) => setError(e.message));
  };
  useEffect(() => {
    if (may('crm.read')) load('', []);
  }, [from, to, group]);
  useEffect(() => {
    // The teams to choose from: every group for those who may read the organisation, else
    // the caller's own.
    const ids = (list) => list.map((g) => (typeof g === 'string' ? g : g.id));
    (may('org.read') ? get('/api/groups').then((r) => ids(r.items)) : Promise.resolve(ids(me.groups || [])))
      .then(setGroups)
      .catch(() => setGroups([]));
  }, []);
  const mine = rows && rows.find((r) => r.employee === me.user.id);
  const others = rows && rows.filter((r) => r.employee !== me.user.id);
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
        {groups.length > 0 && (
          <label>
            {t('reports.teamSelect')}
            <select value={group} onChange={(e) => setGroup(e.currentTarget.value)} data-group>
              <option value="">{t('reports.everyone')}</option>
              {groups.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </select>
          </label>
        )}
        {may('crm.read') && (
          <a href={withQuery('/api/kpis/employees', { from, to, group, format: 'csv' })} download data-kpis-csv>
            {t('reports.csv')}
          </a>
        )}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {mine && <Mine row={mine} />}
      {rows && rows.length === 0 && <p class="empty">{t('reports.none')}</p>}
      {rows && others.length > 0 && (
        <>
          <h2>{t('reports.team')}</h2>
          <div class="charts">
            <Bars title={t('reports.activities')} rows={rows} id={(r) => r.employee} name={(r) => r.employee} value={(r) => r.activities.total} label={(r) => formatNumber(r.activities.total)} />
            <Bars title={t('reports.revenue')} rows={rows} id={(r) => r.employee} name={(r) => r.employee} value={(r) => Number(pln(r))} label={(r) => formatMoney(pln(r), 'PLN')} />
            <Bars title={t('reports.tasks')} rows={rows} id={(r) => r.employee} name={(r) => r.employee} value={(r) => r.tasks.completed} label={(r) => formatNumber(r.tasks.completed)} />
          </div>
        </>
      )}
      {rows && rows.length > 0 && (
        <table data-kpis>
          <caption>{t('reports.table')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('reports.employee')}</th>
              <th scope="col">{t('reports.activities')}</th>
              <th scope="col">{t('reports.offers')}</th>
              <th scope="col">{t('reports.orders')}</th>
              <th scope="col">{t('reports.conversion')}</th>
              <th scope="col">{t('reports.conversionDays')}</th>
              <th scope="col">{t('reports.revenue')}</th>
              <th scope="col">{t('reports.tasks')}</th>
              <th scope="col">{t('reports.onTime')}</th>
              <th scope="col">{t('reports.complaints')}</th>
              <th scope="col">{t('reports.response')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <KpiTableRow key={r.employee} r={r} />
            ))}
          </tbody>
          {total && (
            <tfoot>
              <KpiTableRow r={total} label={t('reports.teamTotal', { team: total.employee })} />
            </tfoot>
          )}
        </table>
      )}
      {next && (
        <button type="button" class="secondary" onClick={() => load(next, rows)} data-kpis-more>
          {t('reports.more')}
        </button>
      )}
      {may('crm.read') && <Customers from={from} to={to} />}
      {may('instances.read') && may('definitions.read') && <Funnel from={from} to={to} />}
    </section>
  );
}
