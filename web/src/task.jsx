import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { navigate } from './router.js';
import { FormFields, initialValues, toVariables, validate } from './form.jsx';
import { DocumentsPanel } from './documents.jsx';
import { TaskDiagram } from './diagram.jsx';
import { FormJs } from './formjs.jsx';
import { CustomerSummary } from './customers.jsx';
import { ErrorText } from './ui.jsx';

// One task: what it is, its form, and what can be done with it. Completing sends the form;
// the server checks it again and its errors appear at the fields.
export function TaskPage({ id, me }) {
  const [task, setTask] = useState(null);
  const [form, setForm] = useState(null);
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [comments, setComments] = useState([]);
  const [comment, setComment] = useState('');
  const [dialog, setDialog] = useState(''); // '', 'delegate', 'reassign', 'postpone', 'escalate'
  const [to, setTo] = useState('');
  const [followUp, setFollowUp] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [docProblem, setDocProblem] = useState('');
  const [docsVersion, setDocsVersion] = useState(0);

  const load = async () => {
    setError('');
    try {
      const [tk, fm, cm] = await Promise.all([get(`/api/tasks/${id}`), get(`/api/tasks/${id}/form`), get(`/api/tasks/${id}/comments`)]);
      setTask(tk);
      setForm(fm);
      // What was typed and not yet sent survives leaving the page (kept in this tab).
      let draft = null;
      try {
        draft = JSON.parse(sessionStorage.getItem(`quire.form.${id}`) || 'null');
      } catch {
        draft = null;
      }
      setValues({ ...initialValues(fm.fields, tk.variables || {}), ...(draft || {}) });
      setComments(cm.items || []);
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
  }, [id]);

  useEffect(() => {
    if (task) document.title = `${task.name} · Quire`;
  }, [task]);

  if (error && !task) {
    return (
      <section>
        <h1>{t('task.title')}</h1>
        <p role="alert" class="error">
          {error}
        </p>
        <p>
          <a href="/inbox/mine">{t('task.back')}</a>
        </p>
      </section>
    );
  }
  if (!task || !form) return <p>{t('app.loading')}</p>;

  const mine = task.assignee === me.user.id;
  const run = async (action, body) => {
    setBusy(true);
    setError('');
    setMessage('');
    try {
      const updated = await post(`/api/tasks/${id}/${action}`, body);
      setMessage(t(`task.did.${action}`));
      setDialog('');
      setTask(updated);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  // A Camunda Forms task: form-js checked the data; the server checks it again.
  const completeWith = async (data) => {
    setBusy(true);
    setError('');
    try {
      await post(`/api/tasks/${id}/complete`, { variables: data });
      sessionStorage.removeItem(`quire.form.${id}`);
      navigate('/inbox/mine');
    } catch (e) {
      const details = e instanceof ApiError ? e.details.map((d) => `${d.field}: ${d.message}`) : [];
      setError([e.message, ...details].join('\n'));
    } finally {
      setBusy(false);
    }
  };

  const complete = async (event) => {
    event.preventDefault();
    const found = validate(form.fields, values);
    setErrors(found);
    if (Object.keys(found).length) {
      setError(t('form.fix', { n: Object.keys(found).length }));
      const first = document.querySelector('[aria-invalid="true"]');
      if (first) first.focus();
      return;
    }
    setBusy(true);
    setError('');
    try {
      await post(`/api/tasks/${id}/complete`, { variables: toVariables(form.fields, values) });
      sessionStorage.removeItem(`quire.form.${id}`);
      navigate('/inbox/mine');
    } catch (e) {
      if (e instanceof ApiError && e.details.length) {
        const server = {};
        const documents = [];
        for (const d of e.details) {
          if (d.field.startsWith('documents.')) documents.push(d.message);
          else server[d.field.replace(/^variables\./, '')] = d.message;
        }
        setErrors(server);
        setDocProblem(documents.join('\n'));
        if (documents.length) setDocsVersion((n) => n + 1);
      }
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  const addComment = async (event) => {
    event.preventDefault();
    if (!comment.trim()) return;
    try {
      await post(`/api/tasks/${id}/comments`, { text: comment.trim() });
      setComment('');
      const cm = await get(`/api/tasks/${id}/comments`);
      setComments(cm.items || []);
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <article class="task" aria-labelledby="task-title">
      <p>
        <a href="/inbox/mine">{t('task.back')}</a>
      </p>
      <h1 id="task-title">{task.name || task.elementId}</h1>
      <dl class="facts">
        <dt>{t('task.process')}</dt>
        <dd>{task.processId}</dd>
        {task.businessKey && (
          <>
            <dt>{t('task.businessKey')}</dt>
            <dd>{task.businessKey}</dd>
          </>
        )}
        <dt>{t('task.assignee')}</dt>
        <dd data-testid="assignee">{task.assignee || t('task.nobody')}</dd>
        <dt>{t('task.state')}</dt>
        <dd>{task.state}</dd>
        <dt>{t('task.created')}</dt>
        <dd>{formatDateTime(task.createdAt)}</dd>
        {task.dueAt && (
          <>
            <dt>{t('task.due')}</dt>
            <dd>{formatDateTime(task.dueAt)}</dd>
          </>
        )}
        {task.followUpAt && (
          <>
            <dt>{t('task.followUp')}</dt>
            <dd>{formatDateTime(task.followUpAt)}</dd>
          </>
        )}
        {(task.links || []).map((l) => (
          <>
            <dt>{t(`link.${l.kind}`)}</dt>
            <dd>{l.id}</dd>
          </>
        ))}
      </dl>
      {task.description && <p class="description">{task.description}</p>}
      {(task.links || [])
        .filter((l) => l.kind === 'customer')
        .map((l) => (
          <CustomerSummary key={l.id} id={l.id} />
        ))}

      <div class="actions" role="group" aria-label={t('task.actions')}>
        {task.assignee ? (
          <button type="button" disabled={busy} onClick={() => run('unclaim')}>
            {t('task.unclaim')}
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => run('claim')}>
            {t('task.claim')}
          </button>
        )}
        <button type="button" class="secondary" onClick={() => setDialog(dialog === 'delegate' ? '' : 'delegate')} aria-expanded={dialog === 'delegate'}>
          {t('task.delegate')}
        </button>
        {(me.permissions || []).some((p) => p.permission === 'tasks.assign') && (
          <button type="button" class="secondary" onClick={() => setDialog(dialog === 'reassign' ? '' : 'reassign')} aria-expanded={dialog === 'reassign'}>
            {t('task.reassign')}
          </button>
        )}
        <button type="button" class="secondary" onClick={() => setDialog(dialog === 'postpone' ? '' : 'postpone')} aria-expanded={dialog === 'postpone'}>
          {t('task.postpone')}
        </button>
        <button type="button" class="secondary" onClick={() => setDialog(dialog === 'escalate' ? '' : 'escalate')} aria-expanded={dialog === 'escalate'}>
          {t('task.escalate')}
        </button>
        {task.state === 'delegated' && (
          <button type="button" class="secondary" onClick={() => run('resolve')}>
            {t('task.resolve')}
          </button>
        )}
      </div>

      {dialog && (
        // One form for the operations that ask something: who (delegate, reassign), until
        // when (postpone), and for all of them an optional reason.
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const body = { reason: reason || undefined };
            if (dialog === 'delegate' || dialog === 'reassign') body.to = to;
            if (dialog === 'postpone') body.followUpAt = new Date(followUp).toISOString();
            run(dialog, body);
          }}
        >
          {(dialog === 'delegate' || dialog === 'reassign') && (
            <label>
              {t(dialog === 'delegate' ? 'task.delegateTo' : 'inbox.reassignTo')}
              <input required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
            </label>
          )}
          {dialog === 'postpone' && (
            <label>
              {t('task.postponeUntil')}
              <input type="datetime-local" name="followUpAt" required value={followUp} onInput={(e) => setFollowUp(e.currentTarget.value)} />
            </label>
          )}
          <label>
            {t('task.reason')}
            <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>
            {t(`task.${dialog}`)}
          </button>
        </form>
      )}

      <p class="status" role="status" aria-live="polite">
        {message}
      </p>
      <ErrorText text={error} />

      <section aria-labelledby="form-title">
        <h2 id="form-title">{t('task.form')}</h2>
        {form.schema && form.schema.components ? (
          <>
            <FormJs schema={form.schema} data={task.variables || {}} disabled={busy || !mine} onSubmit={completeWith} />
            {!mine && <p class="hint">{t('task.claimFirst')}</p>}
          </>
        ) : (
        <form class="task-form" onSubmit={complete} noValidate>
          {form.fields.length === 0 && <p>{t('task.noFields')}</p>}
          <FormFields
            fields={form.fields}
            values={values}
            errors={errors}
            onChange={(v) => {
              setValues(v);
              try {
                sessionStorage.setItem(`quire.form.${id}`, JSON.stringify(v));
              } catch {
                // storage full or off: the form still works, only without the draft
              }
            }}
          />
          <button type="submit" disabled={busy || !mine}>
            {t('task.complete')}
          </button>
          {!mine && <p class="hint">{t('task.claimFirst')}</p>}
        </form>
        )}
      </section>

      <DocumentsPanel
        key={docsVersion}
        link={`task:${id}`}
        required={form.requiredDocuments || []}
        problem={docProblem}
        onUploaded={() => {
          // The document the server waited for is here: its refusal no longer stands.
          if (docProblem) setError('');
          setDocProblem('');
        }}
      />

      <TaskDiagram taskId={id} />

      <section aria-labelledby="comments-title">
        <h2 id="comments-title">{t('task.comments')}</h2>
        <ul class="comments">
          {comments.map((c, i) => (
            <li key={i}>
              <strong>{c.author}</strong> <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
              <p>{c.text}</p>
            </li>
          ))}
        </ul>
        <form onSubmit={addComment} class="inline-form">
          <label>
            {t('task.comment')}
            <textarea value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
          <button type="submit">{t('task.addComment')}</button>
        </form>
      </section>
    </article>
  );
}
