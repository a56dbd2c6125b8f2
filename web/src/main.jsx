import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, onUnauthenticated, setCsrfToken } from './api.js';
import { language, setLanguage, t } from './i18n.js';
import { navigate, useLocation } from './router.js';
import { SignIn } from './signin.jsx';
import { Inbox } from './inbox.jsx';
import { TaskPage } from './task.jsx';
import { Account } from './account.jsx';
import { CustomerCard, Customers } from './customers.jsx';
import { OfferEditor, Offers } from './offers.jsx';
import { OrderPage, Orders } from './orders.jsx';
import { Audit } from './audit.jsx';
import { Designer } from './designer.jsx';
import { InstancePage, ProcessPage } from './process.jsx';
import { Calendar } from './calendar.jsx';
import { Admin } from './admin.jsx';
import { Campaigns, Cases } from './sales.jsx';
import { DocumentPage, Documents } from './docs.jsx';
import { PublicQuestionnaire } from './questionnaire.jsx';
import { Reports } from './reports.jsx';
import { Questionnaires } from './questionnaires.jsx';

// Whether the signed-in user holds a permission (for showing links; the server decides).
function has(me, permission) {
  return (me.permissions || []).some((p) => p.permission === permission);
}

function App() {
  const [me, setMe] = useState(undefined); // undefined: not known yet; null: signed out
  const [expired, setExpired] = useState(null); // {resolve} while the session must be renewed
  const [, setLang] = useState(language());
  const { path } = useLocation();

  useEffect(() => {
    api('GET', '/api/me', undefined, { retry: false })
      .then((m) => {
        setCsrfToken(m.csrfToken);
        setMe(m);
      })
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) setMe(null);
        else setMe({ error: e.message });
      });
  }, []);

  // A request that met an ended session waits here until the user signs in again.
  useEffect(() => {
    onUnauthenticated(
      () =>
        new Promise((resolve) => {
          setExpired({ resolve });
        }),
    );
  }, []);

  useEffect(() => {
    document.title = `Quire`;
    if (me && !me.error && (path === '/' || path === '/signin')) navigate('/inbox/mine', { replace: true });
  }, [path, me]);

  if (me === undefined) return <p class="boot">{t('app.loading')}</p>;
  if (me === null) {
    return (
      <SignIn
        onSignedIn={(m) => {
          setCsrfToken(m.csrfToken);
          setMe(m);
          if (path === '/' || path === '/signin') navigate('/inbox/mine', { replace: true });
        }}
      />
    );
  }
  if (me.error) return <p role="alert" class="error">{me.error}</p>;

  const changeLanguage = (l) => {
    setLanguage(l);
    setLang(l);
  };
  const signOut = async () => {
    try {
      await api('POST', '/api/auth/logout', {}, { retry: false });
    } catch {
      // already signed out
    }
    setCsrfToken('');
    setMe(null);
    navigate('/', { replace: true });
  };

  let page;
  let m;
  if (path === '/' || path === '/signin') {
    page = null; // going to the inbox (the effect above)
  } else if ((m = path.match(/^\/inbox(?:\/([a-z]+))?$/))) {
    page = <Inbox view={m[1] || 'mine'} me={me} />;
  } else if ((m = path.match(/^\/tasks\/(\d+)$/))) {
    page = <TaskPage id={m[1]} me={me} />;
  } else if (path === '/customers') {
    page = <Customers />;
  } else if ((m = path.match(/^\/customers\/(\d+)$/))) {
    page = <CustomerCard id={m[1]} canWrite={has(me, 'crm.write')} />;
  } else if (path === '/offers') {
    page = <Offers />;
  } else if ((m = path.match(/^\/offers\/(new|\d+)$/))) {
    page = <OfferEditor id={m[1]} />;
  } else if (path === '/orders') {
    page = <Orders />;
  } else if ((m = path.match(/^\/orders\/(\d+)$/))) {
    page = <OrderPage id={m[1]} />;
  } else if (path === '/campaigns') {
    page = <Campaigns />;
  } else if (path === '/cases') {
    page = <Cases />;
  } else if (path === '/reports') {
    page = <Reports me={me} />;
  } else if (path === '/questionnaires') {
    page = <Questionnaires me={me} />;
  } else if (path === '/admin') {
    page = <Admin />;
  } else if (path === '/calendar') {
    page = <Calendar me={me} />;
  } else if (path === '/documents') {
    page = <Documents />;
  } else if ((m = path.match(/^\/documents\/(\d+)$/))) {
    page = <DocumentPage id={m[1]} me={me} />;
  } else if (path === '/processes') {
    page = <Designer />;
  } else if ((m = path.match(/^\/processes\/([^/]+)$/))) {
    page = <ProcessPage id={decodeURIComponent(m[1])} />;
  } else if ((m = path.match(/^\/instances\/(\d+)$/))) {
    page = <InstancePage id={m[1]} canCancel={has(me, 'instances.cancel')} />;
  } else if (path === '/audit') {
    page = <Audit />;
  } else if (path === '/account') {
    page = <Account me={me} language={language()} onLanguage={changeLanguage} />;
  } else {
    page = (
      <section>
        <h1>{t('app.notFound')}</h1>
        <p>
          <a href="/inbox/mine">{t('nav.inbox')}</a>
        </p>
      </section>
    );
  }

  return (
    <>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <header class="top">
        <a class="brand" href="/inbox/mine">
          Quire
        </a>
        <nav aria-label={t('nav.label')}>
          <a href="/inbox/mine" aria-current={path.startsWith('/inbox') || path.startsWith('/tasks') ? 'page' : undefined}>
            {t('nav.inbox')}
          </a>
          {has(me, 'crm.read') && (
            <>
              <a href="/customers" aria-current={path.startsWith('/customers') ? 'page' : undefined}>
                {t('nav.customers')}
              </a>
              <a href="/offers" aria-current={path.startsWith('/offers') ? 'page' : undefined}>
                {t('nav.offers')}
              </a>
              <a href="/orders" aria-current={path.startsWith('/orders') ? 'page' : undefined}>
                {t('nav.orders')}
              </a>
              <a href="/campaigns" aria-current={path === '/campaigns' ? 'page' : undefined}>
                {t('nav.campaigns')}
              </a>
              <a href="/cases" aria-current={path === '/cases' ? 'page' : undefined}>
                {t('nav.cases')}
              </a>
              <a href="/questionnaires" aria-current={path === '/questionnaires' ? 'page' : undefined}>
                {t('nav.questionnaires')}
              </a>
              <a href="/reports" aria-current={path === '/reports' ? 'page' : undefined}>
                {t('nav.reports')}
              </a>
              <a href="/calendar" aria-current={path === '/calendar' ? 'page' : undefined}>
                {t('nav.calendar')}
              </a>
            </>
          )}
          {has(me, 'documents.read') && (
            <a href="/documents" aria-current={path.startsWith('/documents') ? 'page' : undefined}>
              {t('nav.documents')}
            </a>
          )}
          {has(me, 'definitions.deploy') && (
            <a href="/processes" aria-current={path.startsWith('/processes') || path.startsWith('/instances') ? 'page' : undefined}>
              {t('nav.designer')}
            </a>
          )}
          {has(me, 'audit.read') && (
            <a href="/audit" aria-current={path === '/audit' ? 'page' : undefined}>
              {t('nav.audit')}
            </a>
          )}
          {has(me, 'org.administer') && (
            <a href="/admin" aria-current={path === '/admin' ? 'page' : undefined}>
              {t('nav.admin')}
            </a>
          )}
          <a href="/account" aria-current={path === '/account' ? 'page' : undefined}>
            {t('nav.account')}
          </a>
        </nav>
        <div class="who">
          <span>{me.user.name || me.user.id}</span>
          <button type="button" class="link" onClick={signOut}>
            {t('nav.signOut')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
      {expired && (
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="signin-title">
          <SignIn
            expired
            onSignedIn={(m2) => {
              setCsrfToken(m2.csrfToken);
              if (m2.user.id !== me.user.id) {
                // Another user: what was on the page was not theirs.
                location.assign('/inbox/mine');
                return;
              }
              const { resolve } = expired;
              setExpired(null);
              resolve();
            }}
          />
        </div>
      )}
    </>
  );
}

// A questionnaire link (/q/TOKEN) is answered without signing in: the app is not started.
let questionnaire = null;
if (location.pathname.startsWith('/q/')) {
  try {
    questionnaire = decodeURIComponent(location.pathname.slice(3));
  } catch {
    questionnaire = '-'; // a mangled link: the page says it is not valid
  }
}
render(questionnaire ? <PublicQuestionnaire token={questionnaire} /> : <App />, document.getElementById('app'));
