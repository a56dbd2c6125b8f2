import { useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// Password, then the second factor when the account has one (the server says so).
export function SignIn({ onSignedIn, expired = false }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const body = { user, password };
      if (needTotp) body.totp = totp;
      const me = await api('POST', '/api/auth/login', body, { retry: false });
      onSignedIn(me);
    } catch (e) {
      if (e instanceof ApiError && /second factor|totp|one-time/i.test(e.message) && !needTotp) {
        setNeedTotp(true);
        setError(t('signin.needCode'));
      } else {
        setError(e.message);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="signin" aria-labelledby="signin-title">
      <form onSubmit={submit} class="card">
        <h1 id="signin-title">{expired ? t('signin.expiredTitle') : t('signin.title')}</h1>
        {expired && <p>{t('signin.expiredText')}</p>}
        <label>
          {t('signin.user')}
          <input name="user" autoComplete="username" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          {t('signin.password')}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {needTotp && (
          <label>
            {t('signin.code')}
            <input
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={totp}
              onInput={(e) => setTotp(e.currentTarget.value)}
            />
          </label>
        )}
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
    </section>
  );
}
