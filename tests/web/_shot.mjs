import { serve, launch, openPage } from './harness.mjs';
const srv = await serve();
const browser = await launch();
const hash = process.argv[2] || '';
const tag = process.argv[3] || 'a';
for (const [w, h, name] of [[1280, 900, 'desk'], [390, 844, 'phone']]) {
  for (const scheme of ['light']) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h }, colorScheme: scheme });
    const page = await openPage(ctx, srv.url + hash, srv.origin);
    await page.screenshot({ path: `/tmp/shots/${tag}-${name}-${scheme}.png` });
    if (page.problems.length) console.log(page.problems);
    await ctx.close();
  }
}
await browser.close(); await srv.close();
