// Runs before the first paint (a classic script in <head>; the module app.js comes later). It sets
// the saved colour theme, and decides whether the tables prerendered into this page at build time
// may show: they are the shipped catalog's default view, so a link to another view, an embed or a
// catalog saved in this browser keeps them hidden until the planner has drawn the real ones.
// It also starts compiling the planner's wasm (preloaded by the page) while the page is parsed,
// on the browser's compiler threads, instead of once app.js runs; web/core.js instantiates it.
(function () {
  var root = document.documentElement;
  var theme = null;
  var saved = null;
  try {
    theme = localStorage.getItem('haloplan.theme');
    saved = localStorage.getItem('haloplan.catalog');
  } catch (e) { /* storage off: the defaults hold */ }
  if (theme === 'light' || theme === 'dark') root.setAttribute('data-theme', theme);
  if (root.hasAttribute('data-prerendered') && (location.hash.length > 1 || location.search.length > 1 || saved !== null)) {
    root.setAttribute('data-prerendered', 'stale');
  }
  var preload = document.querySelector('link[rel="preload"][href="haloplan.wasm"]');
  if (preload && window.WebAssembly && WebAssembly.compileStreaming) {
    window.haloplanCompiled = WebAssembly.compileStreaming(fetch(preload.href, { credentials: 'same-origin' }));
    window.haloplanCompiled['catch'](function () {});  // core.js then fetches and compiles it itself
  }
})();
