import { useEffect, useState } from 'preact/hooks';
import { api, get, post } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// The user's own settings: language, sessions (end any but this one), API tokens (create
// one, shown once; revoke).
export function Account({ me, language, onLanguage }) {
  const [sessions, setSessions] = useState([]);
  const [tokens, setTokens] = useState([]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState(null);
  const [error, setError] = useState('');

  const load = async () => {
    try {
      const [s, tk] = await Promise.all([get('/api/me/sessions'), get('/api/tokens')]);
      setSessions(s.items);
      setTokens(tk.items);
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const endSession = async (id) => {
    try {
      await api('DELETE', `/api/me/sessions/${encodeURIComponent(id)}`);
      load();
    } catch (e) {
      setError(e.message);
    }
  };
  const createToken = async (event) => {
    event.preventDefault();
    try {
      const tk = await post('/api/tokens', { name });
      setCreated(tk);
      setName('');
      load();
    } catch (e) {
      setError(e.message);
    }
  };
  const revoke = async (id) => {
    try {
      await api('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
      load();
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <section class="account" aria-labelledby="account-title">
      <h1 id="account-title">{t('account.title')}</h1>
      <p>
        {me.user.name} ({me.user.id}) · {t('account.roles')}: {me.roles.join(', ') || '—'}
      </p>
      <ErrorText text={error} />
      <h2>{t('account.language')}</h2>
      <label>
        {t('account.language')}{' '}
        <select value={language} onChange={(e) => onLanguage(e.currentTarget.value)}>
          <option value="pl">Polski</option>
          <option value="en">English</option>
        </select>
      </label>

      <h2>{t('account.sessions')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('account.started')}</th>
            <th scope="col">{t('account.lastSeen')}</th>
            <th scope="col" class="wide">
              {t('account.from')}
            </th>
            <th scope="col">
              <span class="sr-only">{t('inbox.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id}>
              <td>{formatDateTime(s.createdAt)}</td>
              <td>{formatDateTime(s.lastSeenAt)}</td>
              <td class="wide">
                {s.address} {s.userAgent}
              </td>
              <td>
                {s.current ? (
                  t('account.thisSession')
                ) : (
                  <button type="button" class="secondary" onClick={() => endSession(s.id)}>
                    {t('account.endSession')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t('account.tokens')}</h2>
      <form class="inline-form" onSubmit={createToken}>
        <label>
          {t('account.tokenName')}
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('account.createToken')}</button>
      </form>
      {created && (
        <p role="status" class="notice">
          {t('account.tokenOnce')} <code>{created.token}</code>
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('account.tokenName')}</th>
            <th scope="col">{t('account.expires')}</th>
            <th scope="col">{t('account.lastUsed')}</th>
            <th scope="col">
              <span class="sr-only">{t('inbox.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((tk) => (
            <tr key={tk.id}>
              <td>{tk.name || tk.id}</td>
              <td>{tk.expiresAt ? formatDateTime(tk.expiresAt) : t('account.never')}</td>
              <td>{tk.lastUsedAt ? formatDateTime(tk.lastUsedAt) : '—'}</td>
              <td>
                <button type="button" class="secondary" onClick={() => revoke(tk.id)}>
                  {t('account.revoke')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
