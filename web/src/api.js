// The one way the app talks to Quire: its HTTP API, signed in with the session cookie.
// Requests that change something send the CSRF token the sign-in (or GET /api/me) gave.
// A request answered 401 (the session ended) waits for the user to sign in again and is
// then sent again, so the page and what was typed into it stay as they were.

let csrfToken = '';
let reauthenticate = null; // () => Promise<void>, set by the app: shows the sign-in dialog

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'error';
    this.details = e.details || [];
  }
  // The message for one field ("approved"), or ''.
  fieldMessage(name) {
    const d = this.details.find((x) => x.field === name || x.field === `variables.${name}`);
    return d ? d.message : '';
  }
}

export function setCsrfToken(token) {
  csrfToken = token || '';
}

export function onUnauthenticated(handler) {
  reauthenticate = handler;
}

export async function api(method, path, body, { retry = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 401 && retry && reauthenticate && !path.startsWith('/api/auth/')) {
    await reauthenticate();
    return api(method, path, body, { retry: false });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);

// Builds "/api/tasks?view=mine&limit=50" from a path and parameters, leaving out empty ones.
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// Uploads a file as a new document: the content is the request body, what describes it
// travels in the query (type, title, link) and X-Quire-Metadata (the type's fields).
export async function upload(path, file, metadata, { retry = true } = {}) {
  if (metadata === null) metadata = undefined;
  const headers = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (metadata && Object.keys(metadata).length) headers['X-Quire-Metadata'] = JSON.stringify(metadata);
  const response = await fetch(path, { method: 'POST', headers, body: file, credentials: 'same-origin' });
  if (response.status === 401 && retry && reauthenticate) {
    await reauthenticate();
    return upload(path, file, metadata, { retry: false });
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

// Sends a text body (a BPMN file: application/xml) and reads the JSON answer.
export async function postText(path, text, contentType, { retry = true } = {}) {
  const headers = { Accept: 'application/json', 'Content-Type': contentType };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, { method: 'POST', headers, body: text, credentials: 'same-origin' });
  if (response.status === 401 && retry && reauthenticate) {
    await reauthenticate();
    return postText(path, text, contentType, { retry: false });
  }
  const body = await response.text();
  let parsed = null;
  try {
    parsed = body ? JSON.parse(body) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}
