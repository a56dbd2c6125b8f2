import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { FormJs } from './formjs.jsx';

// The respondent's page of a questionnaire link (/q/TOKEN): no sign-in, the token is the
// credential. The form is drawn by form-js; the server checks the answers again and says
// what is wrong at each field; an altered, expired or answered link says so.
export function PublicQuestionnaire({ token }) {
  const [questionnaire, setQuestionnaire] = useState(null);
  const [failure, setFailure] = useState('');
  const [problems, setProblems] = useState([]);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const path = `/api/public/questionnaires/${encodeURIComponent(token)}`;

  useEffect(() => {
    document.title = t('questionnaire.title');
    api('GET', path, undefined, { retry: false })
      .then((q) => {
        setQuestionnaire(q);
        document.title = q.name;
      })
      .catch((e) => setFailure(explain(e)));
  }, [token]);

  const send = async (answers) => {
    setBusy(true);
    setProblems([]);
    try {
      await api('POST', `${path}/answers`, { answers }, { retry: false });
      setDone(true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) setProblems(e.details);
      else setFailure(explain(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="questionnaire" aria-labelledby="questionnaire-title">
      {failure && (
        <p role="alert" class="error">
          {failure}
        </p>
      )}
      {!failure && !questionnaire && <p>{t('app.loading')}</p>}
      {questionnaire && !failure && (
        <>
          <h1 id="questionnaire-title">{questionnaire.name}</h1>
          {questionnaire.description && <p>{questionnaire.description}</p>}
          {done ? (
            <p role="status" data-thanks>
              {t('questionnaire.thanks')}
            </p>
          ) : (
            <>
              <p class="sub">{t('questionnaire.until', { when: formatDateTime(questionnaire.expiresAt) })}</p>
              {problems.length > 0 && (
                <ul role="alert" class="error">
                  {problems.map((p) => (
                    <li key={p.field}>
                      {p.field}: {p.message}
                    </li>
                  ))}
                </ul>
              )}
              <FormJs schema={questionnaire.form} data={{}} disabled={busy} onSubmit={send} submitLabel={t('questionnaire.send')} />
            </>
          )}
        </>
      )}
    </main>
  );
}

function explain(e) {
  if (e instanceof ApiError) {
    if (e.status === 404) return t('questionnaire.unknown');
    if (e.status === 409) return t('questionnaire.answered');
    return e.message;
  }
  return String(e.message || e);
}
