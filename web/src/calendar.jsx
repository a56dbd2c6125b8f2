import { useEffect, useState } from 'preact/hooks';
import { api, get, post, withQuery } from './api.js';
import { formatDateTime, language, t } from './i18n.js';
import { ErrorText } from './ui.jsx';

const HOURS = Array.from({ length: 13 }, (_, i) => 7 + i); // 7:00 .. 19:00

function mondayOf(date) {
  const d = new Date(date);
  d.setHours(0, 0, 0, 0);
  const shift = (d.getDay() + 6) % 7;
  d.setDate(d.getDate() - shift);
  return d;
}

function addDays(d, n) {
  const x = new Date(d);
  x.setDate(x.getDate() + n);
  return x;
}

function localInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function startOfDay(date) {
  const d = new Date(date);
  d.setHours(0, 0, 0, 0);
  return d;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// The calendar of the user, a team or a resource by day, week or month (GET
// /api/crm/calendar: recurring activities expanded by the server), in the browser's time
// zone. A free hour is a button: it opens the form to plan an activity there (with a
// resource to book); a booking that collides is refused by the server (409) and the page
// says with what. An activity is dragged to another hour to move it, or by its lower
// edge to make it end at another hour; from the keyboard it opens to have its start and
// end typed. The user's iCalendar feed link is made here.
export function Calendar({ me }) {
  // The first day shown: a Monday in the week view, any day in the day view.
  const [week, setWeek] = useState(mondayOf(new Date()));
  const [whose, setWhose] = useState(`user:${me.user.id}`);
  const [resources, setResources] = useState([]);
  const [items, setItems] = useState([]);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [draft, setDraft] = useState(null); // {id?, title, type, start, end, resource}
  const [formError, setFormError] = useState('');
  const [feed, setFeed] = useState('');
  const [mode, setMode] = useState('week'); // 'day', 'week' or 'month'
  const [month, setMonth] = useState(() => {
    const d = new Date();
    return new Date(d.getFullYear(), d.getMonth(), 1);
  });
  const [groups, setGroups] = useState([]);
  const crm = (me.permissions || []).find((p) => p.permission === 'crm.read');
  const teams = crm && crm.scope !== 'own';

  // The month view shows the six weeks from the Monday before the 1st.
  const monthStart = mondayOf(month);
  const span = mode === 'day' ? 1 : 7; // the columns of the day and week views
  const load = async () => {
    setError('');
    const [kind, id] = whose.split(/:(.*)/s);
    const from = mode === 'month' ? monthStart : week;
    const to = addDays(from, mode === 'month' ? 42 : span);
    try {
      const page = await get(withQuery('/api/crm/calendar', { [kind]: id, from: from.toISOString(), to: to.toISOString() }));
      setItems(page.items);
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    get('/api/crm/resources')
      .then((p) => setResources(p.items))
      .catch(() => setResources([]));
    if (teams) {
      get(`/api/users/${encodeURIComponent(me.user.id)}`)
        .then((u) => setGroups((u.groups || []).map((g) => (typeof g === 'string' ? g : g.id))))
        .catch(() => setGroups([]));
    }
  }, []);
  useEffect(() => {
    load();
  }, [week, month, mode, whose]);

  const days = Array.from({ length: span }, (_, i) => addDays(week, i));
  const switchMode = (next) => {
    if (next === 'day' && mode !== 'day') {
      const today = startOfDay(new Date());
      setWeek(today >= week && today < addDays(week, 7) ? today : week);
    } else if (next === 'week' && mode === 'day') {
      setWeek(mondayOf(week));
    }
    setMode(next);
  };
  const dayName = new Intl.DateTimeFormat(language() === 'pl' ? 'pl-PL' : 'en-GB', { weekday: 'short', day: 'numeric', month: 'short' });

  const openSlot = (day, hour) => {
    const start = new Date(day);
    start.setHours(hour, 0, 0, 0);
    const end = new Date(start.getTime() + 60 * 60 * 1000);
    const [kind, id] = whose.split(/:(.*)/s);
    setFormError('');
    setDraft({ title: '', type: 'meeting', start: localInput(start), end: localInput(end), resource: kind === 'resource' ? id : '' });
  };

  const save = async (event) => {
    event.preventDefault();
    setFormError('');
    const body = { title: draft.title || undefined, type: draft.type, status: 'planned', start: new Date(draft.start).toISOString(), end: new Date(draft.end).toISOString() };
    if (draft.resource) body.resources = [draft.resource];
    try {
      if (draft.id) await api('PATCH', `/api/crm/activities/${draft.id}`, { start: body.start, end: body.end, title: body.title, resources: body.resources || [] });
      else await post('/api/crm/activities', body);
      setStatus(t(draft.id ? 'calendar.moved' : 'calendar.planned'));
      setDraft(null);
      await load();
    } catch (e) {
      setFormError(e.message);
    }
  };

  // Drag an activity to another hour: the same length, moved; the server refuses a move
  // into a resource's other booking (409) and the page says so. (The form does the same
  // from the keyboard.)
  const drop = async (event, day, hour) => {
    event.preventDefault();
    const data = event.dataTransfer.getData('application/x-quire-activity');
    if (!data) return;
    const { id, length, resize, from } = JSON.parse(data);
    const start = new Date(day);
    start.setHours(hour, 0, 0, 0);
    setError('');
    // A resize ends the activity with the hour it was dropped on; its start stays.
    const change = resize ? { end: new Date(start.getTime() + 3600000).toISOString() } : { start: start.toISOString(), end: new Date(start.getTime() + length).toISOString() };
    if (resize && new Date(change.end) <= new Date(from)) {
      setError(t('calendar.endBeforeStart'));
      return;
    }
    try {
      await api('PATCH', `/api/crm/activities/${id}`, change);
      setStatus(t(resize ? 'calendar.resized' : 'calendar.moved'));
      await load();
    } catch (e) {
      setError(e.message);
    }
  };

  const makeFeed = async () => {
    try {
      const f = await post('/api/me/calendar-feed');
      setFeed(f.url);
    } catch (e) {
      setError(e.message);
    }
  };

  // Where an item sits in the grid: its day column and its top and height in hours.
  const placed = items
    .map((it) => {
      const s = new Date(it.start);
      const e = new Date(it.end || it.start);
      const day = days.findIndex((d) => sameDay(d, s));
      const top = Math.max(0, s.getHours() + s.getMinutes() / 60 - HOURS[0]);
      const height = Math.max(0.5, (e - s) / 3600000);
      return { it, day, top, height };
    })
    .filter((p) => p.day >= 0);

  return (
    <section aria-labelledby="calendar-title">
      <h1 id="calendar-title">{t('calendar.title')}</h1>
      <div class="toolbar">
        <div role="group" aria-label={t('calendar.view')} class="row-form">
          {['day', 'week', 'month'].map((x) => (
            <button key={x} type="button" class={mode === x ? '' : 'secondary'} aria-pressed={mode === x ? 'true' : 'false'} onClick={() => switchMode(x)}>
              {t(`calendar.${x}View`)}
            </button>
          ))}
        </div>
        {mode === 'day' && (
          <>
            <button type="button" class="secondary" onClick={() => setWeek(addDays(week, -1))}>
              {t('calendar.previousDay')}
            </button>
            <button type="button" class="secondary" onClick={() => setWeek(startOfDay(new Date()))}>
              {t('calendar.today')}
            </button>
            <button type="button" class="secondary" onClick={() => setWeek(addDays(week, 1))}>
              {t('calendar.nextDay')}
            </button>
          </>
        )}
        {mode === 'week' && (
          <>
            <button type="button" class="secondary" onClick={() => setWeek(addDays(week, -7))}>
              {t('calendar.previous')}
            </button>
            <button type="button" class="secondary" onClick={() => setWeek(mondayOf(new Date()))}>
              {t('calendar.thisWeek')}
            </button>
            <button type="button" class="secondary" onClick={() => setWeek(addDays(week, 7))}>
              {t('calendar.next')}
            </button>
          </>
        )}
        {mode === 'month' && (
          <>
            <button type="button" class="secondary" onClick={() => setMonth(new Date(month.getFullYear(), month.getMonth() - 1, 1))}>
              {t('calendar.previousMonth')}
            </button>
            <strong>{new Intl.DateTimeFormat(language() === 'pl' ? 'pl-PL' : 'en-GB', { month: 'long', year: 'numeric' }).format(month)}</strong>
            <button type="button" class="secondary" onClick={() => setMonth(new Date(month.getFullYear(), month.getMonth() + 1, 1))}>
              {t('calendar.nextMonth')}
            </button>
          </>
        )}
        <label>
          {t('calendar.whose')}{' '}
          <select value={whose} onChange={(e) => setWhose(e.currentTarget.value)}>
            <option value={`user:${me.user.id}`}>{t('calendar.mine')}</option>
            {groups.map((g) => (
              <option key={g} value={`group:${g}`}>
                {t('calendar.team', { group: g })}
              </option>
            ))}
            {resources.map((r) => (
              <option key={r.id} value={`resource:${r.id}`}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="secondary" onClick={makeFeed}>
          {t('calendar.feed')}
        </button>
      </div>
      {feed && (
        <p class="notice">
          {t('calendar.feedText')} <code>{feed}</code>
        </p>
      )}
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorText text={error} />
      {draft && (
        <form class="inline-form" onSubmit={save} aria-label={t('calendar.activity')}>
          <label>
            {t('customers.subject')}
            <input value={draft.title} onInput={(e) => setDraft({ ...draft, title: e.currentTarget.value })} />
          </label>
          {!draft.id && (
            <label>
              {t('calendar.type')}
              <select value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
                {['meeting', 'call', 'visit', 'task'].map((x) => (
                  <option key={x} value={x}>
                    {t(`activity.${x}`)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            {t('calendar.start')}
            <input type="datetime-local" required value={draft.start} onInput={(e) => setDraft({ ...draft, start: e.currentTarget.value })} />
          </label>
          <label>
            {t('calendar.end')}
            <input type="datetime-local" required value={draft.end} onInput={(e) => setDraft({ ...draft, end: e.currentTarget.value })} />
          </label>
          <label>
            {t('calendar.resource')}
            <select value={draft.resource} onChange={(e) => setDraft({ ...draft, resource: e.currentTarget.value })}>
              <option value="">{t('calendar.noResource')}</option>
              {resources.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">{t('customers.save')}</button>
          <button type="button" class="secondary" onClick={() => setDraft(null)}>
            {t('calendar.close')}
          </button>
          {formError && (
            <p role="alert" class="error conflict">
              {formError}
            </p>
          )}
        </form>
      )}
      {mode === 'month' && (
        <div class="month" role="region" aria-label={t('calendar.monthView')}>
          {Array.from({ length: 42 }, (_, i) => addDays(monthStart, i)).map((d) => {
            const todays = items.filter((it) => {
              const s0 = new Date(it.start);
              return s0.getFullYear() === d.getFullYear() && s0.getMonth() === d.getMonth() && s0.getDate() === d.getDate();
            });
            return (
              <div key={d.toISOString()} class={`month-day ${d.getMonth() === month.getMonth() ? '' : 'other'}`}>
                <button
                  type="button"
                  class="link day-number"
                  aria-label={t('calendar.openWeek', { day: dayName.format(d) })}
                  onClick={() => {
                    setWeek(mondayOf(d));
                    setMode('week');
                  }}
                >
                  {d.getDate()}
                </button>
                <ul>
                  {todays.slice(0, 4).map((it) => (
                    <li key={`${it.id}-${it.start}`} data-activity={it.id}>
                      {new Date(it.start).toLocaleTimeString(language() === 'pl' ? 'pl-PL' : 'en-GB', { hour: '2-digit', minute: '2-digit' })} {it.busy ? t('calendar.busy') : it.title || t(`activity.${it.type}`)}
                    </li>
                  ))}
                  {todays.length > 4 && <li class="sub">{t('calendar.more', { n: todays.length - 4 })}</li>}
                </ul>
              </div>
            );
          })}
        </div>
      )}
      <div hidden={mode === 'month'} class={`week ${mode === 'day' ? 'one-day' : ''}`} role="region" aria-label={mode === 'day' ? t('calendar.day', { day: dayName.format(days[0]) }) : t('calendar.week', { from: dayName.format(days[0]) })}>
        <div class="week-row head">
          <div class="hour-col" />
          {days.map((d) => (
            <div key={d.toISOString()}>
              {dayName.format(d)}
            </div>
          ))}
        </div>
        <div class="week-body">
          {HOURS.map((h) => (
            <div class="week-row" key={h}>
              <div class="hour-col">{`${h}:00`}</div>
              {days.map((d, i) => (
                <div key={i} class="slot" data-day={i} data-hour={h} onDragOver={(e) => e.preventDefault()} onDrop={(e) => drop(e, d, h)}>
                  <button type="button" class="slot-button" aria-label={t('calendar.planAt', { at: formatDateTime(new Date(d.getFullYear(), d.getMonth(), d.getDate(), h).toISOString()) })} onClick={() => openSlot(d, h)} />
                </div>
              ))}
            </div>
          ))}
          {placed.map(({ it, day, top, height }) => (
            <button
              type="button"
              key={`${it.id}-${it.start}`}
              class={`event ${it.busy ? 'busy' : ''} type-${it.type || 'busy'}`}
              data-activity={it.id}
              draggable={!it.busy && !it.rrule}
              onDragStart={(e) => {
                e.dataTransfer.setData('application/x-quire-activity', JSON.stringify({ id: it.id, length: new Date(it.end) - new Date(it.start) }));
                e.dataTransfer.effectAllowed = 'move';
              }}
              style={{ top: `calc(${top} * var(--hour))`, height: `calc(${height} * var(--hour))`, left: `calc(4rem + ${day} * (100% - 4rem) / ${span})`, width: `calc((100% - 4rem) / ${span} - 4px)` }}
              onClick={() => {
                if (it.busy) return;
                setFormError('');
                setDraft({ id: it.id, title: it.title, type: it.type, start: localInput(new Date(it.start)), end: localInput(new Date(it.end)), resource: (it.resources || [])[0] || '' });
              }}
            >
              <span>{new Date(it.start).toLocaleTimeString(language() === 'pl' ? 'pl-PL' : 'en-GB', { hour: '2-digit', minute: '2-digit' })}</span> {it.busy ? t('calendar.busy') : it.title || t(`activity.${it.type}`)}
              {!it.busy && !it.rrule && (
                // The lower edge: dragged to another hour, the activity ends there.
                <span
                  class="resize-handle"
                  draggable
                  aria-hidden="true"
                  title={t('calendar.resize')}
                  onDragStart={(e) => {
                    e.stopPropagation();
                    e.dataTransfer.setData('application/x-quire-activity', JSON.stringify({ id: it.id, resize: true, from: it.start }));
                    e.dataTransfer.effectAllowed = 'move';
                  }}
                />
              )}
            </button>
          ))}
        </div>
      </div>
    </section>
  );
}
