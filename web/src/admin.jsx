import { useEffect, useState } from 'preact/hooks';
import { api, get, post, withQuery } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { ErrorText } from './ui.jsx';

// Administration (org.administer): users — create, roles, enable/disable; groups and their
// members; roles with their grants; API tokens of every user (made for one, revoked);
// document types; the CRM's dictionaries and custom fields. Every change goes through the
// API and its checks.
export function Admin() {
  const [tab, setTab] = useState('users');
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">{t('admin.title')}</h1>
      <div class="tabs" role="tablist" aria-label={t('admin.title')}>
        {['users', 'groups', 'roles', 'tokens', 'types', 'dictionaries', 'fields', 'mail'].map((x) => (
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
        {tab === 'tokens' && <Tokens />}
        {tab === 'dictionaries' && <Dictionaries />}
        {tab === 'fields' && <CustomFields />}
        {tab === 'mail' && <Outbox />}
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

// Roles with their grants: the built-in ones shown; the installation's own created,
// changed (each permission granted for their own records, their team's or all) and
// deleted. The server checks the names and refuses a role still held by someone.
function Roles() {
  const [roles, setRoles] = useState([]);
  const [permissions, setPermissions] = useState([]);
  const [editing, setEditing] = useState(null); // {id, name, description, requireTotp, scopes: {permission: scope}, isNew}
  const [run, view] = useAction();
  const load = async () => {
    const r = await get('/api/roles');
    setRoles(r.items);
    setPermissions(r.permissions || []);
  };
  useEffect(() => {
    load().catch(() => {});
  }, []);
  const grantsOf = (r) => (r.grants || []).map((g) => (typeof g === 'string' ? { permission: g, scope: 'all' } : g));
  const edit = (r) =>
    setEditing({
      id: r ? r.id : '',
      name: r ? r.name || '' : '',
      description: r ? r.description || '' : '',
      requireTotp: !!(r && r.requireTotp),
      scopes: Object.fromEntries(r ? grantsOf(r).map((g) => [g.permission, g.scope || 'all']) : []),
      isNew: !r,
    });
  const save = (e) => {
    e.preventDefault();
    const grants = Object.entries(editing.scopes)
      .filter(([, scope]) => scope)
      .map(([permission, scope]) => ({ permission, scope }));
    run(async () => {
      await api('PUT', `/api/roles/${encodeURIComponent(editing.id.trim())}`, { name: editing.name, description: editing.description, requireTotp: editing.requireTotp, grants });
      setEditing(null);
      await load();
    }, t('admin.roleSaved', { role: editing.id.trim() }));
  };
  return (
    <>
      {view}
      {editing ? (
        <form class="stacked-form" onSubmit={save} aria-label={t('admin.role')}>
          <label>
            {t('admin.roleId')}
            <input required readOnly={!editing.isNew} value={editing.id} onInput={(e) => setEditing({ ...editing, id: e.currentTarget.value })} />
          </label>
          <label>
            {t('admin.name')}
            <input value={editing.name} onInput={(e) => setEditing({ ...editing, name: e.currentTarget.value })} />
          </label>
          <label>
            {t('admin.description')}
            <input value={editing.description} onInput={(e) => setEditing({ ...editing, description: e.currentTarget.value })} />
          </label>
          <label class="check">
            <input type="checkbox" checked={editing.requireTotp} onChange={(e) => setEditing({ ...editing, requireTotp: e.currentTarget.checked })} /> {t('admin.requireTotp')}
          </label>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.permission')}</th>
                <th scope="col">{t('admin.scope')}</th>
              </tr>
            </thead>
            <tbody>
              {permissions.map((p) => (
                <tr key={p} data-permission={p}>
                  <td>
                    <code>{p}</code>
                  </td>
                  <td>
                    <select aria-label={t('admin.scopeOf', { permission: p })} value={editing.scopes[p] || ''} onChange={(e) => setEditing({ ...editing, scopes: { ...editing.scopes, [p]: e.currentTarget.value } })}>
                      <option value="">{t('admin.notGranted')}</option>
                      {['own', 'team', 'all'].map((x) => (
                        <option key={x} value={x}>
                          {t(`admin.scope.${x}`)}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="row-form">
            <button type="submit">{t('customers.save')}</button>
            <button type="button" class="secondary" onClick={() => setEditing(null)}>
              {t('calendar.close')}
            </button>
          </div>
        </form>
      ) : (
        <button type="button" class="secondary" onClick={() => edit(null)}>
          {t('admin.newRole')}
        </button>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.role')}</th>
            <th scope="col" class="wide">
              {t('admin.grants')}
            </th>
            <th scope="col">
              <span class="sr-only">{t('inbox.actions')}</span>
            </th>
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
              <td class="wide">{grantsOf(r).map((g) => `${g.permission}${g.scope && g.scope !== 'all' ? ` (${g.scope})` : ''}`).join(', ')}</td>
              <td>
                {!r.builtIn && (
                  <>
                    <button type="button" class="secondary" aria-label={t('admin.changeOf', { name: r.id })} onClick={() => edit(r)}>
                      {t('contacts.change')}
                    </button>{' '}
                    <button
                      type="button"
                      class="secondary"
                      aria-label={t('admin.deleteOf', { name: r.id })}
                      onClick={() =>
                        run(async () => {
                          await api('DELETE', `/api/roles/${encodeURIComponent(r.id)}`);
                          await load();
                        }, t('admin.roleDeleted', { role: r.id }))
                      }
                    >
                      {t('admin.remove')}
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
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

// Every user's API tokens: one made for a user (for an integration that acts as them,
// with fewer roles if chosen, expiring), its secret shown this once; any revoked.
function Tokens() {
  const [tokens, setTokens] = useState([]);
  const [users, setUsers] = useState([]);
  const [roles, setRoles] = useState([]);
  const [form, setForm] = useState({ user: '', name: '', expiresIn: 'P90D', role: '' });
  const [secret, setSecret] = useState('');
  const [run, view] = useAction();
  const load = async () => {
    const [tk, u, r] = await Promise.all([get('/api/tokens?limit=500'), get('/api/users?limit=500'), get('/api/roles')]);
    setTokens(tk.items);
    setUsers(u.items);
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
        aria-label={t('admin.newToken')}
        onSubmit={(e) => {
          e.preventDefault();
          setSecret('');
          run(async () => {
            const made = await post('/api/tokens', { user: form.user, name: form.name, expiresIn: form.expiresIn || undefined, roles: form.role ? [form.role] : undefined });
            setSecret(made.token);
            setForm({ ...form, name: '' });
            await load();
          }, t('admin.tokenMade', { user: form.user }));
        }}
      >
        <label>
          {t('admin.forUser')}
          <select required value={form.user} onChange={(e) => setForm({ ...form, user: e.currentTarget.value })}>
            <option value="">{t('form.choose')}</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.id})
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('account.tokenName')}
          <input required value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        </label>
        <label>
          {t('admin.expiresIn')}
          <select value={form.expiresIn} onChange={(e) => setForm({ ...form, expiresIn: e.currentTarget.value })}>
            {['P30D', 'P90D', 'P365D', ''].map((d) => (
              <option key={d} value={d}>
                {t(`admin.expires.${d || 'never'}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('admin.tokenRole')}
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            <option value="">{t('admin.allTheirRoles')}</option>
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name || r.id}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('account.createToken')}</button>
      </form>
      {secret && (
        <p class="notice">
          {t('account.tokenOnce')} <code data-secret>{secret}</code>
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.userId')}</th>
            <th scope="col" class="wide">
              {t('account.tokenName')}
            </th>
            <th scope="col">{t('admin.roles')}</th>
            <th scope="col">{t('account.expires')}</th>
            <th scope="col">{t('account.lastUsed')}</th>
            <th scope="col">
              <span class="sr-only">{t('inbox.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((tk) => (
            <tr key={tk.id} data-token={tk.id}>
              <td>{tk.user}</td>
              <td class="wide">
                {tk.name || tk.id} <span class="sub">{t('admin.madeBy', { user: tk.createdBy, at: formatDateTime(tk.createdAt) })}</span>
              </td>
              <td>{(tk.roles || []).join(', ') || t('admin.allTheirRoles')}</td>
              <td>{tk.expiresAt ? formatDateTime(tk.expiresAt) : t('account.never')}</td>
              <td>{tk.lastUsedAt ? formatDateTime(tk.lastUsedAt) : '—'}</td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  aria-label={t('admin.revokeOf', { name: tk.name || tk.id, user: tk.user })}
                  onClick={() =>
                    run(async () => {
                      await api('DELETE', `/api/tokens/${encodeURIComponent(tk.id)}`);
                      await load();
                    }, t('admin.tokenRevoked'))
                  }
                >
                  {t('account.revoke')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

// A dictionary's entries as text, one per line: "value" or "value | label".
function entriesText(entries) {
  return (entries || []).map((e) => (typeof e === 'string' ? e : e.label && e.label !== e.value ? `${e.value} | ${e.label}` : e.value)).join('\n');
}

function entriesOf(text) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const bar = line.indexOf('|');
      if (bar < 0) return line;
      return { value: line.slice(0, bar).trim(), label: line.slice(bar + 1).trim() };
    });
}

// The CRM's dictionaries (industries, sources, activity outcomes, ... and those an
// administrator defines): each changed as lines of text; a built-in one put back to its
// defaults, a defined one removed (refused while a custom field names it).
function Dictionaries() {
  const [dicts, setDicts] = useState([]);
  const [editing, setEditing] = useState(null); // {name, label, text, isNew}
  const [run, view] = useAction();
  const load = async () => setDicts((await get('/api/crm/dictionaries')).items || []);
  useEffect(() => {
    load().catch(() => {});
  }, []);
  const save = (e) => {
    e.preventDefault();
    run(async () => {
      await api('PUT', `/api/crm/dictionaries/${encodeURIComponent(editing.name.trim())}`, { label: editing.label || undefined, entries: entriesOf(editing.text) });
      setEditing(null);
      await load();
    }, t('admin.dictionarySaved', { name: editing.name.trim() }));
  };
  return (
    <>
      {view}
      {editing ? (
        <form class="stacked-form" onSubmit={save} aria-label={t('admin.dictionary')}>
          <label>
            {t('admin.dictionaryName')}
            <input required readOnly={!editing.isNew} value={editing.name} onInput={(e) => setEditing({ ...editing, name: e.currentTarget.value })} />
          </label>
          <label>
            {t('admin.dictionaryLabel')}
            <input value={editing.label} onInput={(e) => setEditing({ ...editing, label: e.currentTarget.value })} />
          </label>
          <label>
            {t('admin.entriesHelp')}
            <textarea rows="10" value={editing.text} onInput={(e) => setEditing({ ...editing, text: e.currentTarget.value })} />
          </label>
          <div class="row-form">
            <button type="submit">{t('customers.save')}</button>
            <button type="button" class="secondary" onClick={() => setEditing(null)}>
              {t('calendar.close')}
            </button>
          </div>
        </form>
      ) : (
        <button type="button" class="secondary" onClick={() => setEditing({ name: '', label: '', text: '', isNew: true })}>
          {t('admin.newDictionary')}
        </button>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('admin.dictionary')}</th>
            <th scope="col" class="wide">
              {t('admin.entries')}
            </th>
            <th scope="col">
              <span class="sr-only">{t('inbox.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {dicts.map((d) => (
            <tr key={d.name} data-dictionary={d.name}>
              <td>
                {d.label || d.name} <span class="sub">{d.name}</span>
              </td>
              <td class="wide">{(d.entries || []).map((e) => (typeof e === 'string' ? e : e.label || e.value)).join(', ')}</td>
              <td>
                <button type="button" class="secondary" aria-label={t('admin.changeOf', { name: d.name })} onClick={() => setEditing({ name: d.name, label: d.label || '', text: entriesText(d.entries), isNew: false })}>
                  {t('contacts.change')}
                </button>
                {d.defined && (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() =>
                      run(async () => {
                        await api('DELETE', `/api/crm/dictionaries/${encodeURIComponent(d.name)}`);
                        await load();
                      }, t(d.builtIn ? 'admin.dictionaryReset' : 'admin.dictionaryRemoved', { name: d.name }))
                    }
                  >
                    {t(d.builtIn ? 'admin.resetDefaults' : 'admin.remove')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const FIELD_TYPES = ['string', 'number', 'long', 'boolean', 'date', 'datetime', 'enum', 'multiselect'];

// The custom fields of customers, contact persons or activities: rows of name, label,
// type, required, and the dictionary an enum takes its values from; saved as a whole
// (PUT), the server's error naming the row. The fields then appear on the records' pages.
function CustomFields() {
  const [entity, setEntity] = useState('customer');
  const [fields, setFields] = useState([]);
  const [dicts, setDicts] = useState([]);
  const [run, view] = useAction();
  const load = async () => setFields(((await get(`/api/crm/custom-fields/${entity}`)).fields || []).map((f) => ({ ...f })));
  useEffect(() => {
    load().catch(() => setFields([]));
  }, [entity]);
  useEffect(() => {
    get('/api/crm/dictionaries')
      .then((p) => setDicts(p.items || []))
      .catch(() => {});
  }, []);
  const set = (i, change) => setFields(fields.map((f, k) => (k === i ? { ...f, ...change } : f)));
  const save = (e) => {
    e.preventDefault();
    const out = fields.map((f) => {
      const o = { name: f.name.trim(), type: f.type };
      if (f.label) o.label = f.label;
      if (f.required) o.required = true;
      if ((f.type === 'enum' || f.type === 'multiselect') && f.dictionary) o.dictionary = f.dictionary;
      else if (f.values && (f.type === 'enum' || f.type === 'multiselect')) o.values = f.values;
      for (const k of ['min', 'max', 'minLength', 'maxLength', 'pattern']) if (f[k] !== undefined && f[k] !== '') o[k] = f[k];
      return o;
    });
    run(async () => {
      await api('PUT', `/api/crm/custom-fields/${entity}`, { fields: out });
      await load();
    }, t('admin.fieldsSaved'));
  };
  return (
    <>
      {view}
      <label>
        {t('admin.fieldsOf')}{' '}
        <select value={entity} onChange={(e) => setEntity(e.currentTarget.value)}>
          {['customer', 'contact', 'activity'].map((x) => (
            <option key={x} value={x}>
              {t(`admin.entity.${x}`)}
            </option>
          ))}
        </select>
      </label>
      <form onSubmit={save} aria-label={t('admin.fields')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('admin.fieldName')}</th>
              <th scope="col">{t('admin.fieldLabel')}</th>
              <th scope="col">{t('admin.fieldType')}</th>
              <th scope="col">{t('admin.fieldRequired')}</th>
              <th scope="col">{t('admin.dictionary')}</th>
              <th scope="col">
                <span class="sr-only">{t('inbox.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f, i) => (
              <tr key={i} data-field={i}>
                <td>
                  <input required aria-label={t('admin.fieldNameOf', { n: i + 1 })} value={f.name} onInput={(e) => set(i, { name: e.currentTarget.value })} />
                </td>
                <td>
                  <input aria-label={t('admin.fieldLabelOf', { n: i + 1 })} value={f.label || ''} onInput={(e) => set(i, { label: e.currentTarget.value })} />
                </td>
                <td>
                  <select aria-label={t('admin.fieldTypeOf', { n: i + 1 })} value={f.type} onChange={(e) => set(i, { type: e.currentTarget.value })}>
                    {FIELD_TYPES.concat(FIELD_TYPES.includes(f.type) ? [] : [f.type]).map((x) => (
                      <option key={x} value={x}>
                        {x}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input type="checkbox" aria-label={t('admin.fieldRequiredOf', { n: i + 1 })} checked={!!f.required} onChange={(e) => set(i, { required: e.currentTarget.checked })} />
                </td>
                <td>
                  {(f.type === 'enum' || f.type === 'multiselect') && (
                    <select aria-label={t('admin.fieldDictionaryOf', { n: i + 1 })} value={f.dictionary || ''} onChange={(e) => set(i, { dictionary: e.currentTarget.value })}>
                      <option value="">{f.values ? t('admin.ownValues') : t('form.choose')}</option>
                      {dicts.map((d) => (
                        <option key={d.name} value={d.name}>
                          {d.label || d.name}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
                <td>
                  <button type="button" class="secondary" onClick={() => setFields(fields.filter((_, k) => k !== i))}>
                    {t('form.removeRow')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="row-form">
          <button type="button" class="secondary" onClick={() => setFields([...fields, { name: '', label: '', type: 'string' }])}>
            {t('admin.addField')}
          </button>
          <button type="submit">{t('admin.saveFields')}</button>
        </div>
      </form>
    </>
  );
}

// The outbox (system.operate): what waits, what was sent, what failed and why, each
// message's delivery log; retry a failed one, cancel a queued one; a test message to check
// the SMTP settings (quire serve --smtp-url).
// What a message is shown by: an e-mail's subject; an SMS's first words.
function headline(m) {
  if (m.channel !== 'sms') return m.subject;
  const text = m.text.length > 60 ? `${m.text.slice(0, 60)}…` : m.text;
  return `${t('mail.sms')}: ${text}`;
}

function Outbox() {
  const [status, setStatus] = useState('');
  const [page, setPage] = useState({ items: [], next: '', queued: 0 });
  const [open, setOpen] = useState(null); // a message with its log
  const [to, setTo] = useState('');
  const [run, view] = useAction();
  const load = async () => {
    const p = await get(withQuery('/api/outbox', { status, limit: 50 }));
    setPage({ items: p.items, next: p.next || '', queued: p.queued });
  };
  useEffect(() => {
    load().catch(() => {});
  }, [status]);
  const show = async (id) => setOpen(await get(`/api/outbox/${id}`));
  return (
    <>
      {view}
      <form
        class="inline-form"
        aria-label={t('mail.test')}
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            const m = await post('/api/admin/mail/test', { to });
            await load();
            await show(m.id);
          }, t('mail.testQueued', { to }));
        }}
      >
        <label>
          {t('mail.testTo')}
          <input type="email" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('mail.test')}</button>
      </form>
      <div class="toolbar">
        <label>
          {t('offers.status')}{' '}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">{t('offers.any')}</option>
            {['queued', 'sent', 'failed', 'cancelled'].map((x) => (
              <option key={x} value={x}>
                {t(`mail.status.${x}`)}
              </option>
            ))}
          </select>
        </label>
        <span class="sub">{t('mail.waiting', { n: page.queued })}</span>
      </div>
      {open && (
        <section class="notice" aria-labelledby="mail-open-title" data-message={open.id}>
          <h2 id="mail-open-title">
            {headline(open)} <span class="tag">{t(`mail.status.${open.status}`)}</span>
          </h2>
          <p>
            {t('mail.to')}: {open.to.join(', ')} · {open.messageId}
          </p>
          <ol class="history" data-log>
            {open.log.map((e) => (
              <li key={e.attempt}>
                <time dateTime={e.attemptedAt}>{formatDateTime(e.attemptedAt)}</time> {t(`mail.outcome.${e.outcome}`)}: <code>{e.reply}</code>
              </li>
            ))}
          </ol>
          <button type="button" class="secondary" onClick={() => setOpen(null)}>
            {t('calendar.close')}
          </button>
        </section>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('mail.created')}</th>
            <th scope="col" class="wide">
              {t('mail.subject')}
            </th>
            <th scope="col">{t('mail.to')}</th>
            <th scope="col">{t('offers.status')}</th>
            <th scope="col">
              <span class="sr-only">{t('inbox.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((m) => (
            <tr key={m.id} data-mail={m.id}>
              <td>{formatDateTime(m.createdAt)}</td>
              <td class="wide">
                <button type="button" class="link" onClick={() => show(m.id)}>
                  {headline(m)}
                </button>
                {m.lastReply && <div class="sub">{m.lastReply}</div>}
              </td>
              <td>{m.to.join(', ')}</td>
              <td>
                {t(`mail.status.${m.status}`)}
                {m.bounced && <span class="tag tag-case">{t('contacts.bounced')}</span>}
                {m.attempts > 0 && <span class="sub"> ×{m.attempts}</span>}
              </td>
              <td>
                {m.status === 'failed' && (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() =>
                      run(async () => {
                        await post(`/api/outbox/${m.id}/retry`);
                        await load();
                      }, t('mail.retried'))
                    }
                  >
                    {t('designer.retry')}
                  </button>
                )}
                {m.status === 'queued' && (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() =>
                      run(async () => {
                        await post(`/api/outbox/${m.id}/cancel`);
                        await load();
                      }, t('mail.cancelled'))
                    }
                  >
                    {t('mail.cancel')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
