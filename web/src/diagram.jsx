import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { BpmnDiagram } from './process.jsx';
import { ErrorText } from './ui.jsx';

// The task's place in its process: the deployed BPMN file drawn by bpmn-js, the task's
// element, the instance's active elements and its incidents marked; the instance's
// history below it.
export function TaskDiagram({ taskId }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let gone = false;
    get(`/api/tasks/${taskId}/diagram`)
      .then((d) => !gone && setData(d))
      .catch((e) => !gone && setError(e.message));
    return () => {
      gone = true;
    };
  }, [taskId]);

  return (
    <section aria-labelledby="diagram-title">
      <h2 id="diagram-title">{t('diagram.title')}</h2>
      <ErrorText text={error} />
      <p class="hint">{t('diagram.legend')}</p>
      {data && (
        <BpmnDiagram
          xml={data.xml}
          marks={{ 'q-active': data.activeElementIds, 'q-incident': data.incidentElementIds, 'q-task': [data.elementId] }}
          label={t('diagram.label', { process: data.processId, version: data.version })}
        />
      )}
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
