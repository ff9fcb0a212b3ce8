// Runs the theme's search.js in node against a written index, the same file the browser
// loads: data files are run with vm instead of <script> tags.
//   node search_harness.js SITE_ROOT SEARCH_JS < requests.json > answers.json
// requests: [{"q": …, "agency": …, "year": …}] → [{"q", "total", "urls": [first 10]}]
//           or {"tokenize": [strings]} → [[terms…]…]
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const { pathToFileURL, fileURLToPath } = require("url");

const [root, searchJs] = process.argv.slice(2);
vm.runInThisContext(fs.readFileSync(searchJs, "utf8"), { filename: searchJs });
const G = globalThis.gongkaiSearch;
G.setBase(pathToFileURL(path.join(root, "assets", "search.js")).href);
G.loadScript = (url, onError) => {
  setImmediate(() => {
    let text;
    try {
      text = fs.readFileSync(fileURLToPath(url), "utf8");
    } catch (e) {
      onError(e);
      return;
    }
    vm.runInThisContext(text, { filename: url });
  });
};

const request = JSON.parse(fs.readFileSync(0, "utf8"));
(async () => {
  if (request.tokenize) {
    process.stdout.write(JSON.stringify(request.tokenize.map((s) => G.tokenize(s))));
    return;
  }
  const out = [];
  for (const r of request) {
    const res = await G.search(r.q, { agency: r.agency || "", year: r.year || "" });
    const top = res.hits.slice(0, 10).map((h) => h.id);
    const docs = await G.loadDocs(top);
    out.push({ q: r.q, total: res.total, urls: docs.map((d) => d.url) });
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
