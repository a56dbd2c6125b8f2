import { useEffect, useState } from 'preact/hooks';
import { api, get, post } from './api.js';
import { t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// Administration (org.administer): users — create, roles, enable/disable, password, second
// factor reset; groups and their members; roles with their grants; document types;
// the CRM's dictionaries. Every change goes through the API and its checks.
export function Admin() {
  const [tab, setTab] = useState('users');
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">{t('admin.title')}</h1>
      <div class="tabs" role="tablist" aria-label={t('admin.title')}>
        {['users', 'groups', 'roles', 'types', 'dictionaries'].map((x) => (
          <button key={x} type="button" role="tab" id={`tab-${x}`} aria-selected={tab === x ? 'true' : 'false'} aria-controls={`panel-${x}`} class={tab === x ? '' : 'secondary'} onClick={() => setTab(x)}>
            {t(`admin.${x}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'users' && <Users />}
        {tab === 'groups' && <Groups />}
        {tab === 'roles' && <Roles />}
        {tab === 'types' && <DocumentTypes />}
        {tab === 'dictionaries' && <Dictionaries />}
      </div>
    </section>
  );
}

function useAction() {
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const run = async (fn, done) => {
    setError('');
    setStatus('');
    try {
      await fn();
      setStatus(done);
    } catch (e) {
      setError(e.message);
    }
  };
  const view = (
    <>
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorText text={error} />
    </>
  );
  return [run, view];
}

function Users() {
  const [users, setUsers] = useState([]);
  const [roles, setRoles] = useState([]);
  const [form, setForm] = useState({ id: '', name: '', email: '', password: '', role: 'staff' });
  const [run, view] = useAction();
  const load = async () => {
    const [u, r] = await Promise.all([get('/api/users?limit=500'), get('/api/roles')]);
    const detailed = await Promise.all(u.items.map((x) => get(`/api/users/${encodeURIComponent(x.id)}`)));
    setUsers(detailed);
    setRoles(r.items);
  };
  useEffect(() => {
    load().catch(() => {});
  }, []);
  return (
    <>
      {view}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await post('/api/users', { id: form.id, name: form.name, email: form.email || undefined, password: form.password || undefined, roles: [form.role] });
            setForm({ id: '', name: '', email: '', password: '', role: 'staff' });
            await load();
          }, t('admin.userCreated'));
        }}
      >
        <label>
          {t('admin.userId')}
          <input required value={form.id} onInput={(e) => setForm({ ...form, id: e.currentTarget.value })} />
        </label>
        <label>
          {t('admin.name')}
          <input required value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        </label>
        <label>
          {t('admin.email')}
          <input type="email" value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />
        </label>
        <label>
          {t('signin.password')}
          <input type="password" autoComplete="new-password" value={form.password} onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} />
        </label>
        <label>
          {t('admin.role')}
          <select id="new-user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name || r.id}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('admin.createUser')}</button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.userId')}</th>
            <th scope="col" class="wide">
              {t('admin.name')}
            </th>
            <th scope="col">{t('admin.roles')}</th>
            <th scope="col" class="wide">
              {t('admin.groups')}
            </th>
            <th scope="col">{t('admin.state')}</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-user={u.id}>
              <td>{u.id}</td>
              <td class="wide">{u.name}</td>
              <td>
                <details class="roles">
                  <summary>{(u.roles || []).join(', ') || '—'}</summary>
                  <fieldset>
                    <legend class="sr-only">{t('admin.rolesOf', { user: u.id })}</legend>
                    {roles.map((r) => (
                      <label key={r.id} class="check">
                        <input
                          type="checkbox"
                          checked={(u.roles || []).includes(r.id)}
                          onChange={(e) => {
                            const on = e.currentTarget.checked;
                            const next = on ? [...(u.roles || []), r.id] : (u.roles || []).filter((x) => x !== r.id);
                            run(async () => {
                              await api('PUT', `/api/users/${encodeURIComponent(u.id)}/roles`, { roles: next });
                              await load();
                            }, t('admin.rolesChanged', { user: u.id }));
                          }}
                        />
                        {r.name || r.id}
                      </label>
                    ))}
                  </fieldset>
                </details>
              </td>
              <td class="wide">{(u.groups || []).map((g) => (typeof g === 'string' ? g : g.id)).join(', ')}</td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  onClick={() =>
                    run(async () => {
                      await post(`/api/users/${encodeURIComponent(u.id)}/${u.active ? 'disable' : 'enable'}`);
                      await load();
                    }, t(u.active ? 'admin.disabled' : 'admin.enabled', { user: u.id }))
                  }
                >
                  {u.active ? t('admin.disable') : t('admin.enable')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Groups() {
  const [groups, setGroups] = useState([]);
  const [form, setForm] = useState({ id: '', name: '' });
  const [member, setMember] = useState({});
  const [run, view] = useAction();
  const load = async () => {
    const g = await get('/api/groups');
    setGroups(await Promise.all(g.items.map((x) => get(`/api/groups/${encodeURIComponent(x.id)}`))));
  };
  useEffect(() => {
    load().catch(() => {});
  }, []);
  return (
    <>
      {view}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await post('/api/groups', form);
            setForm({ id: '', name: '' });
            await load();
          }, t('admin.groupCreated'));
        }}
      >
        <label>
          {t('admin.groupId')}
          <input required value={form.id} onInput={(e) => setForm({ ...form, id: e.currentTarget.value })} />
        </label>
        <label>
          {t('admin.name')}
          <input required value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        </label>
        <button type="submit">{t('admin.createGroup')}</button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.groupId')}</th>
            <th scope="col">{t('admin.members')}</th>
            <th scope="col">{t('admin.addMember')}</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.id} data-group={g.id}>
              <td>
                {g.name} <span class="sub">{g.id}</span>
              </td>
              <td>
                {(g.members || []).map((m) => {
                  const id = typeof m === 'string' ? m : m.id;
                  return (
                    <span class="chip" key={id}>
                      {id}{' '}
                      <button
                        type="button"
                        class="link"
                        aria-label={t('admin.removeMember', { user: id, group: g.id })}
                        onClick={() =>
                          run(async () => {
                            await api('DELETE', `/api/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(id)}`);
                            await load();
                          }, t('admin.memberRemoved'))
                        }
                      >
                        ×
                      </button>
                    </span>
                  );
                })}
              </td>
              <td>
                <form
                  class="row-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    run(async () => {
                      await api('PUT', `/api/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(member[g.id] || '')}`, {});
                      setMember({ ...member, [g.id]: '' });
                      await load();
                    }, t('admin.memberAdded'));
                  }}
                >
                  <input aria-label={t('admin.memberOf', { group: g.id })} required value={member[g.id] || ''} onInput={(e) => setMember({ ...member, [g.id]: e.currentTarget.value })} />
                  <button type="submit" class="secondary">
                    {t('admin.add')}
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Roles() {
  const [roles, setRoles] = useState([]);
  useEffect(() => {
    get('/api/roles')
      .then((r) => setRoles(r.items))
      .catch(() => {});
  }, []);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('admin.role')}</th>
          <th scope="col">{t('admin.grants')}</th>
        </tr>
      </thead>
      <tbody>
        {roles.map((r) => (
          <tr key={r.id} data-role={r.id}>
            <td>
              <strong>{r.name || r.id}</strong>
              <div class="sub">{r.description}</div>
              {r.requireTotp && <div class="sub">{t('admin.requiresTotp')}</div>}
            </td>
            <td>{(r.grants || []).map((g) => `${g.permission}${g.scope && g.scope !== 'all' ? ` (${g.scope})` : ''}`).join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DocumentTypes() {
  const [types, setTypes] = useState([]);
  useEffect(() => {
    get('/api/document-types')
      .then((p) => setTypes(p.items))
      .catch(() => {});
  }, []);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('docs.type')}</th>
          <th scope="col">{t('admin.fields')}</th>
          <th scope="col">{t('documents.retention')}</th>
        </tr>
      </thead>
      <tbody>
        {types.map((x) => (
          <tr key={x.id}>
            <td>
              {x.name} <span class="sub">{x.id}</span>
            </td>
            <td>{(x.fields || []).map((f) => `${f.name}: ${f.type}${f.required ? ' *' : ''}`).join(', ')}</td>
            <td>{x.retention ? x.retention.keep : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Dictionaries() {
  const [dicts, setDicts] = useState([]);
  useEffect(() => {
    get('/api/crm/dictionaries')
      .then((p) => setDicts(p.items || []))
      .catch(() => {});
  }, []);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('admin.dictionary')}</th>
          <th scope="col">{t('admin.entries')}</th>
        </tr>
      </thead>
      <tbody>
        {dicts.map((d) => (
          <tr key={d.name}>
            <td>{d.name}</td>
            <td>{(d.entries || []).map((e) => e.label || e.value).join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
