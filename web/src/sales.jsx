import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { formatDateTime, formatMoney, t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// Campaigns with their effectiveness (per campaign and per action, measured by the server
// from what is attributed to them), and service cases with their SLA state.
export function Campaigns() {
  const [items, setItems] = useState([]);
  const [chosen, setChosen] = useState(null);
  const [measured, setMeasured] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get('/api/crm/campaigns')
      .then((p) => setItems(p.items))
      .catch((e) => setError(e.message));
  }, []);
  const open = async (c) => {
    setChosen(c);
    setMeasured(null);
    try {
      setMeasured(await get(`/api/crm/campaigns/${c.id}/effectiveness`));
    } catch (e) {
      setError(e.message);
    }
  };
  const row = (label, m, currency) => (
    <tr>
      <th scope="row">{label}</th>
      <td class="num">{m.members}</td>
      <td class="num">{m.reached}</td>
      <td class="num">{m.responses}</td>
      <td class="num">{m.responsePercent ?? '—'}</td>
      <td class="num">{m.offers}</td>
      <td class="num">{m.orders}</td>
      <td class="num">{formatMoney(m.revenue, currency)}</td>
      <td class="num">{m.costPerOrder ? formatMoney(m.costPerOrder, currency) : '—'}</td>
    </tr>
  );
  return (
    <section aria-labelledby="campaigns-title">
      <h1 id="campaigns-title">{t('campaigns.title')}</h1>
      <ErrorText text={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.name')}</th>
            <th scope="col" class="wide">
              {t('campaigns.goal')}
            </th>
            <th scope="col">{t('offers.status')}</th>
            <th scope="col" class="num">
              {t('campaigns.budget')}
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id} data-campaign={c.id}>
              <td>
                <button type="button" class="link" onClick={() => open(c)}>
                  {c.name}
                </button>
              </td>
              <td class="wide">{c.goal}</td>
              <td>{c.status}</td>
              <td class="num">{formatMoney(c.budget, c.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {chosen && measured && (
        <section aria-labelledby="effect-title">
          <h2 id="effect-title">{t('campaigns.effectiveness', { name: chosen.name })}</h2>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col" />
                  <th scope="col" class="num">
                    {t('campaigns.members')}
                  </th>
                  <th scope="col" class="num">
                    {t('campaigns.reached')}
                  </th>
                  <th scope="col" class="num">
                    {t('campaigns.responses')}
                  </th>
                  <th scope="col" class="num">
                    %
                  </th>
                  <th scope="col" class="num">
                    {t('nav.offers')}
                  </th>
                  <th scope="col" class="num">
                    {t('campaigns.orders')}
                  </th>
                  <th scope="col" class="num">
                    {t('campaigns.revenue')}
                  </th>
                  <th scope="col" class="num">
                    {t('campaigns.costPerOrder')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {row(t('campaigns.whole'), measured.campaign, chosen.currency)}
                {measured.actions.map((a) => row(`${a.name} (${a.kind})`, a, chosen.currency))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </section>
  );
}

export function Cases() {
  const [items, setItems] = useState([]);
  const [error, setError] = useState('');
  useEffect(() => {
    get('/api/crm/cases?limit=100')
      .then((p) => setItems(p.items))
      .catch((e) => setError(e.message));
  }, []);
  const sla = (c) => {
    if (c.responseBreached || c.resolutionBreached) return <span class="tag tag-case">{t('cases.breached')}</span>;
    if (c.resolvedAt || c.closedAt) return t('cases.done');
    return t('cases.due', { at: formatDateTime(c.respondedAt ? c.resolutionDueAt : c.responseDueAt) });
  };
  return (
    <section aria-labelledby="cases-title">
      <h1 id="cases-title">{t('cases.title')}</h1>
      <ErrorText text={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t('offers.number')}</th>
            <th scope="col">{t('cases.subject')}</th>
            <th scope="col" class="wide">
              {t('cases.kind')}
            </th>
            <th scope="col">{t('offers.status')}</th>
            <th scope="col">{t('cases.sla')}</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && (
            <tr>
              <td colSpan={5}>{t('cases.none')}</td>
            </tr>
          )}
          {items.map((c) => (
            <tr key={c.id} data-case={c.id}>
              <td>{c.number}</td>
              <td>
                {c.subject}
                <div class="sub">
                  {c.priority} · {c.assignee || t('task.nobody')}
                </div>
              </td>
              <td class="wide">{c.kind}</td>
              <td>{c.status}</td>
              <td>{sla(c)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
