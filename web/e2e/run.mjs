// The browser app end to end: a real `quire serve` with the examples and demo data, driven in
// Debian's Chromium by playwright-core (no browser download). Each step asserts what the user
// sees; axe-core runs on each page; a screenshot of each page is kept in --artifacts.
//
//   node web/e2e/run.mjs --quire BUILD/quire --source REPOSITORY [--artifacts DIR] [--keep]
//
// Fails (exit 1) at the first step that does not hold, naming it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const quire = resolve(arg('--quire', 'build/dev/quire'));
const source = resolve(arg('--source', '.'));
const artifacts = resolve(arg('--artifacts', join(source, 'web/e2e/artifacts')));
const keep = args.includes('--keep');
const chromiumPath = process.env.QUIRE_CHROMIUM || '/usr/bin/chromium';
const PASSWORD = 'anna-e2e-Passw0rd';
const MARIA_PASSWORD = 'maria-e2e-Passw0rd';

mkdirSync(artifacts, { recursive: true });

// Every text exists in both languages.
{
  const { en } = await import('../src/locales/en.js');
  const { pl } = await import('../src/locales/pl.js');
  // Plural forms differ by language (Polish has few and many): compared without them.
  const keys = (d) => new Set(Object.keys(d).map((k) => k.replace(/\.(zero|one|two|few|many|other)$/, '')));
  const [e, p] = [keys(en), keys(pl)];
  const missing = [...[...e].filter((k) => !p.has(k)).map((k) => `pl lacks ${k}`), ...[...p].filter((k) => !e.has(k)).map((k) => `en lacks ${k}`)];
  assert.deepEqual(missing, [], 'the locales differ');
}
const work = mkdtempSync(join(tmpdir(), 'quire-web-e2e-'));
const data = join(work, 'quire-data');

function run(cmd, cmdArgs, input) {
  const r = spawnSync(cmd, cmdArgs, { cwd: source, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// The examples and demo data as scripts/run loads them; passwords for anna and maria; three
// offers to prepare (group sales: anna's).
run(join(source, 'scripts/load-examples'), [quire, data]);
run(quire, ['user', 'passwd', 'anna', '--password-stdin', '--data-dir', data], `${PASSWORD}\n`);
run(quire, ['user', 'passwd', 'maria', '--password-stdin', '--data-dir', data], `${MARIA_PASSWORD}\n`);
for (const key of ['E2E-1', 'E2E-2', 'E2E-3']) {
  run(quire, ['start', 'offer-approval', '--business-key', key, '--data-dir', data]);
}

const server = spawn(quire, ['serve', '--data-dir', data, '--port', '0'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
server.stderr.on('data', (d) => (serverLog += d));
const base = await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error(`quire serve did not start:\n${serverLog}`)), 60000);
  server.stdout.on('data', (d) => {
    serverLog += d;
    const m = /listening on (http:\/\/[^ ]+)/.exec(serverLog);
    if (m) {
      clearTimeout(timer);
      ok(m[1]);
    }
  });
  server.on('exit', (code) => fail(new Error(`quire serve exited (${code}):\n${serverLog}`)));
});

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const problems = [];
let step = '';
let shot = 0;

async function newPage(context) {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`${step}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${step}: page error: ${e.message}`));
  return page;
}

