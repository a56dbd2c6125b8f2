import { useEffect, useState } from 'preact/hooks';
import { get, post, upload, withQuery } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { ErrorText } from './ui.jsx';
import { Preview } from './preview.jsx';

// Documents: found by type, by link (customer:3, task:42) or by words (full text and
// metadata); one document's versions, its lock (who checked it out, until when), check-out,
// check-in of a new version, cancel; its retention and legal hold.
export function Documents() {
  const [type, setType] = useState('');
  const [link, setLink] = useState('');
  const [words, setWords] = useState('');
  const [types, setTypes] = useState([]);
  const [items, setItems] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get('/api/document-types')
      .then((p) => setTypes(p.items))
      .catch(() => setTypes([]));
  }, []);
  const search = async (event) => {
    event.preventDefault();
    setError('');
    try {
      const page = await get(withQuery('/api/documents', { type, link, q: words, limit: 50 }));
      setItems(page.items);
    } catch (e) {
      setError(e.message);
    }
  };
  return (
    <section aria-labelledby="docs-page-title">
      <h1 id="docs-page-title">{t('documents.title')}</h1>
      <form class="filters" role="search" onSubmit={search}>
        <label>
          {t('docs.type')}
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">{t('offers.any')}</option>
            {types.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name || x.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('documents.link')}
          <input value={link} placeholder="customer:3" onInput={(e) => setLink(e.currentTarget.value)} />
        </label>
        <label class="grow">
          {t('documents.words')}
          <input type="search" value={words} onInput={(e) => setWords(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('inbox.searchButton')}</button>
      </form>
      <ErrorText text={error} />
      {items && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('documents.name')}</th>
              <th scope="col">{t('docs.type')}</th>
              <th scope="col" class="wide">
                {t('documents.modified')}
              </th>
              <th scope="col">{t('documents.lock')}</th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 && (
              <tr>
                <td colSpan={4}>{t('docs.none')}</td>
              </tr>
            )}
            {items.map((d) => (
              <tr key={d.id} data-document={d.id}>
                <td>
                  <a href={`/documents/${d.id}`}>{d.title}</a>
                </td>
                <td>{d.type}</td>
                <td class="wide">{formatDateTime(d.modifiedAt)}</td>
                <td>{d.checkedOut ? t('docs.checkedOutBy', { user: d.checkedOut.by }) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function DocumentPage({ id, me }) {
  const [doc, setDoc] = useState(null);
  const [versions, setVersions] = useState([]);
  const [retention, setRetention] = useState(null);
  const [file, setFile] = useState(null);
  const [comment, setComment] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');

  const load = async () => {
    try {
      const [d, v, r] = await Promise.all([get(`/api/documents/${id}`), get(`/api/documents/${id}/versions`), get(`/api/documents/${id}/retention`).catch(() => null)]);
      setDoc(d);
      setVersions(v.items);
      setRetention(r);
      document.title = `${d.title} · Quire`;
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
  }, [id]);

  const act = async (what, fn) => {
    setError('');
    setStatus('');
    try {
      await fn();
      setStatus(t(`documents.did.${what}`));
      await load();
    } catch (e) {
      setError(e.message);
    }
  };

  if (!doc) {
    return error ? (
      <p role="alert" class="error">
        {error}
      </p>
    ) : (
      <p>{t('app.loading')}</p>
    );
  }
  const mine = doc.checkedOut && doc.checkedOut.by === me.user.id;
  return (
    <article aria-labelledby="doc-title">
      <p>
        <a href="/documents">{t('documents.back')}</a>
      </p>
      <h1 id="doc-title">{doc.title}</h1>
      <dl class="facts">
        <dt>{t('docs.type')}</dt>
        <dd>{doc.type}</dd>
        <dt>{t('documents.versions')}</dt>
        <dd>{doc.versions}</dd>
        <dt>{t('documents.lock')}</dt>
        <dd data-testid="lock">{doc.checkedOut ? t('documents.lockedBy', { user: doc.checkedOut.by, since: formatDateTime(doc.checkedOut.checkedOutAt) }) : t('documents.free')}</dd>
        {(doc.links || []).length > 0 && (
          <>
            <dt>{t('documents.links')}</dt>
            <dd>{doc.links.map((l) => `${l.kind}:${l.id}`).join(', ')}</dd>
          </>
        )}
        {retention && (
          <>
            <dt>{t('documents.retention')}</dt>
            <dd>{retention.retainedUntilAt ? t('documents.keepUntil', { at: formatDateTime(retention.retainedUntilAt) }) : retention.retention || t('documents.noRetention')}</dd>
          </>
        )}
        {doc.legalHold && (
          <>
            <dt>{t('documents.hold')}</dt>
            <dd>{t('documents.heldBy', { user: doc.legalHold.by, reason: doc.legalHold.reason })}</dd>
          </>
        )}
        {Object.entries(doc.metadata || {}).map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
          </>
        ))}
      </dl>
      <div class="actions" role="group" aria-label={t('documents.actions')}>
        <a class="button" href={`/api/documents/${id}/content`} target="_blank" rel="noopener">
          {t('documents.open')}
        </a>
        {!doc.checkedOut && (
          <button type="button" class="secondary" onClick={() => act('checkout', () => post(`/api/documents/${id}/checkout`))}>
            {t('documents.checkout')}
          </button>
        )}
        {mine && (
          <button type="button" class="secondary" onClick={() => act('cancel', () => post(`/api/documents/${id}/cancel-checkout`))}>
            {t('documents.cancel')}
          </button>
        )}
      </div>
      {mine && (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!file) {
              setError(t('form.required'));
              return;
            }
            act('checkin', () => upload(withQuery(`/api/documents/${id}/checkin`, { comment }), file, null));
          }}
        >
          <label>
            {t('documents.newVersion')}
            <input id="checkin-file" type="file" onChange={(e) => setFile(e.currentTarget.files[0] || null)} />
          </label>
          <label>
            {t('documents.comment')}
            <input value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
          <button type="submit">{t('documents.checkin')}</button>
        </form>
      )}
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorText text={error} />
      {doc.latest && <Preview url={`/api/documents/${id}/content`} mediaType={doc.latest.mediaType} />}
      <h2>{t('documents.versionsTitle')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('designer.version')}</th>
            <th scope="col">{t('documents.when')}</th>
            <th scope="col">{t('documents.author')}</th>
            <th scope="col" class="wide">
              {t('documents.comment')}
            </th>
            <th scope="col">{t('documents.size')}</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>
                <a href={`/api/documents/${id}/content?version=${v.version}`} target="_blank" rel="noopener">
                  v{v.version}
                </a>
              </td>
              <td>{formatDateTime(v.createdAt)}</td>
              <td>{v.author}</td>
              <td class="wide">{v.comment}</td>
              <td>{v.size}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}


