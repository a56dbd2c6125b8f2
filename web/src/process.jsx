import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get, getText, post, withQuery } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// A deployed BPMN file drawn by bpmn-js (loaded with the page that needs it, not with the
// inbox), with elements marked: `marks` maps a CSS marker (q-active, q-incident, q-task)
// to element ids.
export function BpmnDiagram({ xml, marks, label }) {
  const host = useRef(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!xml) return undefined;
    let viewer = null;
    let gone = false;
    (async () => {
      try {
        const { default: Viewer } = await import('bpmn-js/lib/NavigatedViewer');
        if (gone) return;
        viewer = new Viewer({ container: host.current });
        await viewer.importXML(xml);
        const canvas = viewer.get('canvas');
        const registry = viewer.get('elementRegistry');
        for (const [css, ids] of Object.entries(marks || {})) {
          for (const id of ids) if (id && registry.get(id)) canvas.addMarker(id, css);
        }
        canvas.zoom('fit-viewport', 'auto');
      } catch (e) {
        if (!gone) setError(t('designer.cannotDraw', { why: e.message || String(e) }));
      }
    })();
    return () => {
      gone = true;
      if (viewer) viewer.destroy();
    };
  }, [xml, JSON.stringify(marks || {})]);
  return (
    <figure class="diagram-figure">
      <ErrorText text={error} />
      <div class="diagram" ref={host} />
      {label && <figcaption class="sub">{label}</figcaption>}
    </figure>
  );
}

