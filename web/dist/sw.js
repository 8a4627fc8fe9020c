// Atelier's service worker: the app shell survives a reload without network (bad Wi-Fi in a
// town hall), so that a proposal opened once can be reopened and edited offline; its text
// comes from IndexedDB and is sent when the network is back.
//   - pages (navigations): network first, the last good index.html when offline;
//   - /assets/* (content-hashed, immutable): cache first;
//   - everything else (the API, WebSockets, QR codes): never touched.
const CACHE = "atelier-shell-v1";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

// The page lists what it loaded before this worker controlled it (the first visit), so that
// those files are kept too.
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.keep) || [];
  const same = urls.filter((u) => new URL(u).origin === self.location.origin);
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(
        same.map(async (u) => {
          const path = new URL(u).pathname;
          if (!path.startsWith("/assets/") && path !== "/") return;
          if (await cache.match(path)) return;
          const response = await fetch(path);
          if (response.ok) await cache.put(path, response);
        }),
      ),
    ),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Only the client's own pages: not the API's documents (PDF invitations), its schema browser,
  // the public pages (/decouvrir, rendered by the server) or anything else the server serves
  // as a page — kept as the app shell, one of those would replace the client offline.
  const clientPage = !/^\/(api|schema|health|ws|decouvrir)(\/|$)/.test(url.pathname);
  if (request.mode === "navigate" && clientPage) {
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        try {
          const response = await fetch(request);
          if (response.ok && (response.headers.get("content-type") || "").startsWith("text/html")) {
            await cache.put("/", response.clone());
          }
          return response;
        } catch (error) {
          const shell = await cache.match("/");
          if (shell) return shell;
          throw error;
        }
      })(),
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        const cached = await cache.match(request);
        if (cached) return cached;
        const response = await fetch(request);
        if (response.ok) await cache.put(request, response.clone());
        return response;
      })(),
    );
  }
});
