// Runs the theme's search.js in node against a written index, the same file the browser
// loads: data files are run with vm instead of <script> tags.
//   node search_harness.js SITE_ROOT SEARCH_JS < requests.json > answers.json
// requests: [{"q": …, "agency": …, "year": …, "all": bool}] →
//           [{"q", "total", "urls": [first 10, or all], "exact": [bool…], "snippets": [text at the match…],
//             "files": [index files the query loaded, under search/]}]
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
    const before = G.loadedFiles.length;
    const res = await G.search(r.q, { agency: r.agency || "", year: r.year || "" });
    const pager = G.results(res);
    // "all": every result in order (and whether each holds the query as typed).
    const page = await pager.next(r.all ? Infinity : 10);
    // The files of the first page; the count may need the broad terms' rests after it.
    const files = G.loadedFiles.slice(before);
    await res.finish();
    out.push({
      q: r.q,
      total: res.total,
      urls: page.map((it) => it.record.url),
      exact: page.map((it) => it.exact),
      snippets: page.map((it) => (it.at >= 0 ? it.text.slice(it.at, it.at + 40) : "")),
      files: files,
    });
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