// One process: its versions (newest first, each drawn on demand) and its instances, pages
// of 50, newest first, each opening on its own page.
export function ProcessPage({ id }) {
  const [versions, setVersions] = useState([]);
  const [shown, setShown] = useState(null); // {version, xml}
  const [instances, setInstances] = useState([]);
  const [next, setNext] = useState('');
  const [error, setError] = useState('');

  const show = async (version) => {
    setError('');
    try {
      setShown({ version, xml: await getText(withQuery(`/api/processes/${encodeURIComponent(id)}/xml`, { version })) });
    } catch (e) {
      setError(e.message);
    }
  };
  const more = async (after) => {
    try {
      const page = await get(withQuery(`/api/processes/${encodeURIComponent(id)}/instances`, { limit: 50, after: after || undefined }));
      setInstances((old) => (after ? old.concat(page.items) : page.items));
      setNext(page.next || '');
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    document.title = `${id} · Quire`;
    get(`/api/processes/${encodeURIComponent(id)}/versions`)
      .then((v) => {
        setVersions(v.items);
        if (v.items.length) show(v.items[0].version);
      })
      .catch((e) => setError(e.message));
    more('');
  }, [id]);

  const latest = versions[0];
  return (
    <section aria-labelledby="process-title">
      <p>
        <a href="/processes">{t('designer.back')}</a>
      </p>
      <h1 id="process-title">
        {(latest && latest.name) || id} <span class="sub">{id}</span>
      </h1>
      <ErrorText text={error} />
      <h2>{t('designer.versions')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('designer.version')}</th>
            <th scope="col">{t('designer.deployedAt')}</th>
            <th scope="col" class="wide">
              {t('designer.source')}
            </th>
            <th scope="col">
              <span class="sr-only">{t('inbox.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version} aria-current={shown && shown.version === v.version ? 'true' : undefined}>
              <td>{v.version}</td>
              <td>{formatDateTime(v.deployedAt)}</td>
              <td class="wide">
                {v.source} <code class="sub">{v.hash.slice(0, 12)}</code>
              </td>
              <td>
                <button type="button" class="secondary" onClick={() => show(v.version)} aria-label={t('designer.showVersion', { version: v.version })}>
                  {t('designer.show')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown && <BpmnDiagram xml={shown.xml} label={t('diagram.label', { process: id, version: shown.version })} />}
      <h2>{t('designer.instances')}</h2>
      {instances.length === 0 ? (
        <p class="empty">{t('designer.noInstances')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('designer.instance')}</th>
              <th scope="col">{t('designer.version')}</th>
              <th scope="col">{t('designer.state')}</th>
              <th scope="col" class="wide">
                {t('task.businessKey')}
              </th>
              <th scope="col">{t('designer.startedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {instances.map((i) => (
              <tr key={i.id} data-instance={i.id}>
                <td>
                  <a href={`/instances/${i.id}`}>#{i.id}</a>
                </td>
                <td>{i.version}</td>
                <td>
                  <span class={`tag state-${i.state}`}>{t(`designer.state.${i.state}`)}</span>
                  {(i.incidents || []).length > 0 && <span class="tag tag-case">{t('designer.withIncidents', { n: i.incidents.length })}</span>}
                </td>
                <td class="wide">{i.businessKey}</td>
                <td>{formatDateTime(i.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" class="secondary" onClick={() => more(next)}>
          {t('inbox.more')}
        </button>
      )}
    </section>
  );
}

// One instance: state, variables, where it is (drawn on its version's diagram), its
// incidents with retry, its history, and cancelling it (with a reason) for those allowed.
export function InstancePage({ id, canCancel }) {
  const [instance, setInstance] = useState(null);
  const [xml, setXml] = useState('');
  const [history, setHistory] = useState([]);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [reason, setReason] = useState('');

  const load = async () => {
    setError('');
    try {
      const [i, h] = await Promise.all([get(`/api/instances/${id}`), get(`/api/instances/${id}/history`)]);
      setInstance(i);
      setHistory(h.items);
      document.title = `${i.processId} #${i.id} · Quire`;
      setXml(await getText(withQuery(`/api/processes/${encodeURIComponent(i.processId)}/xml`, { version: i.version })));
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
  }, [id]);

  if (!instance) return error ? <ErrorText text={error} /> : <p>{t('app.loading')}</p>;
  const active = (instance.active || []).map((a) => a.elementId);
  const incidentIds = (instance.incidents || []).map((x) => x.elementId);

  const retry = async (incident) => {
    try {
      await post(`/api/incidents/${incident}/retry`);
      setStatus(t('designer.retried'));
      await load();
    } catch (e) {
      setError(e.message);
    }
  };
  const cancel = async (event) => {
    event.preventDefault();
    try {
      await api('DELETE', withQuery(`/api/instances/${id}`, { reason: reason.trim() || undefined }));
      setStatus(t('designer.cancelled'));
      await load();
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <article aria-labelledby="instance-title">
      <p>
        <a href={`/processes/${encodeURIComponent(instance.processId)}`}>{t('designer.backTo', { process: instance.processId })}</a>
      </p>
      <h1 id="instance-title">
        {t('designer.instanceTitle', { process: instance.processId, id: instance.id })} <span class={`tag state-${instance.state}`}>{t(`designer.state.${instance.state}`)}</span>
      </h1>
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorText text={error} />
      <dl class="facts">
        <dt>{t('designer.version')}</dt>
        <dd>{instance.version}</dd>
        {instance.businessKey && (
          <>
            <dt>{t('task.businessKey')}</dt>
            <dd>{instance.businessKey}</dd>
          </>
        )}
        <dt>{t('designer.startedAt')}</dt>
        <dd>{formatDateTime(instance.startedAt)}</dd>
        {instance.endedAt && (
          <>
            <dt>{t('designer.endedAt')}</dt>
            <dd>{formatDateTime(instance.endedAt)}</dd>
          </>
        )}
        {instance.parentInstanceId && (
          <>
            <dt>{t('designer.parent')}</dt>
            <dd>
              <a href={`/instances/${instance.parentInstanceId}`}>#{instance.parentInstanceId}</a>
            </dd>
          </>
        )}
      </dl>
      <p class="hint">{t('designer.legend')}</p>
      <BpmnDiagram xml={xml} marks={{ 'q-active': active, 'q-incident': incidentIds }} label={t('diagram.label', { process: instance.processId, version: instance.version })} />
      {(instance.active || []).length > 0 && (
        <>
          <h2>{t('designer.where')}</h2>
          <ul class="plain" data-active>
            {instance.active.map((a) => (
              <li key={a.key} data-element={a.elementId}>
                <strong>{a.name || a.elementId}</strong> <span class="sub">{a.kind}</span> · {a.state}
                {a.taskId && (
                  <>
                    {' '}
                    · <a href={`/tasks/${a.taskId}`}>{t('designer.task', { id: a.taskId })}</a>
                  </>
                )}
                {a.calledInstanceId && (
                  <>
                    {' '}
                    · <a href={`/instances/${a.calledInstanceId}`}>#{a.calledInstanceId}</a>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {(instance.incidents || []).length > 0 && (
        <>
          <h2>{t('designer.incidents')}</h2>
          <ul class="plain">
            {instance.incidents.map((x) => (
              <li key={x.id} data-incident={x.id}>
                <strong>{x.elementId}</strong>: {x.message}{' '}
                <button type="button" class="secondary" onClick={() => retry(x.id)}>
                  {t('designer.retry')}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>{t('designer.variablesTitle')}</h2>
      <pre class="json">{JSON.stringify(instance.variables || {}, null, 2)}</pre>
      <h2>{t('designer.historyTitle')}</h2>
      <ol class="history" data-history>
        {history.map((h) => (
          <li key={h.seq}>
            <time dateTime={h.occurredAt}>{formatDateTime(h.occurredAt)}</time> {h.elementId && <code>{h.elementId}</code>} {h.kind}
            {h.actor && ` · ${h.actor}`}
          </li>
        ))}
      </ol>
      {canCancel && instance.state === 'active' && (
        <form class="inline-form" onSubmit={cancel} aria-label={t('designer.cancel')}>
          <label class="grow">
            {t('designer.reason')}
            <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button type="submit" class="danger">
            {t('designer.cancel')}
          </button>
        </form>
      )}
    </article>
  );
}