// axe-core on the page as it is (run through the DevTools protocol, so the page's strict
// CSP needs no exception); serious and critical violations fail.
async function checkPage(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe-core on ${name}: ${JSON.stringify(bad, null, 1)}`);
  shot += 1;
  await page.screenshot({ path: join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function test(name, body) {
  step = name;
  const started = Date.now();
  await body();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

let failed = false;
let maria = null;
let offerId = '';
let designer = null;
try {
  await test('the app shell is served with a strict CSP; API paths stay JSON', async () => {
    const root = await fetch(`${base}/`);
    assert.equal(root.status, 200);
    assert.match(root.headers.get('content-type'), /text\/html/);
    const csp = root.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const deep = await fetch(`${base}/tasks/42`);
    assert.equal(deep.status, 200, 'an app path answers the app');
    const api = await fetch(`${base}/api/no-such-thing`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type'), /application\/json/);
    const asset = await fetch(`${base}/assets/missing.js`);
    assert.equal(asset.status, 404);
    const etag = root.headers.get('etag');
    const again = await fetch(`${base}/`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await newPage(context);

  await test('sign-in refuses a wrong password and lets the right one in', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('User').fill('anna');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await checkPage(page, 'sign-in');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My tasks' }).waitFor();
  });

  await test('the inbox shows the views with their counts and the group tasks', async () => {
    await page.getByRole('link', { name: /My groups/ }).click();
    await page.getByRole('heading', { name: 'My groups' }).waitFor();
    await page.getByRole('heading', { name: 'My groups' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-task]').length === 3);
    await page.waitForFunction(() => document.querySelector('.count[data-view="group"]')?.textContent === '3');
    await checkPage(page, 'inbox-group');
  });

  await test('claiming a task moves it to my tasks', async () => {
    await page.locator('tr[data-task]').first().getByRole('button', { name: 'Claim' }).click();
    await page.getByRole('status').filter({ hasText: 'You took' }).waitFor();
    await page.waitForFunction(() => document.querySelector('.count[data-view="mine"]')?.textContent === '1');
    await page.getByRole('link', { name: /My tasks/ }).click();
    await page.getByRole('heading', { name: 'My tasks' }).waitFor();
    // The rows of the view before may still be there for a moment: wait for this view's.
    await page.waitForFunction(() => document.querySelectorAll('tr[data-task]').length === 1);
    await checkPage(page, 'inbox-mine');
  });

  await test('the form is checked in the browser, then by the server, errors at the fields', async () => {
    await page.locator('tr[data-task] a').first().click();
    await page.getByRole('heading', { name: 'Prepare offer' }).waitFor();
    await page.getByRole('button', { name: 'Complete' }).click();
    await page.locator('#f-customerId[aria-invalid="true"]').waitFor();
    assert.equal(await page.locator('.field-error').count(), 3);
    await page.locator('#f-customerId').fill('c-1');
    await page.getByLabel('Amount (EUR)').fill('1200');
    await page.getByLabel('Discount %').fill('55');
    await page.getByRole('button', { name: 'Complete' }).click();
    await page.locator('#f-discount-error').filter({ hasText: 'At most 40' }).waitFor();
    await checkPage(page, 'task-form-errors');
    // The server checks again: a request that slipped past the browser's checks is refused
    // and its error shown at the field.
    await page.route('**/complete', (route) =>
      route.continue({ postData: JSON.stringify({ variables: { customerId: 'c-1', amount: 1200, discount: 99 } }) }),
    );
    await page.getByLabel('Discount %').fill('10');
    await page.getByRole('button', { name: 'Complete' }).click();
    await page.locator('#f-discount-error').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /error/);
    await page.unroute('**/complete');
  });

  await test('completion waits for the required document; an upload links it to the task', async () => {
    await page.getByRole('button', { name: 'Complete' }).click();
    await page.locator('#docs-title ~ .error').filter({ hasText: "type 'offer'" }).waitFor();
    await page.locator('#doc-file').setInputFiles({ name: 'offer-E2E-1.txt', mimeType: 'text/plain', buffer: Buffer.from('Offer E2E-1: 1200 EUR, 10 % off\n') });
    await page.locator('#doc-type').selectOption('offer');
    await page.locator('form.upload').getByRole('button', { name: 'Upload and link' }).click();
    await page.locator('#meta-customer-error').waitFor(); // the type's required field, checked here
    await page.locator('#meta-customer').fill('1');
    await page.locator('form.upload').getByRole('button', { name: 'Upload and link' }).click();
    await page.locator('li[data-document]').filter({ hasText: 'offer-E2E-1.txt' }).waitFor();
    // An image beside it, previewed on the task page itself.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await page.locator('#doc-file').setInputFiles({ name: 'sketch.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
    await page.locator('#doc-type').selectOption('offer');
    await page.locator('#meta-customer').fill('1');
    await page.locator('form.upload').getByRole('button', { name: 'Upload and link' }).click();
    await page.locator('li[data-document]').filter({ hasText: 'sketch.png' }).waitFor();
    await page.getByRole('button', { name: 'Preview sketch.png' }).click();
    await page.waitForFunction(() => document.querySelector('li[data-document] img.image-preview')?.naturalWidth === 1);
    // The process diagram, drawn by bpmn-js with this task marked (and its watermark).
    await page.locator('.diagram .djs-element.q-task').first().waitFor();
    await page.locator('.diagram .bjs-powered-by').waitFor();
    await checkPage(page, 'task-with-document');
    // The document's own page: checked out by anna, then a new version checked in.
    await page.locator('li[data-document] a').filter({ hasText: 'offer-E2E-1.txt' }).click();
    await page.getByRole('heading', { name: 'offer-E2E-1.txt' }).waitFor();
    await page.getByRole('button', { name: 'Check out' }).click();
    await page.getByTestId('lock').filter({ hasText: 'checked out by anna' }).waitFor();
    await page.locator('#checkin-file').setInputFiles({ name: 'offer-E2E-1.txt', mimeType: 'text/plain', buffer: Buffer.from('Offer E2E-1: 1200 EUR, 12 % off\n') });
    await page.getByLabel('Comment').fill('discount corrected');
    await page.getByRole('button', { name: 'Check in' }).click();
    await page.getByRole('status').filter({ hasText: 'The new version is stored.' }).waitFor();
    await page.locator('tr[data-version="2"]').filter({ hasText: 'discount corrected' }).waitFor();
    assert.match(await page.getByTestId('lock').textContent(), /not checked out/);
    await checkPage(page, 'document');
    await page.goBack();
    await page.locator('#f-customerId').waitFor();
  });

  await test('a session that ends keeps the form: sign in again and carry on', async () => {
    await page.getByLabel('Amount (EUR)').fill('1500');
    await context.clearCookies();
    await page.getByRole('button', { name: 'Complete' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Your session has ended' }).waitFor();
    await dialog.getByLabel('User').fill('anna');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    // The completion goes through after the sign-in, with what was typed.
    await page.getByRole('heading', { name: 'My tasks' }).waitFor();
    await page.getByText('No tasks here.').waitFor();
    await page.waitForFunction(() => document.querySelector('.count[data-view="group"]')?.textContent === '2');
  });

  await test('postponing a task takes it out of the inbox into the postponed view', async () => {
    await page.getByRole('link', { name: /My groups/ }).click();
    await page.locator('tr[data-task]').first().waitFor();
    await page.locator('tr[data-task] a').first().click();
    await page.getByRole('button', { name: 'Claim' }).click();
    await page.getByTestId('assignee').filter({ hasText: 'anna' }).waitFor();
    await page.getByRole('button', { name: 'Postpone' }).click();
    await page.getByLabel('Postpone until').fill('2099-01-15T09:00');
    await page.locator('form.inline-form').getByRole('button', { name: 'Postpone' }).click();
    await page.getByRole('status').filter({ hasText: 'postponed' }).waitFor();
    await checkPage(page, 'task-postponed');
    await page.getByRole('link', { name: 'Back to the inbox' }).click();
    await page.getByText('No tasks here.').waitFor();
    await page.waitForFunction(() => document.querySelector('.count[data-view="postponed"]')?.textContent === '1');
    await page.getByRole('link', { name: /Postponed/ }).click();
    await page.getByRole('heading', { name: 'Postponed' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-task]').length === 1);
  });

  await test('the keyboard alone reaches the content and claims a task', async () => {
    await page.goto(`${base}/inbox/group`);
    await page.locator('tr[data-task]').first().waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await page.keyboard.press('Enter');
    const claim = page.locator('tr[data-task]').first().getByRole('button', { name: 'Claim' });
    await claim.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'You took' }).waitFor();
  });

  await test('Polish is chosen on the account page and the app speaks it', async () => {
    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'Signed-in sessions' }).waitFor();
    await checkPage(page, 'account');
    await page.getByLabel('Language').selectOption('pl');
    await page.getByRole('heading', { name: 'Moje konto' }).waitFor();
    await page.getByRole('link', { name: 'Skrzynka zadań' }).click();
    await page.getByRole('heading', { name: 'Moje zadania' }).waitFor();
    await checkPage(page, 'inbox-polish');
  });

  await test('on a phone screen (360 px) nothing spills sideways', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'pl-PL' });
    await phone.addCookies(await context.cookies());
    const p = await newPage(phone);
    await p.goto(`${base}/inbox/mine`);
    await p.locator('tr[data-task], .empty').first().waitFor();
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `the page is ${width} px wide`);
    await checkPage(p, 'inbox-phone');
    await phone.close();
  });

  await test('customers: a segment filter, the card with its timeline, a call logged', async () => {
    maria = await newPage(await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' }));
    const m = maria;
    await m.goto(`${base}/customers`);
    await m.getByLabel('User').fill('maria');
    await m.getByLabel('Password').fill(MARIA_PASSWORD);
    await m.getByRole('button', { name: 'Sign in' }).click();
    await m.getByRole('heading', { name: 'Customers' }).waitFor();
    await m.locator('tr[data-customer]').first().waitFor();
    const all = await m.locator('tr[data-customer]').count();
    assert.ok(all > 1, `maria sees ${all} customers`);
    await m.getByLabel('Filter (segment language)').fill('tag = nope and');
    await m.getByRole('button', { name: 'Search' }).click();
    await m.getByRole('alert').filter({ hasText: 'column' }).waitFor(); // the position of the mistake
    await m.getByLabel('Filter (segment language)').fill('tag = piekarnia');
    await m.getByRole('button', { name: 'Search' }).click();
    await m.getByRole('status').filter({ hasText: /^1 customer\b/ }).waitFor();
    await checkPage(m, 'customers');
    await m.locator('tr[data-customer] a').first().click();
    await m.locator('#customer-title').waitFor();
    await m.getByRole('button', { name: 'Log a call' }).click();
    await m.getByLabel('Subject').fill('Asked about the e2e offer');
    await m.getByLabel('Note').fill('Call back next week.');
    await m.getByRole('button', { name: 'Save' }).click();
    await m.getByRole('status').filter({ hasText: 'The call is logged.' }).waitFor();
    await m.locator('.timeline li[data-kind="activity"]').filter({ hasText: 'Asked about the e2e offer' }).waitFor();
    // The timeline filtered by kind: activities hidden, the call goes with them.
    await m.getByRole('checkbox', { name: 'Activity' }).uncheck();
    assert.equal(await m.locator('.timeline li[data-kind="activity"]').count(), 0);
    await checkPage(m, 'customer-card');
    // A contact person: a number that is no phone number refused at its field, then added
    // with one typed the Polish way (kept in E.164), then given a role.
    await m.getByRole('button', { name: 'Add a contact person' }).click();
    const person = m.getByRole('form', { name: 'Add a contact person' });
    await person.getByLabel('First name').fill('Zofia');
    await person.getByLabel('Last name').fill('Wójcik-Kołodziej');
    await person.getByLabel('Phone').fill('12');
    await person.getByRole('button', { name: 'Save' }).click();
    await person.getByRole('alert').filter({ hasText: /phone|number/i }).waitFor(); // what is wrong with it, not only that something is
    assert.equal(await person.getByLabel('Phone').getAttribute('aria-invalid'), 'true');
    await person.getByLabel('Phone').fill('601 234 567');
    await person.getByLabel('Agrees to marketing e-mail').check();
    await person.getByLabel('E-mail', { exact: true }).fill('zofia@example.pl');
    await person.getByRole('button', { name: 'Save' }).click();
    await m.getByRole('status').filter({ hasText: 'The contact person is added.' }).waitFor();
    const added = m.locator('.contacts li').filter({ hasText: 'Zofia Wójcik-Kołodziej' });
    await added.filter({ hasText: '+48601234567' }).filter({ hasText: 'e-mail consent' }).waitFor();
    await added.getByRole('button', { name: 'Change Zofia Wójcik-Kołodziej' }).click();
    await m.getByRole('form', { name: 'Contact person' }).getByLabel('Role at the customer').fill('Kierowniczka zakupów');
    await m.getByRole('form', { name: 'Contact person' }).getByRole('button', { name: 'Save' }).click();
    await m.getByRole('status').filter({ hasText: 'The contact person is saved.' }).waitFor();
    await added.filter({ hasText: 'Kierowniczka zakupów' }).filter({ hasText: '+48601234567' }).waitFor();
  });

  await test('an offer: product suggested, totals from the server, accepted and locked, PDF, order', async () => {
    const m = maria;
    await m.getByRole('link', { name: 'Offers', exact: true }).click();
    await m.getByRole('link', { name: 'New offer' }).click();
    await m.getByLabel('Find a customer by name').fill('Kasztan');
    await m.locator('#customer-found button').first().click();
    assert.notEqual(await m.getByLabel('Customer id').inputValue(), '');
    // The product suggested while typing, without its diacritics; taken with the keyboard.
    const product = m.getByRole('combobox', { name: 'Product or name of line 1' });
    await product.pressSequentially('krzeslo');
    await m.getByRole('option', { name: /MEB-KRZ-ERG Krzesło ergonomiczne/ }).waitFor();
    await product.press('ArrowDown');
    await product.press('Enter');
    assert.equal(await product.inputValue(), 'MEB-KRZ-ERG Krzesło ergonomiczne');
    await m.getByLabel('Quantity of line 1').fill('3');
    // The unit price and rate come from the price lists, the totals from the server.
    await m.locator('[data-total="gross"]').waitFor();
    await m.waitForFunction(() => document.querySelector('[data-line="0"] [data-net]')?.textContent.trim() !== '');
    await m.getByRole('button', { name: 'Add a line' }).click();
    await m.getByRole('combobox', { name: 'Product or name of line 2' }).fill('Montaż');
    await m.getByLabel('Quantity of line 2').fill('1.5');
    await m.getByLabel('Unit price of line 2').fill('120.00');
    await m.getByLabel('VAT rate of line 2').selectOption('8');
    await m.waitForFunction(() => document.querySelector('[data-line="1"] [data-net]')?.textContent.includes('180'));
    await checkPage(m, 'offer-editor');
    await m.getByRole('button', { name: 'Save', exact: true }).click();
    await m.waitForURL(/\/offers\/\d+$/);
    const id = m.url().split('/').pop();
    offerId = id;
    const stored = await m.evaluate(async (offer) => (await (await fetch(`/api/crm/offers/${offer}`)).json()).totals.gross, id);
    const shown = await m.locator('[data-total="gross"]').textContent();
    const expected = await m.evaluate((g) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'PLN' }).format(g), stored);
    assert.equal(shown.trim(), expected, 'the totals shown are the stored ones');
    await m.getByRole('button', { name: 'Accept' }).click();
    await m.getByRole('status').filter({ hasText: 'the offer is locked' }).waitFor();
    await m.getByText('This offer is accepted and locked').waitFor();
    assert.equal(await m.getByLabel('Quantity of line 1').isDisabled(), true);
    // The server refuses an edit too, naming who accepted it.
    const refused = await m.evaluate(async (offer) => {
      const me = await (await fetch('/api/me')).json();
      const r = await fetch(`/api/crm/offers/${offer}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken }, body: '{"notes": "x"}' });
      return [r.status, (await r.json()).error.message];
    }, id);
    assert.equal(refused[0], 409);
    assert.match(refused[1], /accepted by maria/);
    await m.getByRole('button', { name: 'Make the PDF' }).click();
    const pdfLink = m.getByRole('link', { name: 'Open the PDF' });
    await pdfLink.waitFor();
    const pdf = await m.evaluate(async (href) => {
      const r = await fetch(href);
      return [r.status, r.headers.get('content-type'), (await r.text()).slice(0, 5)];
    }, await pdfLink.getAttribute('href'));
    assert.deepEqual(pdf, [200, 'application/pdf', '%PDF-']);
    // The PDF drawn in the page by pdf.js (its worker from this origin, under the CSP).
    const pdfHref = await pdfLink.getAttribute('href');
    const docId = pdfHref.split('/')[3];
    const offerUrl = m.url();
    await m.goto(`${base}/documents/${docId}`);
    await m.locator('canvas.pdf-page').first().waitFor();
    assert.ok((await m.locator('canvas.pdf-page').first().evaluate((c) => c.width)) > 100);
    await checkPage(m, 'document-pdf-preview');
    await m.goto(offerUrl);
    await m.getByRole('button', { name: 'Make the order' }).waitFor();
    await m.getByRole('button', { name: 'Make the order' }).click();
    await m.getByText(/Order \d+ was made from it/).waitFor();
    await checkPage(m, 'offer-accepted');
    // The order moved through its life to invoiced; a payment above what is outstanding is
    // refused at its field; the one that settles it marks it paid.
    await m.getByRole('link', { name: /Order \d+ was made from it/ }).click();
    await m.getByRole('heading', { name: /^Order / }).waitFor();
    await m.getByRole('button', { name: 'Start fulfilment' }).click();
    await m.getByRole('status').filter({ hasText: 'The order is now: in fulfilment.' }).waitFor();
    await m.getByRole('button', { name: 'Mark as delivered' }).click();
    await m.getByRole('status').filter({ hasText: 'The order is now: delivered.' }).waitFor();
    await m.getByLabel('Invoice number').fill('FV/E2E/1');
    await m.getByRole('button', { name: 'Mark as invoiced' }).click();
    await m.getByRole('status').filter({ hasText: 'The order is now: invoiced.' }).waitFor();
    await m.getByText('FV/E2E/1').waitFor();
    const orderId = m.url().split('/').pop();
    const outstanding = await m.evaluate(async (o) => (await (await fetch(`/api/crm/orders/${o}`)).json()).outstanding, orderId);
    await m.getByLabel('Amount').fill('999999.00');
    await m.getByRole('button', { name: 'Record a payment' }).click();
    await m.getByRole('form', { name: 'Record a payment' }).getByRole('alert').filter({ hasText: 'outstanding' }).waitFor();
    assert.equal(await m.getByLabel('Amount').getAttribute('aria-invalid'), 'true');
    await m.getByLabel('Amount').fill(outstanding);
    await m.getByLabel('Reference').fill('przelew e2e');
    await m.getByRole('button', { name: 'Record a payment' }).click();
    await m.getByRole('status').filter({ hasText: 'The payment is recorded.' }).waitFor();
    await m.locator('#order-title [data-status="paid"]').waitFor();
    await m.locator('[data-payments]').filter({ hasText: 'przelew e2e' }).waitFor();
    await checkPage(m, 'order-paid');
    // The customer's first order makes it a new customer, computed, with the reason on its card.
    const customerId = await m.evaluate(async (o) => (await (await fetch(`/api/crm/orders/${o}`)).json()).customer, orderId);
    await m.goto(`${base}/customers/${customerId}`);
    await m.locator('[data-classes] li[data-class="new"]').filter({ hasText: 'the first order on' }).waitFor();
    assert.equal(await m.locator('[data-classes] li[data-class="inDebt"]').count(), 0);
    // Its lifetime value: the order, counted by month.
    await m.locator('[data-value]').filter({ hasText: '1 order, the first in' }).waitFor();
  });

  await test('reports: the KPIs of the employees one reaches, drawn and tabled, as CSV', async () => {
    const m = maria;
    await m.getByRole('link', { name: 'Reports' }).click();
    await m.getByRole('heading', { name: /^Reports/ }).waitFor();
    // maria logged a call and made an offer and an order in the scenarios before.
    const row = m.locator('table[data-kpis] tr[data-employee="maria"]');
    await row.waitFor();
    // The rows her crm.read reaches (her team's), as the API answers them for her.
    const reached = await m.evaluate(async () => (await (await fetch('/api/kpis/employees')).json()).items.length);
    assert.equal(await m.locator('table[data-kpis] tbody tr').count(), reached);
    await m.locator('figure.chart svg[role="img"]').first().waitFor();
    const csv = await m.evaluate(async () => (await fetch(document.querySelector('a[download]').getAttribute('href'))).text());
    assert.ok(csv.includes('employee,from,to,activities') && csv.includes('\nmaria,'), csv);
    // Her own figures as tiles, the same numbers as her row.
    await m.locator('[data-mine] dl.tiles').waitFor();
    // A team chosen: its members and their total, as the API sums them.
    const groups = await m.evaluate(async () => {
      const r = await fetch('/api/groups');
      if (r.status !== 200) return (await (await fetch('/api/me')).json()).groups;
      return (await r.json()).items.map((g) => g.id);
    });
    if (groups.length > 0) {
      await m.locator('select[data-group]').selectOption(groups[0]);
      const totalRow = m.locator(`table[data-kpis] tfoot tr[data-total="${groups[0]}"]`);
      await totalRow.waitFor();
      const team = await m.evaluate(async (g) => (await fetch(`/api/kpis/employees?group=${g}`)).json(), groups[0]);
      assert.equal((await totalRow.locator('td').nth(1).textContent()).trim(), String(team.total.offers));
      await m.locator('select[data-group]').selectOption('');
      await m.locator('table[data-kpis] tfoot').waitFor({ state: 'detached' });
    } else {
      assert.equal(await m.locator('select[data-group]').count(), 0);
    }
    // With instances.read: the funnel of a process, its steps as the API counts them.
    const section = m.locator('[data-funnel-section]');
    await section.locator('table[data-funnel] tbody tr').first().waitFor();
    const process = await section.getByLabel('Process').inputValue();
    const api = await m.evaluate(async (p) => (await (await fetch(`/api/kpis/funnels/${p}`)).json()), process);
    const first = api.steps[0];
    const cell = section.locator(`tr[data-step="${first.elementId}"] td`).first();
    assert.ok((await cell.textContent()).startsWith(String(first.reached)), await cell.textContent());
    // Customers: acquisition, retention, churn and value over the customers she reaches, the
    // months as the API counts them.
    const customers = m.locator('[data-customers-section]');
    await customers.locator('table[data-customer-months] tbody tr').first().waitFor();
    const metrics = await m.evaluate(async () => (await fetch('/api/kpis/customers')).json());
    assert.equal(await customers.locator('table[data-customer-months] tbody tr').count(), metrics.months.length);
    assert.ok(metrics.period.activeCustomers >= 1, JSON.stringify(metrics.period));
    const active = await customers.locator('[data-tile="active"] dd').textContent();
    assert.equal(active.trim(), String(metrics.period.activeCustomers));
    const last = metrics.months[metrics.months.length - 1];
    const lastCells = customers.locator(`tr[data-month="${last.month}"] td`);
    assert.equal((await lastCells.nth(3).textContent()).trim(), String(last.activeCustomers));
    await checkPage(m, 'reports');
  });

  await test('a room booked from a free slot, and a second booking of it refused as a conflict', async () => {
    const m = maria;
    await m.getByRole('link', { name: 'Calendar' }).click();
    await m.getByRole('heading', { name: 'Calendar' }).waitFor();
    await m.getByRole('button', { name: 'Next week →' }).click();
    const room = await m.getByLabel('Whose').locator('option', { hasText: 'Sala Odra' }).getAttribute('value');
    await m.getByLabel('Whose').selectOption(room);
    const slot = m.locator('.week-body .week-row').nth(3).locator('.slot-button').first(); // Monday 10:00
    await slot.click();
    await m.getByLabel('Subject').fill('Przegląd oferty');
    await m.getByRole('button', { name: 'Save' }).click();
    await m.getByRole('status').filter({ hasText: 'The activity is planned.' }).waitFor();
    await m.locator('.event').filter({ hasText: 'Przegląd oferty' }).waitFor();
    await checkPage(m, 'calendar');
    // The same room from 9:00 to 10:30: the server refuses it and the form says why.
    await m.locator('.week-body .week-row').nth(2).locator('.slot-button').first().click();
    await m.getByLabel('Subject').fill('Druga rezerwacja');
    const start = await m.getByLabel('Starts').inputValue();
    await m.getByLabel('Ends').fill(`${start.slice(0, 10)}T10:30`);
    await m.getByRole('button', { name: 'Save' }).click();
    const conflict = m.locator('.conflict');
    await conflict.waitFor();
    assert.match(await conflict.textContent(), /Sala Odra|booked|already/i);
    await m.getByRole('button', { name: 'Close' }).click();
    // Dragged to Tuesday 14:00: moved, the same length.
    const booked = m.locator('.event').filter({ hasText: 'Przegląd oferty' });
    await booked.dragTo(m.locator('.week-body .week-row').nth(7).locator('.slot').nth(1));
    await m.getByRole('status').filter({ hasText: 'The activity is moved.' }).waitFor();
    await m.locator('.event').filter({ hasText: /^14:00 Przegląd oferty/ }).waitFor();
    // Its lower edge dragged to 16:00: it ends at 17:00, and still starts at 14:00.
    await m.locator('.event').filter({ hasText: 'Przegląd oferty' }).locator('.resize-handle').dragTo(m.locator('.week-body .week-row').nth(9).locator('.slot').nth(1));
    await m.getByRole('status').filter({ hasText: 'The activity now ends at another hour.' }).waitFor();
    await m.locator('.event').filter({ hasText: /^14:00 Przegląd oferty/ }).click();
    assert.match(await m.getByLabel('Ends').inputValue(), /T17:00$/);
    await m.getByRole('button', { name: 'Close' }).click();
    // The day view: Monday of that week, then Tuesday with the booking.
    await m.getByRole('button', { name: 'Day', exact: true }).click();
    await m.getByRole('button', { name: 'Next day →' }).click();
    await m.locator('.week.one-day .event').filter({ hasText: /^14:00 Przegląd oferty/ }).waitFor();
    await checkPage(m, 'calendar-day');
    // The month: the booking is on its day.
    await m.getByRole('button', { name: 'Month', exact: true }).click();
    await m.locator('.month li[data-activity]').filter({ hasText: 'Przegląd oferty' }).waitFor();
    await checkPage(m, 'calendar-month');
  });

  await test('service cases show their SLA; campaigns list with their effectiveness', async () => {
    const m = maria;
    const made = await m.evaluate(async () => {
      const me = await (await fetch('/api/me')).json();
      const r = await fetch('/api/crm/cases', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken }, body: JSON.stringify({ kind: 'complaint', customer: '1', subject: 'Pęknięta witryna chłodnicza' }) });
      return [r.status, await r.text()];
    });
    assert.equal(made[0], 201, made[1]);
    await m.getByRole('link', { name: 'Service' }).click();
    await m.getByRole('heading', { name: 'Service cases' }).waitFor();
    await m.locator('tr[data-case]').filter({ hasText: 'Pęknięta witryna chłodnicza' }).filter({ hasText: /due / }).waitFor();
    await checkPage(m, 'cases');
    await m.getByRole('link', { name: 'Campaigns' }).click();
    await m.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await checkPage(m, 'campaigns');
    await m.context().close();
  });

  await test('the auditor verifies the chain in the browser and sees a tampered export refused', async () => {
    const a = await newPage(await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' }));
    await a.goto(`${base}/audit`);
    await a.getByLabel('User').fill('admin');
    await a.getByLabel('Password').fill(readFileSync(join(data, 'initial-admin-password'), 'utf8').trim());
    await a.getByRole('button', { name: 'Sign in' }).click();
    await a.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await a.getByRole('button', { name: 'Verify the chain here' }).click();
    const verified = a.locator('[data-verified="yes"]');
    await verified.waitFor();
    assert.match(await verified.textContent(), /signed head.*signature is valid/);
    // The trail of the offer accepted above, in time order.
    await a.getByLabel('Record (kind/id)').fill(`offer/${offerId}`);
    await a.getByRole('button', { name: 'Show the trail' }).click();
    await a.locator('tr[data-seq]').first().waitFor();
    const actions = await a.locator('tr[data-seq] td:nth-child(4)').allTextContents();
    assert.ok(actions.includes('offer.created') && actions.includes('offer.accepted'), actions.join(','));
    await checkPage(a, 'audit');
    // One character changed in an exported entry: the browser says which line and how.
    const exported = await a.evaluate(async () => (await fetch('/api/audit/export')).text());
    const lines = exported.split('\n');
    const k = lines.findIndex((l) => l.includes('"actor":"maria"'));
    lines[k] = lines[k].replace('"actor":"maria"', '"actor":"mario"');
    await a.locator('.file-button input').setInputFiles({ name: 'tampered.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines.join('\n')) });
    const refused = a.locator('[data-verified="no"]');
    await refused.waitFor();
    assert.match(await refused.textContent(), new RegExp(`line ${k + 1}: \\(seq \\d+\\) altered`));
    await a.context().close();
  });

  await test('the designer sees a validation error drawn on the diagram, then deploys', async () => {
    const d = await newPage(await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' }));
    designer = d;
    await d.goto(`${base}/processes`);
    await d.getByLabel('User').fill('admin');
    await d.getByLabel('Password').fill(readFileSync(join(data, 'initial-admin-password'), 'utf8').trim());
    await d.getByRole('button', { name: 'Sign in' }).click();
    await d.getByRole('heading', { name: 'Processes', exact: true }).waitFor();
    await d.locator('tr[data-process="offer-approval"]').waitFor();
    const good = readFileSync(join(source, 'examples/offer-approval.bpmn'), 'utf8');
    const broken = good.replace('discount &gt; 10', 'discount &gt;&gt; 10');
    assert.notEqual(broken, good);
    await d.getByLabel('BPMN file').setInputFiles({ name: 'offer-approval.bpmn', mimeType: 'application/xml', buffer: Buffer.from(broken) });
    await d.locator('[data-valid="no"]').waitFor();
    await d.getByText('offer-approval.bpmn:43:7').waitFor();
    const badge = d.locator('.diagnostic-badge[data-element="needsApproval"]');
    await badge.waitFor();
    assert.match(await badge.textContent(), /expected a value/);
    await d.locator('.djs-element.q-incident[data-element-id="needsApproval"]').waitFor();
    await checkPage(d, 'designer-diagnostics');
    await d.getByLabel('BPMN file').setInputFiles({ name: 'offer-approval.bpmn', mimeType: 'application/xml', buffer: Buffer.from(good) });
    await d.locator('[data-valid="yes"]').waitFor();
    await d.getByRole('button', { name: 'Deploy' }).click();
    await d.getByRole('status').filter({ hasText: /offer-approval deployed as version \d+/ }).waitFor();
    // An instance started from the page with a business key, then found on the process's
    // page among its versions and instances, where it is drawn, and cancelled with a reason.
    // anna watches her group's inbox meanwhile: the new task must appear there, and leave
    // again when the instance is cancelled, without a reload (the app's polling).
    await page.goto(`${base}/inbox/group`);
    await page.locator('tr[data-task], .empty').first().waitFor();
    await d.locator('form.inline-form').getByLabel('Process').selectOption('offer-approval');
    await d.getByLabel('Business key').fill('e2e-designer-1');
    await d.getByLabel('Variables (JSON)').fill('{"customerId": "1"}');
    await d.getByRole('button', { name: 'Start an instance' }).click();
    const started = await d.getByRole('status').filter({ hasText: /Instance \d+ of offer-approval started/ });
    await started.waitFor();
    const instance = (await started.textContent()).match(/Instance (\d+)/)[1];
    await d.locator('tr[data-process="offer-approval"] a').click();
    await d.getByRole('heading', { name: /Offer approval/ }).waitFor();
    await d.locator('tr[data-version]').first().waitFor();
    await d.locator('.diagram .djs-element[data-element-id="prepare"]').waitFor();
    await d.locator(`tr[data-instance="${instance}"]`).filter({ hasText: 'e2e-designer-1' }).filter({ hasText: 'running' }).waitFor();
    await checkPage(d, 'process');
    const taskId = await d.evaluate(async (i) => (await (await fetch(`/api/instances/${i}`)).json()).active[0].taskId, instance);
    await page.locator(`tr[data-task="${taskId}"]`).waitFor({ timeout: 25000 });
    await d.locator(`tr[data-instance="${instance}"] a`).click();
    await d.locator('.diagram .djs-element.q-active[data-element-id="prepare"]').waitFor();
    await d.locator('[data-active] li[data-element="prepare"]').waitFor();
    assert.ok((await d.locator('[data-history] li').count()) >= 2, 'the history shows the start and the task');
    assert.match(await d.locator('pre.json').textContent(), /"customerId": "1"/);
    await checkPage(d, 'instance');
    await d.getByLabel('Reason (kept in the history)').fill('started by the browser test');
    await d.getByRole('button', { name: 'Cancel the instance' }).click();
    await d.getByRole('status').filter({ hasText: 'The instance is cancelled.' }).waitFor();
    await d.locator('#instance-title .tag').filter({ hasText: 'cancelled' }).waitFor();
    await page.locator(`tr[data-task="${taskId}"]`).waitFor({ state: 'detached', timeout: 25000 });
  });

  await test('a Camunda form (form-js) on a task: checked in the page, completed', async () => {
    const d = designer;
    const bpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:e2e">
  <bpmn:process id="contract-e2e" name="Contract (e2e)" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:userTask id="t" name="Draw up contract" quire:assignee="admin" quire:formRef="contract"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>`;
    const deployed = await d.evaluate(async (xml) => {
      const me = await (await fetch('/api/me')).json();
      const h = { 'X-CSRF-Token': me.csrfToken };
      const dep = await fetch('/api/deployments?name=contract-e2e.bpmn', { method: 'POST', headers: { ...h, 'Content-Type': 'application/xml' }, body: xml });
      const started = await fetch('/api/processes/contract-e2e/instances', { method: 'POST', headers: { ...h, 'Content-Type': 'application/json' }, body: '{}' });
      return [dep.status, started.status, await started.text()];
    }, bpmn);
    assert.equal(deployed[0], 201);
    assert.equal(deployed[1], 201, deployed[2]);
    const task = JSON.parse(deployed[2]).tasks[0];
    await d.goto(`${base}/tasks/${task}`);
    await d.getByRole('heading', { name: 'Draw up contract' }).waitFor();
    await d.locator('.fjs-container').waitFor();
    await d.getByRole('button', { name: 'Complete' }).click();
    await d.locator('.fjs-form-field-error').first().waitFor(); // form-js says what is missing
    await checkPage(d, 'task-formjs');
    await d.getByLabel('Contract number').fill('C-123456');
    await d.getByLabel('Total (EUR)').fill('1200');
    await d.locator('.formjs').getByLabel(/^Name/).fill('Jan Kowalski');
    const term = d.locator('.fjs-form-field-select');
    await term.click();
    await d.getByText('Two years').click();
    await d.getByLabel('Starts on').fill('01/02/2027');
    await d.getByLabel('Starts on').press('Enter');
    await d.getByRole('button', { name: 'Complete' }).click();
    await d.getByRole('heading', { name: 'My tasks' }).waitFor();
    const state = await d.evaluate(async (id) => (await fetch(`/api/tasks/${id}`)).status, task);
    assert.equal(state, 404, 'the task is completed');
  });

  await test('a questionnaire link is answered without signing in, once; an altered one is refused', async () => {
    const d = designer;
    const made = await d.evaluate(async () => {
      const me = await (await fetch('/api/me')).json();
      const call = async (method, path, body) => {
        const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken }, body: JSON.stringify(body) });
        return { status: r.status, body: await r.json() };
      };
      const customers = await (await fetch('/api/crm/customers?limit=1')).json();
      const person = await call('POST', '/api/crm/contacts', { firstName: 'Ola', lastName: 'Ankietowa', customers: [customers.items[0].id] });
      const q = await call('POST', '/api/questionnaires', {
        name: 'Zadowolenie z serwisu',
        form: { id: 'satisfaction', type: 'default', components: [
          { type: 'number', key: 'score', label: 'Score (1-5)', validate: { required: true, min: 1, max: 5 } },
          { type: 'textarea', key: 'comment', label: 'What could we do better?' },
        ] },
      });
      const inv = await call('POST', `/api/questionnaires/${q.body.id}/invitations`, { contact: person.body.id, send: false });
      return { status: [person.status, q.status, inv.status], url: inv.body.url, contact: person.body.id };
    });
    assert.deepEqual(made.status, [201, 201, 201]);
    const respondent = await newPage(await browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'en-GB' }));
    await respondent.goto(made.url);
    await respondent.getByRole('heading', { name: 'Zadowolenie z serwisu' }).waitFor();
    await respondent.getByLabel('Score (1-5)').waitFor();
    await checkPage(respondent, 'questionnaire');
    await respondent.getByLabel('Score (1-5)').fill('4');
    await respondent.getByLabel('What could we do better?').fill('Faster delivery');
    await respondent.getByRole('button', { name: 'Send the answers' }).click();
    await respondent.locator('[data-thanks]').waitFor();
    await respondent.goto(made.url);
    await respondent.getByRole('alert').filter({ hasText: 'answered already' }).waitFor();
    await respondent.goto(made.url.slice(0, -1) + (made.url.endsWith('0') ? '1' : '0'));
    await respondent.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await respondent.context().close();
    // Staff see it answered on the questionnaires page, and make another link there.
    await d.getByRole('link', { name: 'Questionnaires' }).click();
    await d.getByRole('button', { name: 'Zadowolenie z serwisu' }).click();
    await d.locator('[data-counts]').filter({ hasText: 'Sent 1, answered 1' }).waitFor();
    await d.getByLabel('Contact person (id)').fill(made.contact);
    await d.getByRole('button', { name: 'Make a link for a contact person' }).click();
    await d.locator('[data-link] code').filter({ hasText: '/q/q' }).waitFor();
    await d.locator('[data-counts]').filter({ hasText: 'Sent 2, answered 1' }).waitFor();
    // Sending to a segment's people: this server was started without --public-url, so it
    // refuses to mail links, and the page says why.
    const segmentMade = await d.evaluate(async () => {
      const me = await (await fetch('/api/me')).json();
      const r = await fetch('/api/crm/segments', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken }, body: JSON.stringify({ name: 'Ankietowani', text: 'kind = company' }) });
      return r.status;
    });
    assert.equal(segmentMade, 201);
    await d.getByRole('button', { name: 'Zadowolenie z serwisu' }).click();
    const bulkForm = d.getByRole('form', { name: 'Send to a segment’s people' });
    await bulkForm.getByLabel('Segment').selectOption({ label: 'Ankietowani' });
    await bulkForm.getByRole('button', { name: 'Send to a segment’s people' }).click();
    await d.getByRole('alert').filter({ hasText: '--public-url' }).waitFor();
    await checkPage(d, 'questionnaires');
  });

  await test('administration: a user created and disabled, a role, a token made and revoked, a dictionary and a custom field, the outbox', async () => {
    const d = designer;
    await d.getByRole('link', { name: 'Administration' }).click();
    await d.getByRole('heading', { name: 'Administration' }).waitFor();
    await d.locator('tr[data-user="anna"]').waitFor();
    await d.getByLabel('User id').fill('ewa');
    await d.getByLabel('Name', { exact: true }).fill('Ewa Nowak');
    await d.getByLabel('Password', { exact: true }).fill('ewa-e2e-Passw0rd');
    await d.locator('#new-user-role').selectOption('staff');
    await d.getByRole('button', { name: 'Create the user' }).click();
    await d.getByRole('status').filter({ hasText: 'The user is created.' }).waitFor();
    const row = d.locator('tr[data-user="ewa"]');
    await row.filter({ hasText: 'staff' }).waitFor();
    await checkPage(d, 'admin-users');
    await row.getByRole('button', { name: 'Disable' }).click();
    await d.getByRole('status').filter({ hasText: 'ewa is disabled' }).waitFor();
    const refused = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'ewa', password: 'ewa-e2e-Passw0rd' }) });
    assert.equal(refused.status, 401);
    await d.getByRole('tab', { name: 'Groups' }).click();
    await d.locator('tr[data-group="sales"]').waitFor();
    await checkPage(d, 'admin-groups');
    // A role of the installation's own: CRM reading for the team, audit reading for all.
    await d.getByRole('tab', { name: 'Roles' }).click();
    await d.getByRole('button', { name: 'A new role' }).click();
    await d.getByLabel('Role id').fill('ksiegowosc-e2e');
    await d.getByLabel('Name', { exact: true }).fill('Księgowość');
    await d.getByLabel('Grant of crm.read').selectOption('team');
    await d.getByLabel('Grant of audit.read').selectOption('all');
    await d.getByRole('button', { name: 'Save' }).click();
    await d.getByRole('status').filter({ hasText: 'The role ksiegowosc-e2e is saved.' }).waitFor();
    await d.locator('tr[data-role="ksiegowosc-e2e"]').filter({ hasText: 'crm.read (team)' }).filter({ hasText: 'audit.read' }).waitFor();
    await checkPage(d, 'admin-roles');
    // A token made for anna acting as staff only: its secret works once shown, not after
    // it is revoked.
    await d.getByRole('tab', { name: 'API tokens' }).click();
    const made = d.getByRole('form', { name: 'A token for a user' });
    await made.getByLabel('For').selectOption('anna');
    await made.getByLabel('Name', { exact: true }).fill('crm-sync-e2e');
    await made.getByLabel('Acts with').selectOption('staff');
    await made.getByRole('button', { name: 'Create a token' }).click();
    await d.getByRole('status').filter({ hasText: 'A token for anna is made.' }).waitFor();
    const secret = (await d.locator('[data-secret]').textContent()).trim();
    const asAnna = async () => (await fetch(`${base}/api/me`, { headers: { Authorization: `Bearer ${secret}` } })).status;
    assert.equal(await asAnna(), 200);
    const tokenRow = d.locator('tr[data-token]').filter({ hasText: 'crm-sync-e2e' });
    await tokenRow.filter({ hasText: 'staff' }).waitFor();
    await checkPage(d, 'admin-tokens');
    await tokenRow.getByRole('button', { name: 'Revoke crm-sync-e2e of anna' }).click();
    await d.getByRole('status').filter({ hasText: 'The token is revoked' }).waitFor();
    assert.equal(await asAnna(), 401);
    // A dictionary, then a custom field of customers that takes its values from it, then
    // the field filled in on a customer's card.
    await d.getByRole('tab', { name: 'Dictionaries' }).click();
    await d.getByRole('button', { name: 'A new dictionary' }).click();
    await d.getByLabel('Name (letters, digits, - and _)').fill('branze-e2e');
    await d.getByLabel('Label', { exact: true }).fill('Branże');
    await d.getByLabel('Entries, one per line: value, or value | label').fill('piekarnie | Piekarnie\nhotele | Hotele i pensjonaty');
    await d.getByRole('button', { name: 'Save' }).click();
    await d.locator('tr[data-dictionary="branze-e2e"]').filter({ hasText: 'Hotele i pensjonaty' }).waitFor();
    await checkPage(d, 'admin-dictionaries');
    await d.getByRole('tab', { name: 'Fields' }).click();
    await d.getByRole('button', { name: 'Add a field' }).click();
    const n = await d.locator('tr[data-field]').count();
    await d.getByLabel(`Name of field ${n}`).fill('branza');
    await d.getByLabel(`Label of field ${n}`).fill('Branża');
    await d.getByLabel(`Type of field ${n}`).selectOption('enum');
    await d.getByLabel(`Dictionary of field ${n}`).selectOption('branze-e2e');
    await d.getByRole('button', { name: 'Save the fields' }).click();
    await d.getByRole('status').filter({ hasText: 'The fields are saved.' }).waitFor();
    await checkPage(d, 'admin-fields');
    await d.goto(`${base}/customers/1`);
    await d.getByRole('button', { name: 'Change these fields' }).click();
    await d.getByLabel('Branża').selectOption('hotele');
    await d.getByRole('form', { name: 'More about the customer' }).getByRole('button', { name: 'Save' }).click();
    await d.getByRole('status').filter({ hasText: 'The fields are saved.' }).waitFor();
    await d.locator('[data-custom-fields] dd[data-field="branza"]').filter({ hasText: 'Hotele i pensjonaty' }).waitFor();
    // E-mail: this server has no SMTP server, so a test message waits in the outbox; it is
    // cancelled from there.
    await d.goto(`${base}/admin`);
    await d.getByRole('tab', { name: 'E-mail' }).click();
    await d.getByLabel('To', { exact: true }).fill('ja@firma.example');
    await d.getByRole('button', { name: 'Send a test message' }).click();
    await d.getByRole('status').filter({ hasText: 'A test message to ja@firma.example is in the outbox.' }).waitFor();
    const mailRow = d.locator('tr[data-mail]').filter({ hasText: 'ja@firma.example' }).filter({ hasText: 'waiting' });
    await mailRow.waitFor();
    await checkPage(d, 'admin-mail');
    await mailRow.getByRole('button', { name: 'Do not send' }).click();
    await d.locator('tr[data-mail]').filter({ hasText: 'ja@firma.example' }).filter({ hasText: 'cancelled' }).waitFor();
    await d.context().close();
  });

  await test('signing out ends the session', async () => {
    await page.getByRole('button', { name: 'Wyloguj' }).click();
    await page.getByRole('heading', { name: 'Logowanie do Quire' }).waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/me')).status);
    assert.equal(me, 401);
  });

  assert.deepEqual(problems, [], 'the pages logged errors (a CSP violation shows here)');
} catch (e) {
  failed = true;
  console.error(`FAIL ${step}\n${e.stack || e}`);
  if (problems.length) console.error(`the pages said:\n${problems.join('\n')}`);
  for (const ctx of browser.contexts()) {
    for (const p of ctx.pages()) await p.screenshot({ path: join(artifacts, 'failure.png'), fullPage: true }).catch(() => {});
  }
  console.error(`quire serve said:\n${serverLog.slice(-4000)}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((ok) => server.once('exit', ok));
  if (!keep) rmSync(work, { recursive: true, force: true });
}
console.log(failed ? 'web e2e: FAILED' : `web e2e: all passed; screenshots in ${artifacts}`);
process.exit(failed ? 1 : 0);
