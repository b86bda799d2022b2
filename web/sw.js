// Service worker: precaches the whole site under a content-hashed cache name, serves it offline,
// and waits for the page's "reload" before a new version takes over.
const PREFIX = 'haloplan-';
const CACHE = `${PREFIX}__HASH__`;
const FILES = __FILES__;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)));
});

self.addEventListener('activate', (event) => {
  // Only this app's old caches: other projects may share the origin (e.g. GitHub Pages).
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
    if (hit) return hit;
    if (req.mode === 'navigate') {
      const index = await cache.match('./');
      try {
        return await fetch(req);
      } catch (e) {
        if (index) return index;
        throw e;
      }
    }
    return fetch(req);
  }));
});
