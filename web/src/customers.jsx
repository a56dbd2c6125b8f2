import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, get, post, withQuery } from './api.js';
import { formatDate, formatDateTime, formatMoney, t, tn } from './i18n.js';
import { FormFields, initialValues, toVariables, validate } from './form.jsx';
import { ErrorText, problemOf } from './ui.jsx';

// The customers the user may see: words search the names (`name ~ "..."`), a saved segment
// or a filter in the segment language selects; pages of 50, the count on top.
export function Customers() {
  const [words, setWords] = useState('');
  const [filter, setFilter] = useState('');
  const [segments, setSegments] = useState([]);
  const [segment, setSegment] = useState('');
  const [answer, setAnswer] = useState(null);
  const [items, setItems] = useState([]);
  const [error, setError] = useState('');
  const [asked, setAsked] = useState('');

  // No filter: the plain list (GET /api/crm/customers, keyset pages, no count); a filter:
  // the segment query, which counts.
  const query = async (text, after) => {
    setError('');
    try {
      let a;
      if (text) {
        const body = { text, limit: 50 };
        if (after) body.after = after;
        a = await post('/api/crm/segments/query', body);
      } else {
        a = await get(withQuery('/api/crm/customers', { limit: 50, after }));
      }
      setAnswer(a);
      setItems((old) => (after ? old.concat(a.items) : a.items));
      setAsked(text);
    } catch (e) {
      setError(e.message);
    }
  };

  useEffect(() => {
    get('/api/crm/segments')
      .then((p) => setSegments(p.items))
      .catch(() => setSegments([]));
    query('');
  }, []);

  const search = (event) => {
    event.preventDefault();
    const parts = [];
    if (words.trim()) parts.push(`name ~ ${JSON.stringify(words.trim())}`);
    const chosen = segments.find((s) => s.id === segment);
    if (chosen) parts.push(`(${chosen.text})`);
    if (filter.trim()) parts.push(`(${filter.trim()})`);
    query(parts.join(' and '));
  };

  return (
    <section aria-labelledby="customers-title">
      <h1 id="customers-title">{t('customers.title')}</h1>
      <form class="filters" role="search" onSubmit={search}>
        <label>
          {t('customers.words')}
          <input type="search" value={words} onInput={(e) => setWords(e.currentTarget.value)} />
        </label>
        <label>
          {t('customers.segment')}
          <select value={segment} onChange={(e) => setSegment(e.currentTarget.value)}>
            <option value="">{t('customers.allSegments')}</option>
            {segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          {t('customers.filter')}
          <input value={filter} placeholder='city = "Kraków" and has order (unpaid)' onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('inbox.searchButton')}</button>
      </form>
      <ErrorText text={error} />
      {answer && answer.count !== undefined && (
        <p role="status" class="count-line">
          {tn('customers.count', answer.count)}
          {asked && <code class="sub"> {asked}</code>}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('customers.name')}</th>
            <th scope="col" class="wide">
              {t('customers.city')}
            </th>
            <th scope="col" class="wide">
              {t('customers.taxId')}
            </th>
            <th scope="col">{t('customers.owner')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id} data-customer={c.id}>
              <td>
                <a href={`/customers/${c.id}`}>{c.name}</a>
                {(c.tags || []).length > 0 && <div class="sub">{c.tags.join(', ')}</div>}
              </td>
              <td class="wide">{(c.addresses || [])[0]?.city || ''}</td>
              <td class="wide">{c.taxId || ''}</td>
              <td>{c.owner || ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {answer && answer.next && (
        <button type="button" class="more" onClick={() => query(asked, answer.next)}>
          {t('customers.more')}
        </button>
      )}
    </section>
  );
}

// One stream of what happened and what is open with a customer, newest first, filtered by
// kind: activities (past and planned), tasks, documents, offers, orders, service cases.
function timelineOf(card, activities) {
  const items = [];
  const seen = new Set();
  for (const a of [...card.nextActivities, ...activities]) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    items.push({ kind: 'activity', at: a.start, title: a.title || t(`activity.${a.type}`), detail: `${t(`activity.${a.type}`)} · ${a.status}${a.outcome ? ` · ${a.outcome}` : ''}`, href: null, key: `a${a.id}` });
  }
  for (const tk of card.openTasks) items.push({ kind: 'task', at: tk.createdAt, title: tk.name, detail: `${tk.processId} · ${tk.assignee || t('task.nobody')}`, href: `/tasks/${tk.id}`, key: `t${tk.id}` });
  for (const d of card.documents) items.push({ kind: 'document', at: d.modifiedAt || d.createdAt, title: d.title, detail: d.type, href: `/api/documents/${d.id}/content`, key: `d${d.id}` });
  for (const o of card.openOffers) items.push({ kind: 'offer', at: o.createdAt, title: `${t('link.offer')} ${o.number || o.id}`, detail: `${o.status} · ${o.totals ? formatMoney(o.totals.gross, o.currency) : ''}`, href: null, key: `o${o.id}` });
  for (const o of card.openOrders) items.push({ kind: 'order', at: o.orderedOn, title: `${t('link.order')} ${o.number || o.id}`, detail: `${o.status} · ${o.totals ? formatMoney(o.totals.gross, o.currency) : ''}`, href: null, key: `r${o.id}` });
  for (const c of card.openCases) items.push({ kind: 'case', at: c.openedAt, title: `${t('link.case')} ${c.number || c.id}: ${c.subject || ''}`, detail: `${c.kind} · ${c.status}`, href: null, key: `c${c.id}` });
  items.sort((x, y) => String(y.at || '').localeCompare(String(x.at || '')));
  return items;
}

const KINDS = ['activity', 'task', 'document', 'offer', 'order', 'case'];

// A contact person of the customer, added or changed (POST /api/crm/contacts, PATCH
// /api/crm/contacts/{id} as a merge patch): names, role, the first e-mail and phone (others
// a person has are kept), and the consents to e-mail and SMS, recorded with when and how.
// The server checks the address and reads the number (libphonenumber); its error is shown
// at the field it names.
function ContactForm({ customer, contact, onDone, onCancel }) {
  const email0 = (contact && contact.emails && contact.emails[0]) || null;
  const phone0 = (contact && contact.phones && contact.phones[0]) || null;
  const consent = (contact && contact.consent) || {};
  const [v, setV] = useState({
    firstName: (contact && contact.firstName) || '',
    lastName: (contact && contact.lastName) || '',
    title: (contact && contact.title) || '',
    email: email0 ? email0.address : '',
    phone: phone0 ? phone0.number : '',
    emailConsent: !!(consent.email && consent.email.granted),
    smsConsent: !!(consent.sms && consent.sms.granted),
  });
  const [error, setError] = useState(null);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const invalid = (name) => (error && error.field && error.field.startsWith(name) ? 'true' : undefined);

  const save = async (event) => {
    event.preventDefault();
    setError(null);
    if (!v.firstName.trim() && !v.lastName.trim()) {
      setError({ field: 'lastName', message: t('contacts.nameRequired') });
      return;
    }
    const rest = (list) => (list || []).slice(1);
    const body = {
      firstName: v.firstName.trim(),
      lastName: v.lastName.trim(),
      title: v.title.trim(),
      emails: (v.email.trim() ? [{ ...(email0 || { label: 'work' }), address: v.email.trim() }] : []).concat(rest(contact && contact.emails)),
      phones: (v.phone.trim() ? [{ ...(phone0 || { label: 'work' }), number: v.phone.trim() }] : []).concat(rest(contact && contact.phones)),
    };
    const how = t('contacts.consentHow');
    const granted = { email: v.emailConsent, sms: v.smsConsent };
    const changed = {};
    for (const k of ['email', 'sms']) if (granted[k] !== !!(consent[k] && consent[k].granted)) changed[k] = { granted: granted[k], how };
    if (Object.keys(changed).length) body.consent = changed;
    try {
      if (contact) await api('PATCH', `/api/crm/contacts/${contact.id}`, body);
      else await post('/api/crm/contacts', { ...body, customers: [String(customer)] });
      onDone(t(contact ? 'contacts.saved' : 'contacts.added'));
    } catch (e) {
      setError(problemOf(e));
    }
  };

  return (
    <form class="inline-form" onSubmit={save} aria-label={t(contact ? 'contacts.edit' : 'contacts.add')}>
      <label>
        {t('contacts.firstName')}
        <input value={v.firstName} onInput={set('firstName')} autocomplete="off" aria-invalid={invalid('firstName')} />
      </label>
      <label>
        {t('contacts.lastName')}
        <input value={v.lastName} onInput={set('lastName')} autocomplete="off" aria-invalid={invalid('lastName')} />
      </label>
      <label>
        {t('contacts.role')}
        <input value={v.title} onInput={set('title')} aria-invalid={invalid('title')} />
      </label>
      <label>
        {t('contacts.email')}
        <input type="email" value={v.email} onInput={set('email')} aria-invalid={invalid('emails')} />
      </label>
      <label>
        {t('contacts.phone')}
        <input type="tel" value={v.phone} onInput={set('phone')} aria-invalid={invalid('phones')} />
      </label>
      <label class="check">
        <input type="checkbox" checked={v.emailConsent} onChange={set('emailConsent')} /> {t('contacts.emailConsent')}
      </label>
      <label class="check">
        <input type="checkbox" checked={v.smsConsent} onChange={set('smsConsent')} /> {t('contacts.smsConsent')}
      </label>
      <button type="submit">{t('customers.save')}</button>
      <button type="button" class="secondary" onClick={onCancel}>
        {t('calendar.close')}
      </button>
      {error && (
        <p role="alert" class="error">
          {error.message}
        </p>
      )}
    </form>
  );
}

// The installation's own fields of a customer (GET /api/crm/custom-fields/customer; an
// enum's values from its dictionary), shown and changed with the same typed fields as task
// forms: checked here, then by the server (PATCH customFields), whose errors are shown at
// the field they name (customFields.NAME).
function CustomFieldsSection({ customer, canWrite, onSaved }) {
  const [fields, setFields] = useState(null);
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({});
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    (async () => {
      try {
        const declared = (await get('/api/crm/custom-fields/customer')).fields || [];
        const resolved = await Promise.all(
          declared.map(async (f) => {
            if (!f.dictionary) return f;
            const d = await get(`/api/crm/dictionaries/${encodeURIComponent(f.dictionary)}`);
            return { ...f, values: (d.entries || []).map((e) => (typeof e === 'string' ? { value: e, label: e } : { value: e.value, label: e.label || e.value })) };
          }),
        );
        setFields(resolved);
        setValues(initialValues(resolved, customer.customFields || {}));
      } catch (e) {
        setError(e.message);
      }
    })();
  }, [customer.id, JSON.stringify(customer.customFields || {})]);
  if (!fields || fields.length === 0) return error ? <ErrorText text={error} /> : null;
  const shown = (f) => {
    const v = (customer.customFields || {})[f.name];
    if (v === undefined || v === null || v === '') return '—';
    if (typeof v === 'boolean') return t(v ? 'customers.yes' : 'customers.no');
    const label = (x) => ((f.values || []).find((o) => o.value === x) || { label: x }).label;
    if (Array.isArray(v)) return v.map(label).join(', ');
    return f.values ? label(String(v)) : String(v);
  };
  const save = async (event) => {
    event.preventDefault();
    const found = validate(fields, values);
    setErrors(found);
    setError('');
    if (Object.keys(found).length) return;
    try {
      await api('PATCH', `/api/crm/customers/${customer.id}`, { customFields: toVariables(fields, values) });
      setEditing(false);
      onSaved();
    } catch (e) {
      const at = {};
      for (const d of (e instanceof ApiError && e.details) || []) if (d.field && d.field.startsWith('customFields.')) at[d.field.slice('customFields.'.length)] = d.message;
      setErrors(at);
      setError(e.message);
    }
  };
  return (
    <section aria-labelledby="custom-title">
      <h2 id="custom-title">{t('customers.moreFields')}</h2>
      {editing ? (
        <form class="task-form" onSubmit={save} aria-label={t('customers.moreFields')} noValidate>
          <FormFields fields={fields} values={values} errors={errors} onChange={setValues} idPrefix="cf" />
          <ErrorText text={error} />
          <div class="row-form">
            <button type="submit">{t('customers.save')}</button>
            <button type="button" class="secondary" onClick={() => setEditing(false)}>
              {t('calendar.close')}
            </button>
          </div>
        </form>
      ) : (
        <>
          <dl class="facts" data-custom-fields>
            {fields.map((f) => (
              <Fragment key={f.name}>
                <dt>{f.label || f.name}</dt>
                <dd data-field={f.name}>{shown(f)}</dd>
              </Fragment>
            ))}
          </dl>
          {canWrite && (
            <button type="button" class="secondary" onClick={() => setEditing(true)}>
              {t('customers.changeFields')}
            </button>
          )}
        </>
      )}
    </section>
  );
}

