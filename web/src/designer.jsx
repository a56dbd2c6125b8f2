import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, postText } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// The designer's view: deployed processes and a start with variables; a BPMN file checked
// by the server (POST /api/validate, as `quire validate`) with each problem drawn on the
// diagram at its element, and deployed when it is valid; incidents with retry.
export function Designer() {
  const [processes, setProcesses] = useState([]);
  const [incidents, setIncidents] = useState([]);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [xml, setXml] = useState('');
  const [fileName, setFileName] = useState('');
  const [check, setCheck] = useState(null);
  const [drawError, setDrawError] = useState('');
  const [start, setStart] = useState({ process: '', businessKey: '', variables: '{}' });
  const host = useRef(null);
  const viewer = useRef(null);

  const load = async () => {
    try {
      const [p, i] = await Promise.all([get('/api/processes'), get('/api/incidents').catch(() => ({ items: [] }))]);
      setProcesses(p.items);
      setIncidents(i.items);
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
    return () => viewer.current && viewer.current.destroy();
  }, []);

  const draw = async (text, diagnostics) => {
    setDrawError('');
    const { default: Viewer } = await import('bpmn-js/lib/NavigatedViewer');
    if (!viewer.current) viewer.current = new Viewer({ container: host.current });
    try {
      await viewer.current.importXML(text);
    } catch (e) {
      setDrawError(t('designer.cannotDraw', { why: e.message }));
      return;
    }
    const canvas = viewer.current.get('canvas');
    const registry = viewer.current.get('elementRegistry');
    const overlays = viewer.current.get('overlays');
    for (const d of diagnostics) {
      if (!d.elementId || !registry.get(d.elementId)) continue;
      canvas.addMarker(d.elementId, d.severity === 'error' ? 'q-incident' : 'q-warning');
      const badge = document.createElement('div');
      badge.className = `diagnostic-badge ${d.severity}`;
      badge.textContent = d.message;
      badge.dataset.element = d.elementId;
      overlays.add(d.elementId, { position: { bottom: -6, left: 0 }, html: badge });
    }
    canvas.zoom('fit-viewport', 'auto');
  };

  const choose = async (event) => {
    const file = event.currentTarget.files[0];
    if (!file) return;
    setError('');
    setStatus('');
    const text = await file.text();
    setXml(text);
    setFileName(file.name);
    try {
      const c = await postText('/api/validate', text, 'application/xml');
      setCheck(c);
      await draw(text, c.diagnostics);
    } catch (e) {
      setError(e.message);
    }
  };

  const deploy = async () => {
    setError('');
    try {
      const d = await postText(`/api/deployments?name=${encodeURIComponent(fileName)}`, xml, 'application/xml');
      setStatus(d.processes.map((p) => t('designer.deployed', { id: p.id, version: p.version })).join(' '));
      load();
    } catch (e) {
      setError(e.message);
    }
  };

  const startInstance = async (event) => {
    event.preventDefault();
    setError('');
    let variables;
    try {
      variables = JSON.parse(start.variables || '{}');
    } catch (e) {
      setError(t('designer.badJson', { why: e.message }));
      return;
    }
    try {
      const i = await post(`/api/processes/${encodeURIComponent(start.process)}/instances`, { variables, businessKey: start.businessKey || undefined });
      setStatus(t('designer.started', { id: i.id, process: start.process }));
      load();
    } catch (e) {
      setError(e.message);
    }
  };

  const retry = async (id) => {
    try {
      await post(`/api/incidents/${id}/retry`);
      setStatus(t('designer.retried'));
      load();
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <section aria-labelledby="designer-title">
      <h1 id="designer-title">{t('designer.title')}</h1>
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorText text={error} />

      <h2>{t('designer.check')}</h2>
      <label class="file-button">
        {t('designer.file')}
        <input type="file" accept=".bpmn,.xml,application/xml,text/xml" onChange={choose} />
      </label>
      {check && (
        <div data-valid={check.valid ? 'yes' : 'no'}>
          <p class={check.valid ? 'verified' : 'error'}>{check.valid ? t('designer.valid') : t('designer.invalid', { n: check.diagnostics.filter((d) => d.severity === 'error').length })}</p>
          {check.diagnostics.length > 0 && (
            <ul class="diagnostics">
              {check.diagnostics.map((d, i) => (
                <li key={i} class={d.severity}>
                  <code>
                    {fileName}:{d.line}:{d.column}
                  </code>{' '}
                  {d.severity}: {d.message}
                  {d.elementId && <span class="sub"> ({d.elementId})</span>}
                </li>
              ))}
            </ul>
          )}
          {check.valid && (
            <button type="button" onClick={deploy}>
              {t('designer.deploy')}
            </button>
          )}
        </div>
      )}
      {drawError && <p class="error">{drawError}</p>}
      <div class="diagram" ref={host} hidden={!check} />

      <h2>{t('designer.processes')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('designer.process')}</th>
            <th scope="col">{t('designer.version')}</th>
            <th scope="col" class="wide">
              {t('designer.deployedAt')}
            </th>
          </tr>
        </thead>
        <tbody>
          {processes.map((p) => (
            <tr key={p.id} data-process={p.id}>
              <td>
                <a href={`/processes/${encodeURIComponent(p.id)}`}>{p.name || p.id}</a> <span class="sub">{p.id}</span>
              </td>
              <td>{p.version}</td>
              <td class="wide">{formatDateTime(p.deployedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline-form" onSubmit={startInstance}>
        <label>
          {t('designer.process')}
          <select required value={start.process} onChange={(e) => setStart({ ...start, process: e.currentTarget.value })}>
            <option value="">{t('form.choose')}</option>
            {processes.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name || p.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('task.businessKey')}
          <input value={start.businessKey} onInput={(e) => setStart({ ...start, businessKey: e.currentTarget.value })} />
        </label>
        <label class="grow">
          {t('designer.variables')}
          <textarea value={start.variables} onInput={(e) => setStart({ ...start, variables: e.currentTarget.value })} />
        </label>
        <button type="submit">{t('designer.start')}</button>
      </form>

      <h2>{t('designer.incidents')}</h2>
      {incidents.length === 0 ? (
        <p class="empty">{t('designer.noIncidents')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('designer.instance')}</th>
              <th scope="col">{t('designer.element')}</th>
              <th scope="col" class="wide">
                {t('designer.message')}
              </th>
              <th scope="col">
                <span class="sr-only">{t('inbox.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {incidents.map((i) => (
              <tr key={i.id}>
                <td>
                  <a href={`/instances/${i.instanceId}`}>
                    {i.processId} #{i.instanceId}
                  </a>
                </td>
                <td>{i.elementId}</td>
                <td class="wide">{i.message}</td>
                <td>
                  <button type="button" class="secondary" onClick={() => retry(i.id)}>
                    {t('designer.retry')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
