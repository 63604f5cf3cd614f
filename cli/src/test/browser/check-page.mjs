// Opens one netvis page in headless Chromium and reports, as JSON on stdout: every <img> with its
// naturalWidth, console errors, requests that leave the allowed directory, and horizontal overflow at
// phone width. Saves full-page screenshots at laptop and phone sizes.
// Usage: node check-page.mjs <page.html> <allowed-root-dir> <screenshot-prefix>
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [page, root, shots] = process.argv.slice(2);
const url = pathToFileURL(resolve(page)).href;
const allowed = pathToFileURL(resolve(root)).href;
const profile = mkdtempSync(join(tmpdir(), 'netvis-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const result = { url, images: [], consoleErrors: [], outsideRequests: [], requests: 0 };
try {
  const tab = context.pages()[0] ?? await context.newPage();
  tab.on('console', m => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  tab.on('pageerror', e => result.consoleErrors.push(String(e)));
  tab.on('request', r => {
    result.requests++;
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith(allowed)) result.outsideRequests.push(u);
  });
  await tab.goto(url, { waitUntil: 'load' });
  await tab.evaluate(() => Promise.all([...document.images].map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; }))));
  result.images = await tab.$$eval('img', imgs => imgs.map(i => ({ src: i.getAttribute('src').slice(0, 120), naturalWidth: i.naturalWidth })));
  result.title = await tab.title();
  await tab.screenshot({ path: `${shots}-laptop.png`, fullPage: true });
  await tab.setViewportSize({ width: 390, height: 844 });
  await tab.waitForTimeout(100);
  result.phoneOverflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await tab.screenshot({ path: `${shots}-phone.png`, fullPage: true });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
