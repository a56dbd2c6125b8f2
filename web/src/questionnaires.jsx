import { useEffect, useState } from 'preact/hooks';
import { customerSegments, get, post } from './api.js';
import { formatNumber, t } from './i18n.js';
import { ErrorText, problemOf } from './ui.jsx';

// Questionnaires for staff: the list with what was sent and answered, a new one from a
// Camunda Forms file (what Camunda Modeler's form editor saves), and one opened: its counts
// per employee and campaign, an invitation to a contact person, the answers as CSV. The
// server decides what each person may do and see (crm.manage designs; crm.write invites;
// counts and answers are those of the people the reader reaches).
export function Questionnaires({ me }) {
  const [items, setItems] = useState([]);
  const [open, setOpen] = useState(null);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [formText, setFormText] = useState('');
  const [status, setStatus] = useState('');
  const [contact, setContact] = useState('');
  const [link, setLink] = useState('');
  const [segments, setSegments] = useState([]);
  const [segment, setSegment] = useState('');
  const [bulk, setBulk] = useState(null); // what the last sending to a segment did
  const manage = (me.permissions || []).some((p) => p.permission === 'crm.manage');

  const load = () =>
    get('/api/questionnaires')
      .then((p) => setItems(p.items))
      .catch((e) => setError(e.message));
  useEffect(() => {
    load();
  }, []);

  const show = async (q) => {
    setError('');
    setLink('');
    setBulk(null);
    customerSegments().then(setSegments);
    try {
      setOpen(await get(`/api/questionnaires/${q.id}`));
    } catch (e) {
      setError(e.message);
    }
  };

  const create = async (event) => {
    event.preventDefault();
    setError('');
    let form;
    try {
      form = JSON.parse(formText);
    } catch {
      setError(t('questionnaires.notJson'));
      return;
    }
    try {
      const q = await post('/api/questionnaires', { name: name.trim(), form });
      setStatus(t('questionnaires.created', { name: q.name }));
      setName('');
      setFormText('');
      await load();
    } catch (e) {
      setError(problemOf(e).message);
    }
  };

  const readFile = async (event) => {
    const file = event.currentTarget.files[0];
    if (file) setFormText(await file.text());
  };

  const invite = async (event) => {
    event.preventDefault();
    setError('');
    try {
      // The link alone: staff pass it on, or Quire mails it when it knows its public address.
      const r = await post(`/api/questionnaires/${open.id}/invitations`, { contact: contact.trim(), send: false });
      setLink(r.url);
      setOpen(await get(`/api/questionnaires/${open.id}`));
    } catch (e) {
      setError(problemOf(e).message);
    }
  };

  // The segment's customers' people, not invited yet, a batch at a time (the server says
  // whether more are left: the button then sends the next batch).
  const sendToSegment = async (event) => {
    event.preventDefault();
    setError('');
    try {
      const r = await post(`/api/questionnaires/${open.id}/invitations/bulk`, { segment });
      setBulk(r);
      setOpen(await get(`/api/questionnaires/${open.id}`));
    } catch (e) {
      setError(problemOf(e).message);
    }
  };

  return (
    <section aria-labelledby="questionnaires-title">
      <h1 id="questionnaires-title">{t('questionnaires.title')}</h1>
      <ErrorText text={error} />
      {status && <p role="status">{status}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.name')}</th>
            <th scope="col">{t('questionnaires.created.at')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((q) => (
            <tr key={q.id} data-questionnaire={q.id}>
              <td>
                <button type="button" class="link" onClick={() => show(q)}>
                  {q.name}
                </button>
              </td>
              <td>{q.createdAt.slice(0, 10)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && (
        <section aria-labelledby="questionnaire-open" data-open={open.id}>
          <h2 id="questionnaire-open">{open.name}</h2>
          <p data-counts>
            {t('questionnaires.counts', { sent: formatNumber(open.stats.sent), answered: formatNumber(open.stats.answered) })}
          </p>
          <table>
            <caption>{t('questionnaires.byEmployee')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('reports.employee')}</th>
                <th scope="col" class="num">
                  {t('questionnaires.sent')}
                </th>
                <th scope="col" class="num">
                  {t('questionnaires.answered')}
                </th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(open.stats.byEmployee).map(([who, c]) => (
                <tr key={who}>
                  <th scope="row">{who}</th>
                  <td class="num">{c.sent}</td>
                  <td class="num">{c.answered}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <a href={`/api/questionnaires/${open.id}/export?delimiter=;`} download>
              {t('questionnaires.csv')}
            </a>
          </p>
          <form class="inline-form" onSubmit={invite} aria-label={t('questionnaires.invite')}>
            <label>
              {t('questionnaires.contact')}
              <input value={contact} onInput={(e) => setContact(e.currentTarget.value)} required inputMode="numeric" />
            </label>
            <button type="submit">{t('questionnaires.invite')}</button>
          </form>
          {link && (
            <p role="status" data-link>
              {t('questionnaires.link')} <code>{link}</code>
            </p>
          )}
          {segments.length > 0 && (
            <form class="inline-form" onSubmit={sendToSegment} aria-label={t('questionnaires.bulk')}>
              <label>
                {t('reports.segment')}
                <select value={segment} onChange={(e) => setSegment(e.currentTarget.value)} required>
                  <option value="">—</option>
                  {segments.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.name}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">{bulk && bulk.more ? t('questionnaires.bulkMore') : t('questionnaires.bulk')}</button>
            </form>
          )}
          {bulk && (
            <p role="status" data-bulk>
              {t('questionnaires.bulkDone', {
                invited: formatNumber(bulk.invited),
                mailed: formatNumber(bulk.mailed),
                already: formatNumber(bulk.alreadyInvited),
                without: formatNumber(bulk.withoutEmail),
                consent: formatNumber(bulk.withoutConsent),
              })}
              {bulk.refused.length > 0 && ` ${t('questionnaires.bulkRefused', { n: formatNumber(bulk.refused.length), reason: bulk.refused[0].reason })}`}
            </p>
          )}
        </section>
      )}
      {manage && (
        <form class="inline-form" onSubmit={create} aria-label={t('questionnaires.new')}>
          <h2>{t('questionnaires.new')}</h2>
          <label>
            {t('admin.name')}
            <input value={name} onInput={(e) => setName(e.currentTarget.value)} required />
          </label>
          <label>
            {t('questionnaires.file')}
            <input type="file" accept=".form,.json,application/json" onChange={readFile} />
          </label>
          <label>
            {t('questionnaires.schema')}
            <textarea rows="6" value={formText} onInput={(e) => setFormText(e.currentTarget.value)} required />
          </label>
          <button type="submit">{t('questionnaires.create')}</button>
        </form>
      )}
    </section>
  );
}
