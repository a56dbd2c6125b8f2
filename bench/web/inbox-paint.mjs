// The inbox's first meaningful paint with 1,000,000 open tasks in the store (issue 17's
// target: under 1 s on this machine).
//
// A store made by `task_benchmark --keep` (1,000,000 open tasks over 10,000 users in 200
// groups, each user in two) is served by a release `quire serve`; user u1 signs in once in
// Debian's Chromium; then the inbox is opened --runs times, each in a fresh tab, and the
// time from the navigation's start to the first task row in the page is read
// (performance.now() once
// the row appears; the row is painted in that frame), for the "my groups" view (about
// 10,000 of the million tasks), with the browser's cache warm and cold.
//
//   QUIRE_BENCH_DIR=/dev/shm/qt build/release/bench/task_benchmark --round-trips 1000 --keep
//   node bench/web/inbox-paint.mjs --quire build/release/quire --data /dev/shm/qt [--runs 50]
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../web/package.json'));
const { chromium } = require('playwright-core');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const quire = resolve(arg('--quire', 'build/release/quire'));
const data = resolve(arg('--data', process.env.QUIRE_BENCH_DIR || 'quire-bench-data'));
const runs = Number(arg('--runs', '50'));
const user = arg('--user', 'u1');
const password = 'paint-bench-Passw0rd';

const set = spawnSync(quire, ['user', 'passwd', user, '--password-stdin', '--data-dir', data], { input: `${password}\n`, encoding: 'utf8' });
if (set.status !== 0) throw new Error(`quire user passwd: ${set.stderr}`);
// The benchmark's users are bare directory entries: staff, as the people at an inbox are.
const roles = spawnSync(quire, ['user', 'roles', user, '--set', 'staff', '--data-dir', data], { encoding: 'utf8' });
if (roles.status !== 0) throw new Error(`quire user roles: ${roles.stderr}`);
const server = spawn(quire, ['serve', '--data-dir', data, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const base = await new Promise((ok, fail) => {
  server.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/[^ ]+)/.exec(out);
    if (m) ok(m[1]);
  });
  server.on('exit', (code) => fail(new Error(`quire serve exited ${code}`)));
});

// The server goes with this script, whatever happens.
process.on('exit', () => server.kill('SIGTERM'));
const browser = await chromium.launch({
  executablePath: process.env.QUIRE_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
await page.goto(`${base}/`);
await page.locator('input[name="user"]').fill(user);
await page.locator('input[name="password"]').fill(password);
await page.locator('button[type="submit"]').click();
await page.locator('#inbox-title').waitFor();
await page.close();

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const cookies = await context.cookies();
for (const cache of ['warm', 'cold']) {
  const times = [];
  let rows = 0;
  for (let i = 0; i < runs + 3; i += 1) {
    // warm: a new tab of the same browser (its cache holds the app); cold: a new browser
    // context with only the session cookie (the app's files fetched again).
    let ctx = context;
    if (cache === 'cold') {
      ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await ctx.addCookies(cookies);
    }
    const p = await ctx.newPage();
    await p.goto(`${base}/inbox/group`);
    await p.locator('tr[data-task]').first().waitFor({ timeout: 30000 });
    const ms = await p.evaluate(() => performance.now());
    rows = await p.locator('tr[data-task]').count();
    if (i >= 3) times.push(ms);
    await p.close();
    if (ctx !== context) await ctx.close();
  }
  console.log(`inbox "my groups" (${rows} rows on the first page), ${cache} cache: first task row after median ${percentile(times, 0.5).toFixed(0)} ms, p99 ${percentile(times, 0.99).toFixed(0)} ms (${runs} loads)`);
}
await browser.close();
server.kill('SIGTERM');
await new Promise((ok) => server.once('exit', ok));
