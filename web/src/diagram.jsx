import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// The task's place in its process: the deployed BPMN file drawn by bpmn-js (loaded when a
// task page opens, not with the inbox), the task's element, the instance's active elements
// and its incidents marked; the instance's history below it.
export function TaskDiagram({ taskId }) {
  const host = useRef(null);
  const [data, setData] = useState(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let viewer = null;
    let gone = false;
    (async () => {
      try {
        const [d, { default: Viewer }] = await Promise.all([get(`/api/tasks/${taskId}/diagram`), import('bpmn-js/lib/NavigatedViewer')]);
        if (gone) return;
        setData(d);
        viewer = new Viewer({ container: host.current });
        await viewer.importXML(d.xml);
        const canvas = viewer.get('canvas');
        const registry = viewer.get('elementRegistry');
        const mark = (id, css) => {
          if (registry.get(id)) canvas.addMarker(id, css);
        };
        for (const id of d.activeElementIds) mark(id, 'q-active');
        for (const id of d.incidentElementIds) mark(id, 'q-incident');
        mark(d.elementId, 'q-task');
        canvas.zoom('fit-viewport', 'auto');
      } catch (e) {
        if (!gone) setError(e.message || String(e));
      }
    })();
    return () => {
      gone = true;
      if (viewer) viewer.destroy();
    };
  }, [taskId]);

  return (
    <section aria-labelledby="diagram-title">
      <h2 id="diagram-title">{t('diagram.title')}</h2>
      <ErrorText text={error} />
      <p class="hint">{t('diagram.legend')}</p>
      <figure class="diagram-figure">
        <div class="diagram" ref={host} />
        <figcaption class="sub">{data ? t('diagram.label', { process: data.processId, version: data.version }) : ''}</figcaption>
      </figure>
      {data && data.history.length > 0 && (
        <details class="history">
          <summary>{t('diagram.history', { n: data.history.length })}</summary>
          <ol>
            {data.history.map((h, i) => (
              <li key={i}>
                <time dateTime={h.occurredAt}>{formatDateTime(h.occurredAt)}</time> {h.elementId} · {h.kind}
                {h.actor && ` · ${h.actor}`}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
