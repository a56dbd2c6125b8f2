import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from './i18n.js';

// A Camunda Forms schema (form-js) drawn by @bpmn-io/form-js-viewer, loaded only when a
// task has one. It validates as form-js does; on submit without errors, `onSubmit(data)`
// sends the data to the server, which checks it again (its errors come back in `errors`,
// shown above the form, each naming its field).
export function FormJs({ schema, data, onSubmit, disabled, submitLabel }) {
  const host = useRef(null);
  const form = useRef(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let gone = false;
    (async () => {
      try {
        const { Form } = await import('@bpmn-io/form-js-viewer');
        if (gone) return;
        form.current = new Form({ container: host.current });
        await form.current.importSchema(schema, data || {});
        // form-js's date fields point their label at an id no element has: point it at the
        // input, so that every control has a visible label (axe-core).
        const name = () => {
          if (!host.current) return; // gone after a completion
          for (const field of host.current.querySelectorAll('.fjs-form-field')) {
            const label = field.querySelector('label');
            const inputs = field.querySelectorAll('input:not([type="checkbox"]):not([type="radio"])');
            if (!label || inputs.length !== 1) continue;
            const input = inputs[0];
            if (input.id && label.htmlFor !== input.id && !document.getElementById(label.htmlFor)) label.htmlFor = input.id;
          }
        };
        name();
        form.current.on('changed', () => requestAnimationFrame(name));
        form.current.on('submit', (event) => {
          requestAnimationFrame(name);
          if (Object.keys(event.errors || {}).length === 0) onSubmit(event.data);
        });
      } catch (e) {
        if (!gone) setError(t('formjs.failed', { why: e.message || String(e) }));
      }
    })();
    return () => {
      gone = true;
      if (form.current) form.current.destroy();
      form.current = null;
    };
  }, [JSON.stringify(schema)]);
  useEffect(() => {
    if (form.current) form.current.setProperty('disabled', Boolean(disabled));
  }, [disabled]);
  return (
    <>
      {error && <p class="error">{error}</p>}
      <div class="formjs" ref={host} />
      <button type="button" disabled={disabled} onClick={() => form.current && form.current.submit()}>
        {submitLabel || t('task.complete')}
      </button>
    </>
  );
}
