#!/usr/bin/env node
// Renders docs/screenshot.png (the README's picture) from the built site in headless Chromium.
// Needs the test tools (scripts/setup test) and a built site (scripts/build-web).
import path from 'node:path';
import { root, serve, launch, openPage } from '../tests/web/harness.mjs';

const server = await serve();
const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
const page = await openPage(context, `${server.url}#v=1&model=glm-4.5-air&quant=Q4_K_M&ctx=65536&quants=Q4_K_M`, server.origin);
await page.evaluate(() => document.getElementById('layout').scrollIntoView());
const out = path.join(root, 'docs/screenshot.png');
await page.screenshot({ path: out });
await browser.close();
await server.close();
console.log(`screenshot: ${path.relative(root, out)}`);
