// Builds the browser app into a directory quire serve serves (default: dist/):
//   node build.mjs [--out DIR] [--dev]
// One JavaScript bundle and one stylesheet (esbuild), index.html and the icon. No inline
// script or style anywhere: the pages run under a strict Content-Security-Policy.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(outIndex >= 0 ? args[outIndex + 1] : join(here, 'dist'));
const dev = args.includes('--dev');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(here, 'src/main.jsx'), join(here, 'src/app.css')],
  outdir: join(out, 'assets'),
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  metafile: true,
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
cpSync(join(here, 'static'), out, { recursive: true });
// pdf.js draws in a worker of its own, loaded from this origin (CSP worker-src 'self').
cpSync(join(here, 'node_modules/pdfjs-dist/build/pdf.worker.min.mjs'), join(out, 'assets/pdf.worker.min.mjs'));
// The licences of every package whose code is in the bundle travel with it (bpmn-js's
// also asks that its watermark stay visible: the viewer draws it, nothing here hides it).
mkdirSync(join(out, 'licenses'), { recursive: true });
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packages.add(m[1]);
}
packages.add('pdfjs-dist'); // its worker is shipped as a file of its own
for (const name of [...packages].sort()) {
  const dir = join(here, 'node_modules', name);
  const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE', 'LICENCE.md', 'LICENSE-MIT', 'license.md'].find((f) => existsSync(join(dir, f)));
  if (!file) throw new Error(`web: ${name} is in the bundle but has no licence file to ship`);
  cpSync(join(dir, file), join(out, 'licenses', `${name.replace('/', '__')}.txt`));
}
console.log(`web: built ${out}`);
