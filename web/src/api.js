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
}

export function setCsrfToken(token) {
  csrfToken = token || '';
}

export function onUnauthenticated(handler) {
  reauthenticate = handler;
}

// One request: sends `body` (already encoded) with `headers`, answers the parsed JSON (or
// null), throws ApiError for any non-2xx. A 401 waits for the user to sign in again (the
// dialog over the page) and is sent once more.
async function send(method, path, body, headers, retry, asText = false) {
  const all = { Accept: 'application/json', ...headers };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) all['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, { method, headers: all, body, credentials: 'same-origin' });
  if (response.status === 401 && retry && reauthenticate && !path.startsWith('/api/auth/')) {
    await reauthenticate();
    return send(method, path, body, headers, false, asText);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text && (!asText || !response.ok) ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return asText ? text : parsed;
}

export function api(method, path, body, { retry = true } = {}) {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'Content-Type': 'application/json' }, retry);
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

// Uploads a file as a new document (or version): the content is the request body, what
// describes it travels in the query (type, title, link) and X-Quire-Metadata (the type's
// fields).
export function upload(path, file, metadata) {
  const headers = { 'Content-Type': file.type || 'application/octet-stream' };
  if (metadata && Object.keys(metadata).length) headers['X-Quire-Metadata'] = JSON.stringify(metadata);
  return send('POST', path, file, headers, true);
}

// Sends a text body (a BPMN file: application/xml) and reads the JSON answer.
export function postText(path, text, contentType) {
  return send('POST', path, text, { 'Content-Type': contentType }, true);
}

// Reads a text answer (a deployed BPMN file) as it is.
export function getText(path, accept = 'application/xml') {
  return send('GET', path, undefined, { Accept: accept }, true, true);
}

// A conditional read: null when the answer still has the ETag `etag` (304, no body sent),
// else {etag, body}. The app's polling of the inbox uses it.
export async function getIfChanged(path, etag, retry = true) {
  const headers = { Accept: 'application/json' };
  if (etag) headers['If-None-Match'] = etag;
  const response = await fetch(path, { headers, credentials: 'same-origin', cache: 'no-store' });
  if (response.status === 304) return null;
  if (response.status === 401 && retry && reauthenticate) {
    await reauthenticate();
    return getIfChanged(path, etag, false);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { etag: response.headers.get('ETag') || '', body: parsed };
}

// The saved segments of customers the caller may use (for a select); none when the list
// cannot be read.
export function customerSegments() {
  return get('/api/crm/segments?limit=200')
    .then((r) => r.items.filter((x) => x.of === 'customers'))
    .catch(() => []);
}
