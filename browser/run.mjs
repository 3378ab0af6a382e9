// Runs every walk in walks/ (in name order) against one `custodia demo` in Debian's chromium and
// prints `N passed, N failed`. Environment: CUSTODIA_BIN (default ../target/debug/custodia),
// SCREENSHOTS (default ../target/screenshots), DEMO_DIR (default ../target/browser-demo),
// DEMO_PEOPLE (the demo's synthetic candidates; its default when unset), WALKS (a comma-separated
// list of walk names to run, default all).

import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Tester, launchBrowser, startDemo } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const bin = process.env.CUSTODIA_BIN || path.join(root, 'target/debug/custodia');
const screenshotDir = process.env.SCREENSHOTS || path.join(root, 'target/screenshots');
const dataDir = process.env.DEMO_DIR || path.join(root, 'target/browser-demo');
const only = process.env.WALKS ? new Set(process.env.WALKS.split(',')) : null;

const walks = readdirSync(path.join(here, 'walks'))
  .filter((f) => f.endsWith('.mjs'))
  .sort()
  .map((f) => ({ name: f.replace(/\.mjs$/, ''), file: path.join(here, 'walks', f) }))
  .filter((w) => !only || only.has(w.name));

rmSync(screenshotDir, { recursive: true, force: true });
console.log(`starting ${bin} demo`);
const demo = await startDemo({ bin, dataDir, people: process.env.DEMO_PEOPLE });
console.log(`demo at ${demo.base}`);
const browser = await launchBrowser();
const t = new Tester({ browser, demo, screenshotDir });
try {
  for (const walk of walks) {
    t.walk = walk.name;
    console.log(`walk ${walk.name}`);
    try {
      const { default: run } = await import(pathToFileURL(walk.file).toString());
      await run(t);
    } catch (e) {
      t.check(false, `the walk runs to its end: ${e.stack || e}`);
    }
  }
} finally {
  await browser.close();
  await demo.stop();
}
console.log(`screenshots: ${t.shots} in ${screenshotDir}`);
for (const f of t.failures) console.log(`failed: ${f}`);
console.log(`${t.passed} passed, ${t.failures.length} failed`);
process.exit(t.failures.length === 0 && t.passed > 0 ? 0 : 1);