export function CustomerCard({ id, canWrite }) {
  const [card, setCard] = useState(null);
  const [activities, setActivities] = useState([]);
  const [next, setNext] = useState('');
  const [kinds, setKinds] = useState(new Set(KINDS));
  const [error, setError] = useState('');
  const [form, setForm] = useState(''); // '', 'call', 'meeting'
  const [title, setTitle] = useState('');
  const [note, setNote] = useState('');
  const [when, setWhen] = useState('');
  const [status, setStatus] = useState('');
  const [formError, setFormError] = useState(null);
  const [quality, setQuality] = useState([]);
  const [duplicates, setDuplicates] = useState([]);
  const [value, setValue] = useState(null); // orders by month and lifetime value
  const [editing, setEditing] = useState(null); // null, 'new' or the contact person changed

  const load = async () => {
    try {
      const [c, a] = await Promise.all([get(`/api/crm/customers/${id}/card`), get(`/api/crm/customers/${id}/activities?limit=20`)]);
      setCard(c);
      setActivities(a.items);
      setNext(a.next || '');
      document.title = `${c.customer.name} · Quire`;
      get(`/api/crm/customers/${id}/quality`)
        .then((q) => setQuality(q.problems || []))
        .catch(() => setQuality([]));
      get(`/api/crm/customers/${id}/duplicates`)
        .then((d) => setDuplicates(d.items || []))
        .catch(() => setDuplicates([]));
      get(`/api/kpis/customers/${id}`)
        .then(setValue)
        .catch(() => setValue(null));
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
  }, [id]);

  if (error && !card) {
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  }
  if (!card) return <p>{t('app.loading')}</p>;
  const c = card.customer;

  const more = async () => {
    const a = await get(`/api/crm/customers/${id}/activities?limit=20&after=${encodeURIComponent(next)}`);
    setActivities((old) => old.concat(a.items));
    setNext(a.next || '');
  };

  const log = async (event) => {
    event.preventDefault();
    setFormError(null);
    const meeting = form === 'meeting';
    const body = { type: form, customer: String(id), title: title.trim() || undefined, note: note.trim() || undefined, status: meeting ? 'planned' : 'done' };
    if (meeting) {
      if (!when) {
        setFormError({ field: 'when', message: t('form.required') });
        return;
      }
      const start = new Date(when);
      body.start = start.toISOString();
      body.end = new Date(start.getTime() + 60 * 60 * 1000).toISOString();
    } else {
      body.start = new Date().toISOString();
    }
    try {
      await post('/api/crm/activities', body);
      setStatus(t(meeting ? 'customers.meetingPlanned' : 'customers.callLogged'));
      setForm('');
      setTitle('');
      setNote('');
      setWhen('');
      await load();
    } catch (e) {
      setFormError(problemOf(e));
    }
  };

  const stream = timelineOf(card, activities).filter((x) => kinds.has(x.kind));
  const address = (c.addresses || [])[0];

  return (
    <article aria-labelledby="customer-title" class="customer">
      <p>
        <a href="/customers">{t('customers.back')}</a>
      </p>
      <h1 id="customer-title">{c.name}</h1>
      <dl class="facts">
        {c.taxId && (
          <>
            <dt>{c.taxIdKind || t('customers.taxId')}</dt>
            <dd>{c.taxId}</dd>
          </>
        )}
        {address && (
          <>
            <dt>{t('customers.address')}</dt>
            <dd>{[address.street, address.postalCode, address.city].filter(Boolean).join(', ')}</dd>
          </>
        )}
        {(c.phones || []).length > 0 && (
          <>
            <dt>{t('customers.phone')}</dt>
            <dd>{c.phones.map((p) => p.number || p).join(', ')}</dd>
          </>
        )}
        {(c.emails || []).length > 0 && (
          <>
            <dt>{t('customers.email')}</dt>
            <dd>{c.emails.map((e) => e.address || e).join(', ')}</dd>
          </>
        )}
        <dt>{t('customers.owner')}</dt>
        <dd>{c.owner || '—'}</dd>
        {c.category && (
          <>
            <dt>{t('customers.category')}</dt>
            <dd>{c.category}</dd>
          </>
        )}
        {(c.tags || []).length > 0 && (
          <>
            <dt>{t('customers.tags')}</dt>
            <dd>{c.tags.join(', ')}</dd>
          </>
        )}
        {(card.classes || []).length > 0 && (
          <>
            <dt>{t('customers.classes')}</dt>
            <dd>
              <ul class="classes" data-classes>
                {card.classes.map((k) => (
                  <li key={k.name} data-class={k.name}>
                    <span class="tag">{t(`class.${k.name}`)}</span> <span class="sub">{k.reason}</span>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {value && value.orders > 0 && (
          <>
            <dt>{t('customers.value')}</dt>
            <dd data-value>
              {value.revenue.map((r) => formatMoney(r.amount, r.currency)).join(' + ')}{' '}
              <span class="sub">
                {t('customers.valueDetail', {
                  orders: tn('customers.orders', value.orders),
                  first: value.firstOrderMonth,
                  last: value.lastOrderMonth,
                })}
              </span>
            </dd>
          </>
        )}
      </dl>

      <div class="actions" role="group" aria-label={t('customers.quick')}>
        <button type="button" aria-expanded={form === 'call'} onClick={() => setForm(form === 'call' ? '' : 'call')}>
          {t('customers.logCall')}
        </button>
        <button type="button" class="secondary" aria-expanded={form === 'meeting'} onClick={() => setForm(form === 'meeting' ? '' : 'meeting')}>
          {t('customers.planMeeting')}
        </button>
      </div>
      {form && (
        <form class="inline-form" onSubmit={log} aria-label={form === 'call' ? t('customers.logCall') : t('customers.planMeeting')}>
          <label>
            {t('customers.subject')}
            <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          </label>
          {form === 'meeting' && (
            <label>
              {t('customers.when')}
              <input
                type="datetime-local"
                required
                value={when}
                aria-invalid={formError && formError.field === 'when' ? 'true' : undefined}
                onInput={(e) => setWhen(e.currentTarget.value)}
              />
            </label>
          )}
          <label class="grow">
            {t('customers.note')}
            <textarea value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </label>
          <button type="submit">{t('customers.save')}</button>
        </form>
      )}
      {formError && (
        <p role="alert" class="error">
          {formError.message}
        </p>
      )}
      <p role="status" class="status" aria-live="polite">
        {status}
      </p>

      {quality.length > 0 && (
        <section aria-labelledby="quality-title" class="quality">
          <h2 id="quality-title">{t('customers.quality')}</h2>
          <ul>
            {quality.map((q, i) => (
              <li key={i} data-field={q.field}>
                <strong>{q.field}</strong>: {q.message} <span class="sub">({q.severity})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {duplicates.length > 0 && (
        <section aria-labelledby="duplicates-title">
          <h2 id="duplicates-title">{t('customers.duplicates')}</h2>
          <ul class="plain">
            {duplicates.map((d) => (
              <li key={d.id} data-duplicate={d.id}>
                <a href={`/customers/${d.id}`}>{d.name}</a> <span class="sub">{(d.reasons || []).join(', ')}</span>{' '}
                <button
                  type="button"
                  class="secondary"
                  onClick={async () => {
                    if (!confirm(t('customers.mergeConfirm', { duplicate: d.name, into: c.name }))) return;
                    try {
                      await post(`/api/crm/customers/${id}/merge`, { duplicate: d.id });
                      setStatus(t('customers.merged', { duplicate: d.name }));
                      await load();
                    } catch (e) {
                      setFormError({ field: '', message: e.message });
                    }
                  }}
                >
                  {t('customers.mergeHere')}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}

      {(card.contacts.length > 0 || canWrite) && (
        <section aria-labelledby="contacts-title">
          <h2 id="contacts-title">{t('customers.contacts')}</h2>
          <ul class="plain contacts">
            {card.contacts.map((p) => (
              <li key={p.id} data-contact={p.id}>
                <strong>{p.name}</strong> {p.title && <span class="sub">{p.title}</span>}{' '}
                {(p.emails || []).map((e) => e.address || e).join(', ')} {(p.phones || []).map((x) => x.number || x).join(', ')}
                {p.consent && p.consent.email && p.consent.email.granted && <span class="tag">{t('contacts.emailOk')}</span>}
                {p.emailBounced && <span class="tag tag-case">{t('contacts.bounced')}</span>}{' '}
                {canWrite && (
                  <button type="button" class="link" aria-label={t('contacts.editOf', { name: p.name })} onClick={() => setEditing(p)}>
                    {t('contacts.change')}
                  </button>
                )}
              </li>
            ))}
          </ul>
          {canWrite && !editing && (
            <button type="button" class="secondary" onClick={() => setEditing('new')}>
              {t('contacts.add')}
            </button>
          )}
          {editing && (
            <ContactForm
              key={editing === 'new' ? 'new' : editing.id}
              customer={id}
              contact={editing === 'new' ? null : editing}
              onCancel={() => setEditing(null)}
              onDone={async (message) => {
                setEditing(null);
                setStatus(message);
                await load();
              }}
            />
          )}
        </section>
      )}

      <CustomFieldsSection
        customer={c}
        canWrite={canWrite}
        onSaved={async () => {
          setStatus(t('customers.fieldsSaved'));
          await load();
        }}
      />

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t('customers.timeline')}</h2>
        <fieldset class="kinds">
          <legend>{t('customers.show')}</legend>
          {KINDS.map((k) => (
            <label key={k} class="check">
              <input
                type="checkbox"
                checked={kinds.has(k)}
                onChange={(e) => {
                  const s = new Set(kinds);
                  if (e.currentTarget.checked) s.add(k);
                  else s.delete(k);
                  setKinds(s);
                }}
              />
              {t(`kind.${k}`)}
            </label>
          ))}
        </fieldset>
        <ol class="timeline">
          {stream.map((x) => (
            <li key={x.key} data-kind={x.kind}>
              <time dateTime={x.at}>{x.kind === 'order' ? formatDate(x.at) : formatDateTime(x.at)}</time>
              <span class={`tag tag-${x.kind}`}>{t(`kind.${x.kind}`)}</span>
              {x.href ? <a href={x.href}>{x.title}</a> : <strong>{x.title}</strong>}
              <span class="sub"> {x.detail}</span>
            </li>
          ))}
        </ol>
        {next && (
          <button type="button" class="more" onClick={more}>
            {t('customers.moreActivities')}
          </button>
        )}
      </section>
    </article>
  );
}

// The customer a task is about, on the task page: who they are, how to reach them, what
// happened last (GET /api/crm/customers/{id}/card, within the caller's reach).
export function CustomerSummary({ id }) {
  const [card, setCard] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get(`/api/crm/customers/${encodeURIComponent(id)}/card`)
      .then(setCard)
      .catch((e) => setError(e.message));
  }, [id]);
  if (error) return <p class="hint">{t('customers.cardUnavailable', { why: error })}</p>;
  if (!card) return null;
  const c = card.customer;
  return (
    <aside class="customer-summary" aria-labelledby={`cust-${id}`}>
      <h2 id={`cust-${id}`}>
        <a href={`/customers/${c.id}`}>{c.name}</a>
      </h2>
      <p class="sub">
        {[(c.phones || []).map((p) => p.number || p).join(', '), (c.emails || []).map((e) => e.address || e).join(', '), c.owner].filter(Boolean).join(' · ')}
      </p>
      {card.lastActivities.length > 0 && (
        <ul class="plain">
          {card.lastActivities.slice(0, 3).map((a) => (
            <li key={a.id}>
              {formatDateTime(a.start)} · {t(`activity.${a.type}`)} {a.title && `· ${a.title}`}
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
