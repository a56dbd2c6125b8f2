import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, upload, withQuery } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { FormFields, initialValues, toVariables, validate } from './form.jsx';
import { Preview } from './preview.jsx';

// The documents linked to a record (link "task:42"), and an upload that links a new one:
// a file, its type, and the type's metadata fields (checked here and by the server).
export function DocumentsPanel({ link, required = [], problem = '', onUploaded }) {
  const [docs, setDocs] = useState([]);
  const [types, setTypes] = useState([]);
  const [type, setType] = useState('');
  const [file, setFile] = useState(null);
  const [title, setTitle] = useState('');
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({});
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState(''); // the document previewed here

  const load = async () => {
    try {
      const page = await get(withQuery('/api/documents', { link, limit: 100 }));
      setDocs(page.items);
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
    get('/api/document-types')
      .then((page) => {
        setTypes(page.items);
        const first = page.items.find((x) => required.includes(x.id)) || page.items[0];
        if (first) {
          setType(first.id);
          setValues(initialValues(first.fields));
        }
      })
      .catch((e) => setError(e.message));
  }, [link]);

  const fields = (types.find((x) => x.id === type) || { fields: [] }).fields;

  const submit = async (event) => {
    event.preventDefault();
    setError('');
    setStatus('');
    const found = validate(fields, values);
    if (!file) found.file = t('form.required');
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const d = await upload(withQuery('/api/documents', { type, title: title || file.name, link }), file, toVariables(fields, values));
      setStatus(t('docs.uploaded', { title: d.title }));
      if (onUploaded) onUploaded(d);
      setFile(null);
      setTitle('');
      event.target.reset();
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.details.length) {
        const server = {};
        for (const d of e.details) server[d.field.replace(/^metadata\./, '')] = d.message;
        setErrors(server);
      }
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="docs-title">
      <h2 id="docs-title">{t('docs.title')}</h2>
      {required.length > 0 && <p class="hint">{t('docs.required', { types: required.join(', ') })}</p>}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {docs.length === 0 ? (
        <p class="empty">{t('docs.none')}</p>
      ) : (
        <ul class="docs">
          {docs.map((d) => (
            <li key={d.id} data-document={d.id}>
              <a href={`/documents/${d.id}`}>{d.title}</a>{' '}
              <span class="sub">
                {d.type} · v{d.versions} · {formatDateTime(d.modifiedAt)}
                {d.checkedOut && ` · ${t('docs.checkedOutBy', { user: d.checkedOut.by })}`}
              </span>{' '}
              {d.latest && (d.latest.mediaType === 'application/pdf' || (d.latest.mediaType || '').startsWith('image/')) && (
                <button type="button" class="link" aria-expanded={shown === d.id ? 'true' : 'false'} aria-label={t(shown === d.id ? 'docs.hidePreviewOf' : 'docs.previewOf', { title: d.title })} onClick={() => setShown(shown === d.id ? '' : d.id)}>
                  {t(shown === d.id ? 'docs.hidePreview' : 'docs.preview')}
                </button>
              )}
              {shown === d.id && <Preview url={`/api/documents/${d.id}/content`} mediaType={d.latest.mediaType} />}
            </li>
          ))}
        </ul>
      )}
      <form class="upload" onSubmit={submit} noValidate>
        <h3>{t('docs.add')}</h3>
        <div class="field">
          <label for="doc-file">{t('docs.file')}</label>
          <input
            id="doc-file"
            type="file"
            aria-invalid={errors.file ? 'true' : undefined}
            aria-describedby={errors.file ? 'doc-file-error' : undefined}
            onChange={(e) => setFile(e.currentTarget.files[0] || null)}
          />
          {errors.file && (
            <p class="field-error" id="doc-file-error">
              {errors.file}
            </p>
          )}
        </div>
        <div class="field">
          <label for="doc-type">{t('docs.type')}</label>
          <select
            id="doc-type"
            value={type}
            onChange={(e) => {
              const next = e.currentTarget.value;
              setType(next);
              setValues(initialValues((types.find((x) => x.id === next) || { fields: [] }).fields));
              setErrors({});
            }}
          >
            {types.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name || x.id}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="doc-title">{t('docs.titleField')}</label>
          <input id="doc-title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </div>
        <FormFields fields={fields} values={values} errors={errors} onChange={setValues} idPrefix="meta" />
        <p class="status" role="status" aria-live="polite">
          {status}
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('docs.upload')}
        </button>
      </form>
    </section>
  );
}
