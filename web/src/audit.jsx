import { useState } from 'preact/hooks';
import { ApiError, get, post, withQuery } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { verifyExport } from './audit-verify.js';
import { ErrorText } from './ui.jsx';

async function fetchText(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (!r.ok) {
    let body = null;
    try {
      body = await r.json();
    } catch {
      body = null;
    }
    throw new ApiError(r.status, body);
  }
  return r.text();
}

// The auditor's view: the trail of one record (a document, task, instance, customer...) in
// time order, from the server's record index (GET /api/audit/trail), pages of 200; the whole chain verified here, in the browser (hashes, sequence, Merkle root
// of the signed head, Ed25519 signature: Web Crypto), against the latest head, published
// now if none was; the export to download; and an export file verified offline.
export function Audit() {
  const [object, setObject] = useState('');
  const [trail, setTrail] = useState(null);
  const [next, setNext] = useState('');
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const load = async () => {
    const [text, pem] = await Promise.all([fetchText('/api/audit/export'), fetchText('/api/audit/public-key')]);
    return { text, pem };
  };

  const showTrail = async (event) => {
    event.preventDefault();
    setError('');
    try {
      const page = await get(withQuery('/api/audit/trail', { record: object.trim(), limit: 200 }));
      setTrail(page.items);
      setNext(page.next || '');
    } catch (e) {
      setError(e.message);
    }
  };

  const verify = async () => {
    setBusy(true);
    setError('');
    setResult(null);
    try {
      const head = await post('/api/audit/heads'); // a head over everything so far
      const { text, pem } = await load();
      setResult(await verifyExport(text, head, pem));
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  const verifyFile = async (event) => {
    const file = event.currentTarget.files[0];
    if (!file) return;
    setError('');
    try {
      const pem = await fetchText('/api/audit/public-key');
      const head = await get('/api/audit/head');
      const text = await file.text();
      const lines = text.split('\n').filter(Boolean).length;
      setResult(await verifyExport(text, lines >= head.size ? head : null, pem));
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t('audit.title')}</h1>
      <ErrorText text={error} />
      <h2>{t('audit.verifyTitle')}</h2>
      <div class="actions">
        <button type="button" onClick={verify} disabled={busy}>
          {t('audit.verify')}
        </button>
        <a class="button secondary-link" href="/api/audit/export" download="quire-audit.jsonl">
          {t('audit.export')}
        </a>
        <label class="file-button">
          {t('audit.verifyFile')}
          <input type="file" accept=".jsonl,.json,.txt,application/x-ndjson" onChange={verifyFile} />
        </label>
      </div>
      {result && (
        <p role="status" class={result.ok ? 'verified' : 'error'} data-verified={result.ok ? 'yes' : 'no'}>
          {result.ok
            ? t('audit.ok', { n: result.entries.length }) + (result.headChecked ? ` ${t('audit.headOk')}` : '') + (result.signatureChecked ? ` ${t('audit.signatureOk')}` : '')
            : t('audit.bad', { line: result.line, problem: result.problem })}
        </p>
      )}

      <h2>{t('audit.trailTitle')}</h2>
      <form class="inline-form" onSubmit={showTrail}>
        <label>
          {t('audit.object')}
          <input value={object} placeholder="document/12, task/5, customer/3" required onInput={(e) => setObject(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('audit.show')}</button>
      </form>
      {trail && (
        <table class="trail">
          <thead>
            <tr>
              <th scope="col">{t('audit.seq')}</th>
              <th scope="col">{t('audit.time')}</th>
              <th scope="col">{t('audit.actor')}</th>
              <th scope="col">{t('audit.action')}</th>
              <th scope="col" class="wide">
                {t('audit.objectCol')}
              </th>
            </tr>
          </thead>
          <tbody>
            {trail.length === 0 && (
              <tr>
                <td colSpan={5}>{t('audit.none')}</td>
              </tr>
            )}
            {trail.map((e) => (
              <tr key={e.seq} data-seq={e.seq}>
                <td>{e.seq}</td>
                <td>
                  <time dateTime={e.time}>{formatDateTime(e.time)}</time>
                </td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td class="wide">{e.object}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {trail && next && (
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            try {
              const page = await get(withQuery('/api/audit/trail', { record: object.trim(), limit: 200, after: next }));
              setTrail(trail.concat(page.items));
              setNext(page.next || '');
            } catch (e) {
              setError(e.message);
            }
          }}
        >
          {t('inbox.more')}
        </button>
      )}
    </section>
  );
}


