import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, getIfChanged, post, withQuery } from './api.js';
import { formatDateTime, formatNumber, t } from './i18n.js';
import { navigate } from './router.js';
import { ErrorText } from './ui.jsx';

export const VIEWS = ['mine', 'group', 'delegated', 'postponed', 'escalated', 'overdue', 'open'];
const SORTS = ['priority', 'due', 'created'];
const POLL_MS = 10000;
// Views with an order of their own: postponed by follow-up date, overdue by due date.
const FIXED_ORDER = { postponed: 'inbox.byFollowUp', overdue: 'inbox.byDue' };

// The staff's home: the views with their counts, one view's tasks in pages of 50 (keyset:
// "more" asks for the page after the last one), search, claim and unclaim on each row, and
// bulk claim / unclaim for a selection. While the page is visible it polls (see
// web/README.md for why polling, not server-sent events): the counts, and the first page
// with If-None-Match — an unchanged inbox is a 304 without a body; a changed one (a task
// arrived or left, even when the counts stay) is shown.
export function Inbox({ view, me }) {
  const [counts, setCounts] = useState(null);
  const [tasks, setTasks] = useState([]);
  const [next, setNext] = useState('');
  const [sort, setSort] = useState('priority');
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState(new Set());
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const [to, setTo] = useState('');
  const supervisor = (me.permissions || []).some((p) => p.permission === 'tasks.assign');
  const lastCounts = useRef('');
  const etag = useRef(''); // of the first page shown
  const order = FIXED_ORDER[view] ? undefined : sort;

  const firstPage = withQuery('/api/tasks', { view, sort: order, q: search, limit: 50 });
  const load = useCallback(async () => {
    setError('');
    try {
      const answer = await getIfChanged(firstPage, '');
      const page = answer.body;
      etag.current = answer.etag;
      setTasks(page.items);
      setNext(page.next || '');
      setSelected(new Set());
    } catch (e) {
      setError(e.message);
    } finally {
      setLoading(false);
    }
  }, [view, order, search]);

  const loadCounts = useCallback(async () => {
    try {
      const c = await get('/api/tasks/counts');
      const key = JSON.stringify(c);
      const changed = lastCounts.current !== '' && lastCounts.current !== key;
      lastCounts.current = key;
      setCounts(c);
      return changed;
    } catch {
      return false;
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    setTasks([]);
    load();
    loadCounts();
  }, [load, loadCounts]);

  useEffect(() => {
    const timer = setInterval(async () => {
      if (document.visibilityState !== 'visible') return;
      const [countsChanged, listed] = await Promise.all([loadCounts(), getIfChanged(firstPage, etag.current).catch(() => null)]);
      if (listed) {
        etag.current = listed.etag;
        setTasks(listed.body.items);
        setNext(listed.body.next || '');
        setSelected(new Set());
      } else if (countsChanged && !etag.current) {
        load();
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [load, loadCounts, firstPage]);

  const more = async () => {
    try {
      const page = await get(withQuery('/api/tasks', { view, sort: order, q: search, limit: 50, after: next }));
      setTasks((old) => old.concat(page.items));
      setNext(page.next || '');
    } catch (e) {
      setError(e.message);
    }
  };

  const act = async (task, action) => {
    setError('');
    try {
      await post(`/api/tasks/${task.id}/${action}`);
      setStatus(t(`inbox.did.${action}`, { name: task.name }));
      await Promise.all([load(), loadCounts()]);
    } catch (e) {
      setError(e.message);
    }
  };

  const bulk = async (action) => {
    setError('');
    try {
      const r = await post('/api/tasks/bulk', { action, tasks: [...selected], to: action === 'reassign' ? to : undefined });
      setStatus(t('inbox.bulkDone', { done: r.done, refused: r.refused }));
      const refused = r.results.filter((x) => !x.ok);
      if (refused.length) setError(refused.map((x) => `${x.id}: ${x.error.message}`).join('\n'));
      await Promise.all([load(), loadCounts()]);
    } catch (e) {
      setError(e.message);
    }
  };

  const toggle = (id) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };

  return (
    <div class="inbox">
      <nav class="views" aria-label={t('inbox.views')}>
        <ul>
          {VIEWS.map((v) => (
            <li key={v}>
              <a href={`/inbox/${v}`} aria-current={v === view ? 'page' : undefined}>
                <span>{t(`view.${v}`)}</span>
                <span class="count" data-view={v}>
                  {counts ? formatNumber(counts[v]) : '…'}
                </span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <section class="list" aria-labelledby="inbox-title">
        <h1 id="inbox-title">{t(`view.${view}`)}</h1>
        <form
          class="toolbar"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setSearch(q.trim());
          }}
        >
          <label>
            <span class="sr-only">{t('inbox.search')}</span>
            <input type="search" placeholder={t('inbox.search')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
          </label>
          <button type="submit">{t('inbox.searchButton')}</button>
          {FIXED_ORDER[view] ? (
            <span class="hint">{t(FIXED_ORDER[view])}</span>
          ) : (
            <label>
              {t('inbox.sort')}{' '}
              <select value={sort} onChange={(e) => setSort(e.currentTarget.value)}>
                {SORTS.map((s) => (
                  <option key={s} value={s}>
                    {t(`sort.${s}`)}
                  </option>
                ))}
              </select>
            </label>
          )}
        </form>
        {selected.size > 0 && (
          <div class="bulk" role="group" aria-label={t('inbox.bulk')}>
            <span>{t('inbox.selected', { n: selected.size })}</span>
            <button type="button" onClick={() => bulk('claim')}>
              {t('task.claim')}
            </button>
            <button type="button" onClick={() => bulk('unclaim')}>
              {t('task.unclaim')}
            </button>
            {supervisor && (
              <form
                class="row-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  bulk('reassign');
                }}
              >
                <input aria-label={t('inbox.reassignTo')} placeholder={t('inbox.reassignTo')} required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
                <button type="submit">{t('task.reassign')}</button>
              </form>
            )}
          </div>
        )}
        <p class="status" role="status" aria-live="polite">
          {status}
        </p>
        <ErrorText text={error} />
        {loading ? (
          <p>{t('app.loading')}</p>
        ) : tasks.length === 0 ? (
          <p class="empty">{t('inbox.empty')}</p>
        ) : (
          <table class="tasks">
            <thead>
              <tr>
                <th scope="col">
                  <span class="sr-only">{t('inbox.select')}</span>
                </th>
                <th scope="col">{t('task.name')}</th>
                <th scope="col" class="wide">
                  {t('task.process')}
                </th>
                <th scope="col">{t('task.due')}</th>
                <th scope="col" class="wide">
                  {t('task.assignee')}
                </th>
                <th scope="col">
                  <span class="sr-only">{t('inbox.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.id} data-task={task.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={t('inbox.selectTask', { name: task.name })}
                      checked={selected.has(task.id)}
                      onChange={() => toggle(task.id)}
                    />
                  </td>
                  <td>
                    <a href={`/tasks/${task.id}`}>{task.name || task.elementId}</a>
                    {task.businessKey && <div class="sub">{task.businessKey}</div>}
                  </td>
                  <td class="wide">{task.processId}</td>
                  <td class={task.dueAt && new Date(task.dueAt) < new Date() ? 'overdue' : ''}>{formatDateTime(task.dueAt)}</td>
                  <td class="wide">{task.assignee || '—'}</td>
                  <td class="row-actions">
                    {task.assignee ? (
                      <button type="button" onClick={() => act(task, 'unclaim')}>
                        {t('task.unclaim')}
                      </button>
                    ) : (
                      <button type="button" onClick={() => act(task, 'claim')}>
                        {t('task.claim')}
                      </button>
                    )}
                    <button type="button" class="secondary" onClick={() => navigate(`/tasks/${task.id}`)}>
                      {t('task.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {next && (
          <button type="button" class="more" onClick={more}>
            {t('inbox.more')}
          </button>
        )}
      </section>
    </div>
  );
}
