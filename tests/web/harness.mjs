// Shared by the browser tests and benchmarks: a static server for build/site (optionally under a
// sub-path) that records every request, and the system Chromium driven by playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const siteDir = process.env.HALOPLAN_SITE || path.join(root, 'build/site');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml', '.png': 'image/png',
};

// -> {origin, url (the site's root URL), requests: [paths], close()}
export async function serve({ prefix = '/', dir = siteDir } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push(url.pathname);
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404).end('not under the site prefix');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(prefix.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.join(dir, rel);
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: origin + prefix,
    requests,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A page that records console errors, page errors, CSP violations and requests to other origins.
export async function openPage(context, url, origin) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (origin && !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`foreign request: ${u}`);
  });
  page.problems = problems;
  waitForDrawnParts(page);
  if (url) await gotoReady(page, url);
  return page;
}

// The page draws the parts far from the viewport a moment after a change (body[data-pending]
// names them until then). A test acts and reads as a reader who has scrolled there: every read
// or action first waits until no part is pending.
const SETTLING = ['textContent', 'innerHTML', 'inputValue', 'evaluate', '$eval', '$$eval', '$$', 'isVisible', 'isHidden',
  'isDisabled', 'getAttribute', 'click', 'fill', 'check', 'selectOption', 'setInputFiles'];
function waitForDrawnParts(page) {
  const evaluate = page.evaluate.bind(page);
  const settled = async () => {
    for (let i = 0; ; i++) {
      let pending = null;
      try {
        pending = await evaluate(() => (document.body ? document.body.dataset.pending || null : null));
      } catch (e) {
        if (!/context was destroyed|navigat/i.test(e.message)) throw e;
      }
      if (!pending) return;
      if (i > 300) throw new Error(`parts still pending after 15 s: ${pending}`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
  };
  for (const name of SETTLING) {
    const original = page[name].bind(page);
    page[name] = async (...args) => {
      await settled();
      return original(...args);
    };
  }
}

export async function gotoReady(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
}

// The fit table as the user sees it: header texts and cell texts, in display order.
export async function fitTableText(page) {
  return page.$eval('#fit-table table', (t) => ({
    headers: [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim()),
    rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent.trim())),
  }));
}

// Polls fn in the page until it returns a truthy value (page.waitForFunction evaluates strings,
// which the page's Content-Security-Policy forbids).
export async function until(page, fn, arg, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    let v = null;
    try {
      v = await page.evaluate(fn, arg);
    } catch (e) {
      if (!/context was destroyed|navigat/i.test(e.message)) throw e;  // mid-navigation: ask again
    }
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn.toString().slice(0, 120)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

// For a test file: one server for build/site and one browser, started before its tests and
// stopped after them. Read env.server and env.browser inside the tests.
export function siteAndBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serve();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser.close();
    await env.server.close();
  });
  return env;
}
