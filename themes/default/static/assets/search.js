/*
 * gongkai search: runs a query against the index that `gongkai build` writes under
 * search/ (see docs/search.md). Data files are plain scripts loaded with <script> tags,
 * found relative to this script's own URL, so search works from file://, under any base
 * path and in a preview server. No fetch, no modules, no workers.
 *
 * The tokenizer here must stay the same as src/search/tokenize.rs, and the decoder the
 * same as src/search/format.rs.
 */
(function (global) {
  "use strict";

  var doc = global.document;
  // Captured now: currentScript is only set while this file runs.
  var scriptSrc = (doc && doc.currentScript && doc.currentScript.src) || "";

  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT = new Int8Array(128).fill(-1);
  for (var a = 0; a < ALPHABET.length; a++) DIGIT[ALPHABET.charCodeAt(a)] = a;
  // Low bits of a body and a title entry: the weights of src/search/format.rs
  // (`body_impact`: √tf / √length in steps of 2^¼ from 1/512; `title_impact`: 3 / √length).
  var BODY_BITS = 5;
  var TITLE_BITS = 4;
  var BODY_WEIGHT = [];
  for (var q = 0; q < 32; q++) BODY_WEIGHT.push(Math.pow(2, q / 4) / 512);
  var TITLE_WEIGHT = [];
  for (var q2 = 0; q2 < 16; q2++) TITLE_WEIGHT.push(3 / Math.pow(2, q2 / 4));
  var META_BOOST = 1.5;
  var PAGE_SIZE = 10;
  // Rest blocks (16 kB each) a first page may load for a rare word's candidates, before
  // it loads the broad terms' whole rests instead.
  var BLOCK_BUDGET = 24;
  var SHARDS_PER_FOLDER = 1024;
  var SNIPPET_CHARS = 110;

  // ---- tokenizer (mirrors src/search/tokenize.rs) ----

  function normalizeChar(cp) {
    if (cp >= 0xff01 && cp <= 0xff5e) cp -= 0xfee0;
    else if (cp === 0x3000) return 32;
    if (cp >= 65 && cp <= 90) cp += 32;
    return cp;
  }

  function isHan(cp) {
    return (
      cp === 0x3007 ||
      (cp >= 0x3400 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0x9fff) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0x20000 && cp <= 0x3ffff)
    );
  }

  function isWordChar(cp) {
    return (cp >= 48 && cp <= 57) || (cp >= 97 && cp <= 122);
  }

  function normalize(text) {
    var out = "";
    for (var ch of text) out += String.fromCodePoint(normalizeChar(ch.codePointAt(0)));
    return out;
  }

  /** Runs of Han characters and words of `text`, normalized: [{han: bool, text}] */
  function pieces(text) {
    var out = [];
    var cur = "";
    var curHan = false;
    function flush() {
      if (cur) out.push({ han: curHan, text: cur });
      cur = "";
    }
    for (var ch of text) {
      var cp = normalizeChar(ch.codePointAt(0));
      var han = isHan(cp);
      if (han || isWordChar(cp)) {
        if (cur && han !== curHan) flush();
        curHan = han;
        cur += String.fromCodePoint(cp);
      } else {
        flush();
      }
    }
    flush();
    return out;
  }

  /** Terms of `text`: each word as itself, each Han run's characters through `hanTerms(chars, out)`. */
  function termsOf(text, hanTerms) {
    var out = [];
    pieces(text).forEach(function (p) {
      if (p.han) hanTerms(Array.from(p.text), out);
      else out.push(p.text);
    });
    return out;
  }

  /** Every term occurrence of an indexed text, as the build emits them. */
  function tokenize(text) {
    return termsOf(text, function (chars, out) {
      for (var i = 0; i < chars.length; i++) {
        out.push(chars[i]);
        if (i > 0) out.push(chars[i - 1] + chars[i]);
      }
    });
  }

  /** What a query looks up: a lone Han character as itself, longer runs as bigrams. */
  function queryTerms(text) {
    return termsOf(text, function (chars, out) {
      if (chars.length === 1) out.push(chars[0]);
      for (var i = 1; i < chars.length; i++) out.push(chars[i - 1] + chars[i]);
    });
  }

  function compactId(text) {
    return pieces(text)
      .map(function (p) {
        return p.text;
      })
      .join("");
  }

  function hashTerm(term) {
    var h = 0x811c9dc5;
    for (var ch of term) {
      h ^= ch.codePointAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  // ---- loading data files with <script> tags ----

  var indexBase = scriptSrc ? new URL("../search/", scriptSrc).href : "";
  var siteRoot = scriptSrc ? new URL("../", scriptSrc).href : "";
  var pending = {};
  var loaded = {};
  var loadedFiles = [];

  function defaultLoadScript(url, onError) {
    var s = doc.createElement("script");
    s.src = url;
    s.charset = "utf-8";
    s.async = true;
    s.onerror = onError;
    s.onload = function () {
      s.remove();
    };
    doc.head.appendChild(s);
  }

  function load(key, rel) {
    if (loaded[key]) return loaded[key];
    if (early[key] !== undefined) {
      // Arrived by a <script> tag of the page itself (search.html loads core.js).
      loadedFiles.push(rel);
      loaded[key] = Promise.resolve(early[key]);
      return loaded[key];
    }
    loaded[key] = new Promise(function (resolve, reject) {
      pending[key] = resolve;
      loadedFiles.push(rel);
      api.loadScript(indexBase + rel, function () {
        delete loaded[key];
        reject(new Error("could not load " + rel));
      });
    });
    return loaded[key];
  }

  var early = {};

  function arrived(key, value) {
    var resolve = pending[key];
    delete pending[key];
    if (resolve) resolve(value);
    else early[key] = value;
  }

  // ---- index data ----

  var core = null;
  var shards = {};
  var termCache = {};

  function loadCore() {
    return load("core", "core.js");
  }

  /** A fact file (`f/<n>.js`, src/search/format.rs `facts_file`): 机构 and 年份 of
   * documents n · factsPerFile onwards. */
  function decodeFacts(n, s) {
    var first = n * core.factsPerFile;
    var count = Math.max(0, Math.min(core.factsPerFile, core.documents - first));
    var out = { agencyOf: new Uint32Array(count), yearOf: new Int32Array(count) };
    var pos = 0;
    function next() {
      var v = 0;
      var mul = 1;
      for (;;) {
        var d = DIGIT[s.charCodeAt(pos++)];
        if (!(d >= 0)) return v;
        if (d < 32) return v + d * mul;
        v += (d - 32) * mul;
        mul *= 32;
      }
    }
    for (var i = 0; i < count; i++) {
      out.agencyOf[i] = next();
      var y = next();
      out.yearOf[i] = y ? core.minYear + y - 1 : -1;
    }
    return out;
  }

  var factFiles = {};

  /** Loads the 机构 names and the fact files that hold the documents `ids`; resolves
   * to a lookup {names, agency(id), year(id)}. Only filters and their counts need
   * them, so a query's first results never wait for them (unless a filter is set). */
  function loadFacts(ids) {
    var per = core.factsPerFile;
    var needed = {};
    for (var i = 0; i < ids.length; i++) needed[Math.floor(ids[i] / per)] = 1;
    var names = null;
    return Promise.all(
      Object.keys(needed)
        .map(function (n) {
          return load("f/" + n, "f/" + n + ".js").then(function (f) {
            factFiles[n] = f;
          });
        })
        .concat(
          load("f/agencies", "f/agencies.js").then(function (a) {
            names = a;
          })
        )
    ).then(function () {
      return {
        names: names,
        agency: function (id) {
          return factFiles[Math.floor(id / per)].agencyOf[id % per];
        },
        year: function (id) {
          return factFiles[Math.floor(id / per)].yearOf[id % per];
        },
      };
    });
  }

  /** A varint list → ids, and each entry's low `bits` (its weight code). */
  function decodeList(s, from, to, bits) {
    var ids = [];
    var codes = bits ? [] : null;
    var div = 1 << bits;
    var base = 0;
    var v = 0;
    var mul = 1;
    for (var i = from; i < to; i++) {
      var d = DIGIT[s.charCodeAt(i)];
      if (d >= 32) {
        v += (d - 32) * mul;
        mul *= 32;
        continue;
      }
      v += d * mul;
      var id = base + Math.floor(v / div);
      ids.push(id);
      if (bits) codes.push(v % div);
      base = id + 1;
      v = 0;
      mul = 1;
    }
    return { ids: ids, codes: codes };
  }

  var IN_BODY = 1;
  var IN_TITLE = 2;
  var IN_META = 4;

  /** A term's postings as per-document arrays: where it occurs, and its body and
   * title weight codes. A broad term's shard value is its head
   * (`body.title.meta.df,B,T,M,b,t,m,cut,i,starts`, src/search/format.rs `split_head`):
   * then `complete` is false until every block of its rest is loaded (`loadBlocks`),
   * `df` counts the whole list, and `restBest` and `restMax` say what an entry left out
   * can weigh. */
  function decodeTerm(value, shard) {
    var n = core.documents;
    var term = {
      df: 0,
      ids: [],
      where: new Uint8Array(n),
      bodyCode: new Uint8Array(n),
      titleCode: new Uint8Array(n),
      complete: true,
    };
    mergeList(term, value);
    var parts = value.split(".");
    if (parts.length > 3) {
      var h = parts[3].split(",");
      var code = function (c) {
        return c === "" ? -1 : Number(c);
      };
      term.complete = false;
      term.df = Number(h[0]);
      term.restBest = { body: code(h[1]), title: code(h[2]), meta: h[3] === "1" };
      term.restMax = { body: code(h[4]), title: code(h[5]), meta: h[6] === "1" };
      term.cut = Number(h[7]);
      // The rest's blocks: block j holds the entries from blocks[j] to blocks[j + 1].
      term.rest = shard + "-" + h[8] + "-";
      term.folder = "t/" + Math.floor(shard / SHARDS_PER_FOLDER) + "/";
      term.blocks = [0].concat(
        h[9]
          .split(":")
          .filter(Boolean)
          .map(Number)
      );
      term.loaded = new Uint8Array(term.blocks.length);
      term.missing = term.blocks.length;
    } else {
      term.df = term.ids.length;
    }
    return term;
  }

  /** Adds `body.title.meta` postings to a decoded term. */
  function mergeList(term, value) {
    var n = core.documents;
    var where = term.where;
    var parts = value.split(".");
    function mark(list, bit) {
      for (var i = 0; i < list.length; i++) {
        var d = list[i];
        if (d >= n) continue;
        if (!where[d]) term.ids.push(d);
        where[d] |= bit;
      }
    }
    var body = decodeList(parts[0], 0, parts[0].length, BODY_BITS);
    mark(body.ids, IN_BODY);
    for (var i = 0; i < body.ids.length; i++) if (body.ids[i] < n) term.bodyCode[body.ids[i]] = body.codes[i];
    if (parts[1]) {
      var title = decodeList(parts[1], 0, parts[1].length, TITLE_BITS);
      mark(title.ids, IN_TITLE);
      for (var j = 0; j < title.ids.length; j++) if (title.ids[j] < n) term.titleCode[title.ids[j]] = title.codes[j];
    }
    if (parts[2]) mark(decodeList(parts[2], 0, parts[2].length, 0).ids, IN_META);
  }

  /** What an entry with these codes gives a document for one term (as `rank` adds it). */
  function entryWeight(e) {
    var s = 0;
    if (e.body >= 0) s += BODY_WEIGHT[e.body];
    if (e.title >= 0) s += TITLE_WEIGHT[e.title];
    if (e.meta) s += META_BOOST;
    return s;
  }

  /** The block of a cut term's rest that holds document d's entry, if it has one. */
  function blockOf(term, d) {
    var lo = 0;
    var hi = term.blocks.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (term.blocks[mid] <= d) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Whether what a term says of document d is known: its entry, or that it has none. */
  function knows(term, d) {
    return term.complete || term.where[d] !== 0 || term.loaded[blockOf(term, d)] === 1;
  }

  /** Loads blocks of cut terms' rests: `wanted` is [{ term, block }]. */
  function loadBlocks(wanted) {
    return Promise.all(
      wanted.map(function (w) {
        var t = w.term;
        var name = t.rest + w.block;
        return load("r/" + name, t.folder + name + ".js").then(function (value) {
          if (t.loaded[w.block]) return;
          mergeList(t, value);
          t.loaded[w.block] = 1;
          if (--t.missing === 0) t.complete = true;
        });
      })
    );
  }

  /** Loads the whole rests of the cut terms among `terms` (decoded terms). */
  function completeTerms(terms) {
    var wanted = [];
    terms.forEach(function (t) {
      if (t.complete) return;
      for (var j = 0; j < t.blocks.length; j++) if (!t.loaded[j]) wanted.push({ term: t, block: j });
    });
    return loadBlocks(wanted);
  }

  function shardOf(term) {
    return (hashTerm(term) & (core.shards - 1)) >>> 0;
  }

  function loadTerms(terms) {
    var needed = {};
    terms.forEach(function (t) {
      needed[shardOf(t)] = 1;
    });
    return Promise.all(
      Object.keys(needed).map(function (n) {
        return load("t/" + n, "t/" + Math.floor(n / SHARDS_PER_FOLDER) + "/" + n + ".js");
      })
    ).then(function () {
      var out = {};
      terms.forEach(function (t) {
        if (!termCache.hasOwnProperty(t)) {
          var shard = shards[shardOf(t)];
          termCache[t] =
            shard && Object.prototype.hasOwnProperty.call(shard, t)
              ? decodeTerm(shard[t], shardOf(t))
              : { df: 0, ids: [], where: new Uint8Array(core.documents), bodyCode: null, titleCode: null, complete: true };
        }
        out[t] = termCache[t];
      });
      return out;
    });
  }

  function docFolder(id) {
    var f = Math.floor(id / core.docsPerFolder);
    return Math.floor(f / 1000) + "/" + (f % 1000) + "/";
  }

  /** Document `id`'s record: link, title, 机构, dates, numbers, the number of parts of
   * its text, the first of them (`text`: all of a short text) and, when some are left
   * out, a Bloom filter of each part's terms (`blooms`). */
  function loadDoc(id) {
    return load("d/" + id, "d/" + docFolder(id) + id + ".js");
  }

  function loadDocs(ids) {
    return Promise.all(ids.map(loadDoc));
  }

  /** Part `k` of document `id`'s text: from the record when it holds it, else from the
   * file of its group (core.groupParts parts after those the record holds). */
  function loadPart(id, record, k) {
    var inline = record.text || [];
    if (k < inline.length) return Promise.resolve(inline[k]);
    var g = Math.floor((k - inline.length) / core.groupParts);
    return load("x/" + id + "-" + g, "x/" + docFolder(id) + id + "-" + g + ".js").then(function (group) {
      return group[(k - inline.length) % core.groupParts] || "";
    });
  }

  // ---- Bloom filters of a document's text parts (src/search/format.rs `bloom`; lone Han characters left out) ----

  function bloomMix(h) {
    h = Math.imul((h ^ (h >>> 16)) >>> 0, 0x045d9f3b) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  }

  function bloomHas(bits, h) {
    var m = bits.length * 6;
    if (!m) return false;
    var pair = [h % m, bloomMix(h) % m];
    for (var j = 0; j < 2; j++) {
      var b = pair[j];
      if (!(DIGIT[bits.charCodeAt(Math.floor(b / 6))] & (1 << b % 6))) return false;
    }
    return true;
  }

  /** Parts of a record's text that may hold every term (hashes) of a word, in text
   * order: [k] when part k's filter has them all (it also holds the start of part
   * k + 1, so a phrase across the boundary is found here), [k, k + 1] when only the two
   * together do (a long phrase across a boundary). */
  function windowsFor(record, hashes) {
    var out = [];
    if (!record.blooms) {
      // The record holds the whole text: every part is at hand.
      for (var j = 0; j < record.parts; j++) out.push([j]);
      return out;
    }
    var blooms = record.blooms.split(" ");
    function all(test) {
      for (var i = 0; i < hashes.length; i++) if (!test(hashes[i])) return false;
      return true;
    }
    for (var k = 0; k < blooms.length; k++) {
      var here = blooms[k];
      if (!hashes.length) {
        // A lone character: any part may hold it.
        out.push([k]);
        continue;
      }
      var next = blooms[k + 1];
      if (all(function (h) { return bloomHas(here, h); })) out.push([k]);
      else if (next && all(function (h) { return bloomHas(here, h) || bloomHas(next, h); })) out.push([k, k + 1]);
    }
    return out;
  }

  // ---- queries ----

  function squash(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  var QUOTES = { '"': 1, "\u201c": 1, "\u201d": 1 };

  /** The query's words: white space separates them, and text in quotes ("…" or “…”)
   * is one word that must occur as typed (an unclosed quote runs to the end). */
  function splitQuery(q) {
    var out = [];
    var cur = "";
    var quoted = false;
    function push() {
      var t = squash(cur);
      if (t) out.push({ text: t, quoted: quoted });
      cur = "";
    }
    for (var ch of q) {
      if (QUOTES[ch]) {
        push();
        quoted = !quoted;
      } else if (!quoted && /\s/.test(ch)) {
        push();
      } else {
        cur += ch;
      }
    }
    push();
    return out;
  }

  /** The query's words with the terms each needs. A word of more than one term is
   * `check`ed against the text: a document holding it as typed ranks above those
   * holding its terms apart, and a quoted word must be held as typed. */
  function parseQuery(q) {
    var parsed = splitQuery(normalize(q || ""))
      .map(function (w) {
        var terms = queryTerms(w.text);
        var id = compactId(w.text);
        return {
          text: w.text,
          terms: terms,
          // The text parts' filters leave lone Han characters out.
          hashes: terms
            .filter(function (t) {
              return !(t.length <= 2 && Array.from(t).length === 1 && isHan(t.codePointAt(0)));
            })
            .map(hashTerm),
          quoted: w.quoted,
          check: terms.length > 1,
          idTerm: id.length >= 2 && /[0-9]/.test(id) ? "#" + id : null,
        };
      })
      .filter(function (w) {
        return w.terms.length > 0;
      });
    var whole = compactId(q || "");
    return {
      words: parsed,
      idTerm: parsed.length > 1 && whole.length >= 2 && /[0-9]/.test(whole) ? "#" + whole : null,
      exactOnly: parsed.some(function (w) {
        return w.quoted;
      }),
      needsCheck: parsed.some(function (w) {
        return w.check;
      }),
    };
  }

  function unique(list) {
    var seen = {};
    return list.filter(function (x) {
      if (seen[x]) return false;
      seen[x] = 1;
      return true;
    });
  }

  // Phase times of the last query (ms since its start), shown in data-timing.
  var timing = {};
  function now() {
    return global.performance ? global.performance.now() : Date.now();
  }

  /**
   * Runs a query. Resolves to { total, hits: [{id, score, titleWords, exact}], facets }
   * where `facets()` resolves to the matching documents counted by 机构 and 年份 before
   * filtering (it loads the fact files of the hits: ask for it after the first results).
   * filters: { agency: name or "", year: number or "" }.
   */
  function search(q, filters) {
    filters = filters || {};
    timing.start = now();
    timing.first = 0;
    var query = parseQuery(q);
    return loadCore().then(function () {
      timing.core = now();
      if (!query.words.length) {
        return {
          total: 0,
          hits: [],
          query: query,
          complete: true,
          finish: function () {
            return Promise.resolve();
          },
          facets: function () {
            return Promise.resolve({ agencies: [], years: [] });
          },
        };
      }
      var terms = [];
      var idTerms = [];
      query.words.forEach(function (w) {
        terms = terms.concat(w.terms);
        if (w.idTerm) idTerms.push(w.idTerm);
      });
      if (query.idTerm) idTerms.push(query.idTerm);
      terms = unique(terms);
      idTerms = unique(idTerms);
      return loadTerms(terms.concat(idTerms)).then(function (postings) {
        timing.terms = now();
        var decoded = terms.concat(idTerms).map(function (t) {
          return postings[t];
        });
        var filtering = filters.agency || filterYear(filters) !== null;
        var result = { total: null, hits: [], query: query, complete: false };
        var unfiltered = null;
        var finishing = null;
        /** Loads what the broad terms' heads left out and ranks every hit (once):
         * `hits` keeps the order it had and gains the rest, `total` is known. */
        result.finish = function () {
          if (!finishing) {
            finishing = completeTerms(decoded).then(function () {
              unfiltered = rank(query, terms, idTerms, postings);
              result.hits = unfiltered;
              result.total = unfiltered.length;
              result.complete = true;
            });
          }
          return finishing;
        };
        var facts = null;
        function factsOfHits() {
          if (!facts) {
            facts = result.finish().then(function () {
              return loadFacts(
                unfiltered.map(function (h) {
                  return h.id;
                })
              );
            });
          }
          return facts;
        }
        result.facets = function () {
          return factsOfHits().then(function (f) {
            return facetsOf(unfiltered, f);
          });
        };
        /** The result from a first page proven from the heads (the rests come after
         * it), or, without one, from every hit. */
        function answer(early) {
          if (early && (early.whole || early.hits.length >= PAGE_SIZE)) {
            result.hits = early.hits;
            if (early.whole) {
              unfiltered = early.hits;
              result.total = early.hits.length;
              result.complete = true;
              finishing = Promise.resolve();
            }
            timing.ranked = now();
            return result;
          }
          return result.finish().then(function () {
            timing.ranked = now();
            if (!filtering) return result;
            // A filter needs every hit's facts before the first result.
            return factsOfHits().then(function (f) {
              result.hits = filtered(unfiltered, f, filters);
              result.total = result.hits.length;
              timing.ranked = now();
              return result;
            });
          });
        }
        var spent = 0;
        /** A rare word's candidates not in a broad word's head: the blocks of the
         * broad terms' rests that hold them tell whether they are hits and what they
         * weigh. Those that could rank highest first, a round at a time, until the
         * first page is proven or BLOCK_BUDGET blocks are spent. */
        function settle(early) {
          if (!early || early.whole || early.hits.length >= PAGE_SIZE || !early.open) return answer(early);
          var wanted = {};
          var list = [];
          for (var i = 0; i < early.open.length; i++) {
            var fresh = early.open[i].blocks.filter(function (b) {
              return !wanted[b.key] && !b.term.loaded[b.block];
            });
            if (spent + list.length + fresh.length > BLOCK_BUDGET) break;
            fresh.forEach(function (b) {
              wanted[b.key] = 1;
              list.push(b);
            });
          }
          if (!list.length) return answer(early);
          spent += list.length;
          return loadBlocks(list).then(function () {
            return settle(rankFromHeads(query, terms, idTerms, postings));
          });
        }
        return settle(filtering ? null : rankFromHeads(query, terms, idTerms, postings));
      });
    });
  }

  /**
   * The first hits of a query some of whose terms are known only by their heads (broad
   * terms), as far as the heads' bounds prove them to be the first hits of the whole
   * lists: { hits, whole } (whole: these are every hit), or null when every term is
   * whole or an 索引号/文号 term is not.
   */
  function rankFromHeads(query, terms, idTerms, postings) {
    var n = core.documents;
    var lists = terms.map(function (t) {
      return postings[t];
    });
    if (
      lists.every(function (p) {
        return p.complete;
      }) ||
      idTerms.some(function (t) {
        return !postings[t].complete;
      })
    ) {
      return null;
    }
    var idfs = lists.map(idfOf);
    var whole = lists
      .filter(function (p) {
        return p.complete;
      })
      .sort(function (x, y) {
        return x.df - y.df;
      });
    // Documents that may hold every term: those of the rarest whole list that the
    // other whole lists have; with no whole list, those in any head.
    var seen = new Uint8Array(n);
    var candidates = [];
    function add(d) {
      if (!seen[d]) {
        seen[d] = 1;
        candidates.push(d);
      }
    }
    if (whole.length) {
      whole[0].ids.forEach(function (d) {
        for (var k = 1; k < whole.length; k++) if (!whole[k].where[d]) return;
        add(d);
      });
    } else {
      lists.forEach(function (p) {
        p.ids.forEach(add);
      });
    }
    var exact = new Uint8Array(n);
    var exactCount = 0;
    idTerms.forEach(function (t) {
      var p = postings[t];
      p.ids.forEach(function (d) {
        if (!(p.where[d] & IN_META) || exact[d]) return;
        exact[d] = 1;
        exactCount++;
        add(d);
      });
    });
    var words = query.words.map(function (w) {
      return w.terms.map(function (t) {
        return terms.indexOf(t);
      });
    });
    // A one-term query is bounded by the best entry left out, whose equals in the
    // rest all have larger ids than `cut`; several terms by each one's highest weights.
    var single = lists.length === 1 && !idTerms.length;
    var restWeight = lists.map(function (p) {
      return p.complete ? 0 : entryWeight(single ? p.restBest : p.restMax);
    });
    var restTitle = lists.map(function (p) {
      return !p.complete && (single ? p.restBest : p.restMax).title >= 0;
    });
    var certain = [];
    // The highest key a document not in `certain` can have.
    var bound = -Infinity;
    // The candidates not known, with the rest blocks that would tell (with a whole
    // list, the candidates are all there are; without, blocks cannot settle it).
    var open = whole.length ? [] : null;
    for (var c = 0; c < candidates.length; c++) {
      var d = candidates[c];
      var score = 0;
      var high = 0;
      var known = true;
      var holds = true;
      var unknown = [];
      for (var k = 0; k < lists.length; k++) {
        var p = lists[k];
        var w = p.where[d];
        if (w) {
          var s = weightIn(p, d) * idfs[k];
          score += s;
          high += s;
        } else if (knows(p, d)) {
          holds = false;
        } else {
          known = false;
          high += restWeight[k] * idfs[k];
          var b = blockOf(p, d);
          unknown.push({ key: k + ":" + b, term: p, block: b });
        }
      }
      if (!holds && !exact[d]) continue;
      var titleWords = 0;
      var titleHigh = 0;
      for (var wi = 0; wi < words.length; wi++) {
        var all = true;
        var could = true;
        for (var ti = 0; ti < words[wi].length; ti++) {
          var kk = words[wi][ti];
          var inTitle = (lists[kk].where[d] & IN_TITLE) !== 0;
          all = all && inTitle;
          could = could && (inTitle || (restTitle[kk] && !knows(lists[kk], d)));
        }
        if (all) titleWords++;
        if (could) titleHigh++;
      }
      if (known || (exact[d] && exactCount === 1)) {
        // The one exact number match is first whatever the heads leave out.
        certain.push(hitOf(d, score, titleWords, exact[d]));
      } else if (exact[d]) {
        return null;
      } else {
        bound = Math.max(bound, titleHigh * 1e6 + high);
        if (open) open.push({ high: titleHigh * 1e6 + high, blocks: unknown });
      }
    }
    if (!whole.length) {
      // A document in no head may hold every term in the rests.
      var unseen = 0;
      var unseenTitle = 0;
      for (var u = 0; u < lists.length; u++) unseen += restWeight[u] * idfs[u];
      words.forEach(function (ks) {
        if (
          ks.every(function (kk) {
            return restTitle[kk];
          })
        ) {
          unseenTitle++;
        }
      });
      bound = Math.max(bound, unseenTitle * 1e6 + unseen);
    }
    certain.sort(byKey);
    var hits = [];
    // Bounds and keys add the same weights in other orders: a hair of slack.
    var slack = bound === -Infinity ? 0 : Math.abs(bound) * 1e-12;
    for (var i = 0; i < certain.length; i++) {
      var h = certain[i];
      var proven = h.key > bound + slack || (single && h.key === bound && h.id <= lists[0].cut);
      if (!proven) break;
      hits.push(h);
    }
    return {
      hits: hits,
      whole: bound === -Infinity && hits.length === certain.length,
      open: open
        ? open.sort(function (x, y) {
            return y.high - x.high;
          })
        : null,
    };
  }

  /** A term's idf over the whole archive (a cut term's df counts its rest). */
  function idfOf(term) {
    return 1 + Math.log(core.documents / (term.df + 1));
  }

  /** What document d's entry in a term's postings weighs (0 without one). */
  function weightIn(term, d) {
    var w = term.where[d];
    var s = 0;
    if (w & IN_BODY) s += BODY_WEIGHT[term.bodyCode[d]];
    if (w & IN_TITLE) s += TITLE_WEIGHT[term.titleCode[d]];
    if (w & IN_META) s += META_BOOST;
    return s;
  }

  /** A hit with the one number it sorts by: exact number first, then title words,
   * then score (a score stays far below 1e6). `rank` and `rankFromHeads` make their
   * hits here, so a proven first page has the keys of the whole ranking. */
  function hitOf(d, score, titleWords, exact) {
    return {
      id: d,
      score: score,
      titleWords: titleWords,
      exact: exact === 1,
      key: exact * 1e9 + titleWords * 1e6 + score,
    };
  }

  function byKey(x, y) {
    return y.key - x.key || x.id - y.id;
  }

  /** The hits of a query's terms, in ranking order. */
  function rank(query, terms, idTerms, postings) {
    var n = core.documents;
    // AND over every term: start from the rarest list.
    var byDf = terms.slice().sort(function (x, y) {
      return postings[x].df - postings[y].df;
    });
    var candidates = byDf.length ? postings[byDf[0]].ids.slice() : [];
    byDf.slice(1).forEach(function (t) {
      var where = postings[t].where;
      candidates = candidates.filter(function (d) {
        return where[d] !== 0;
      });
    });
    var exact = new Uint8Array(n);
    var inSet = new Uint8Array(n);
    candidates.forEach(function (d) {
      inSet[d] = 1;
    });
    idTerms.forEach(function (t) {
      var p = postings[t];
      p.ids.forEach(function (d) {
        if (!(p.where[d] & IN_META)) return;
        exact[d] = 1;
        if (!inSet[d]) {
          inSet[d] = 1;
          candidates.push(d);
        }
      });
    });

    // Plain loops: this runs for every candidate, often the whole archive.
    var words = query.words.map(function (w) {
      return w.terms.map(function (t) {
        return postings[t].where;
      });
    });
    var lists = terms.map(function (t) {
      return postings[t];
    });
    var idfs = lists.map(idfOf);
    var hits = new Array(candidates.length);
    for (var c = 0; c < candidates.length; c++) {
      var d = candidates[c];
      var score = 0;
      for (var k = 0; k < lists.length; k++) score += weightIn(lists[k], d) * idfs[k];
      var titleWords = 0;
      for (var wi = 0; wi < words.length; wi++) {
        var all = true;
        for (var ti = 0; ti < words[wi].length && all; ti++) all = (words[wi][ti][d] & IN_TITLE) !== 0;
        if (all) titleWords++;
      }
      hits[c] = hitOf(d, score, titleWords, exact[d]);
    }
    hits.sort(byKey);
    return hits;
  }

  /** The hits counted by 机构 and 年份 (facts: a `loadFacts` lookup that has them). */
  function facetsOf(hits, facts) {
    var agencyCount = {};
    var yearCount = {};
    hits.forEach(function (h) {
      var ag = facts.agency(h.id);
      var yr = facts.year(h.id);
      if (ag) agencyCount[ag] = (agencyCount[ag] || 0) + 1;
      if (yr >= 0) yearCount[yr] = (yearCount[yr] || 0) + 1;
    });
    return {
      agencies: Object.keys(agencyCount)
        .map(function (k) {
          return { id: Number(k), name: facts.names[k - 1], count: agencyCount[k] };
        })
        .sort(function (x, y) {
          // The names are in Chinese (pinyin) order: ties keep it.
          return y.count - x.count || x.id - y.id;
        }),
      years: Object.keys(yearCount)
        .map(function (k) {
          return { year: Number(k), count: yearCount[k] };
        })
        .sort(function (x, y) {
          return y.year - x.year;
        }),
    };
  }

  /** The 年份 a query is filtered by, or null. */
  function filterYear(filters) {
    return filters.year === "" || filters.year == null ? null : Number(filters.year);
  }

  /** The hits that pass the 机构 and 年份 filters. */
  function filtered(hits, facts, filters) {
    var agencyId = filters.agency ? facts.names.indexOf(filters.agency) + 1 : 0;
    var year = filterYear(filters);
    return hits.filter(function (h) {
      // A 机构 no document has (an old link): nothing, not the documents without one.
      if (filters.agency && (!agencyId || facts.agency(h.id) !== agencyId)) return false;
      if (year !== null && facts.year(h.id) !== year) return false;
      return true;
    });
  }

  // ---- snippets ----

  /** Pieces to highlight: each Han run and word of the query, longest first. */
  function highlightPieces(query) {
    var out = [];
    query.words.forEach(function (w) {
      pieces(w.text).forEach(function (p) {
        out.push(p.text);
      });
      if (w.check) out.push(w.text);
    });
    return unique(out).sort(function (x, y) {
      return y.length - x.length;
    });
  }

  /** [{text, mark}] ranges of `text` where a piece occurs (normalized comparison). */
  function markRanges(text, list) {
    var norm = normalize(text);
    var marked = new Uint8Array(norm.length);
    list.forEach(function (p) {
      var at = norm.indexOf(p);
      while (at >= 0 && p.length > 0) {
        for (var i = at; i < at + p.length; i++) marked[i] = 1;
        at = norm.indexOf(p, at + p.length);
      }
    });
    var out = [];
    var start = 0;
    for (var i = 1; i <= text.length; i++) {
      if (i === text.length || marked[i] !== marked[start]) {
        out.push({ text: text.slice(start, i), mark: marked[start] === 1 });
        start = i;
      }
    }
    return out;
  }

  /** Where `word` (normalized) first occurs in document `id`'s text: {k, text, at}
   * with `text` part k (and k + 1 when the match runs into it) and `at` the match's
   * start in it; null when it does not occur. Only the parts whose filters may hold
   * all the word's terms are loaded, one window after another. */
  function findInText(id, record, word) {
    var windows = windowsFor(record, word.hashes);
    var i = 0;
    function next() {
      if (i >= windows.length) return Promise.resolve(null);
      var k = windows[i++][0];
      return loadPart(id, record, k).then(function (text) {
        var at = normalize(text).indexOf(word.text);
        if (at >= 0) return { k: k, text: text, at: at };
        if (k + 1 >= record.parts) return next();
        // The phrase may run across the boundary.
        return loadPart(id, record, k + 1).then(function (more) {
          var both = text + more;
          var at2 = normalize(both).indexOf(word.text);
          if (at2 >= 0 && at2 < text.length) return { k: k, text: both, at: at2 };
          return next();
        });
      });
    }
    return next();
  }

  /**
   * What showing one hit takes: its record, whether it holds every checked word as
   * typed (in title, 机构, numbers, date or text; a hit found by its exact 索引号/文号
   * counts too) and every quoted one, and its snippet's source:
   * {record, exact, quotesHeld, text, at, k}, `at` −1 when no word is in the text (the
   * snippet is then the text's beginning).
   */
  function inspect(hit, query) {
    return loadDoc(hit.id).then(function (record) {
      if (!record) return null;
      var fields = [record.title, record.agency, record.published, record.indexNo, record.docNo].map(function (f) {
        return squash(normalize(f || ""));
      });
      return Promise.all(
        query.words.map(function (w) {
          return findInText(hit.id, record, w);
        })
      ).then(function (places) {
        var asTyped = query.words.map(function (w, i) {
          if (hit.exact || !w.check || places[i]) return true;
          return fields.some(function (f) {
            return f.indexOf(w.text) >= 0;
          });
        });
        var place = places.filter(Boolean)[0];
        var out = {
          record: record,
          exact: asTyped.every(Boolean),
          quotesHeld: query.words.every(function (w, i) {
            return !w.quoted || asTyped[i];
          }),
          text: "",
          at: -1,
          k: 0,
        };
        if (place) {
          out.text = place.text;
          out.at = place.at;
          out.k = place.k;
          return out;
        }
        if (!record.parts) return out;
        return loadPart(hit.id, record, 0).then(function (text) {
          out.text = text;
          return out;
        });
      });
    });
  }

  /**
   * Results in their final order, a page at a time: `next(n)` resolves to the next n
   * inspected hits. When a word is checked, hits are inspected in ranking order and
   * those holding every word as typed come first; the rest follow. A quoted query
   * leaves out hits without its quoted words as typed. Only the hits needed to fill a page are inspected.
   */
  function resultPager(result) {
    var query = result.query;
    var cursor = 0;
    var ready = [];
    var apart = [];
    var exactFound = 0;
    /** Hits up to cursor + n, or every hit: a first page proven from the heads of
     * broad terms gets the rest of the ranking when a page needs more. */
    function ensure(n) {
      if (result.complete || cursor + n <= result.hits.length) return Promise.resolve();
      return result.finish();
    }
    function fill(n) {
      if (ready.length >= n) return Promise.resolve();
      return ensure(n - ready.length).then(function () {
        if (cursor >= result.hits.length) return;
        var batch = result.hits.slice(cursor, cursor + n - ready.length);
        cursor += batch.length;
        return Promise.all(
          batch.map(function (hit) {
            return inspect(hit, query).then(function (r) {
              if (r) r.hit = hit;
              return r;
            });
          })
        ).then(function (items) {
          items.forEach(function (it) {
            // A quoted query leaves out hits without its quoted words as typed.
            if (!it || !it.quotesHeld) return;
            if (!query.needsCheck || it.exact) ready.push(it);
            else apart.push(it);
            exactFound++;
          });
          return fill(n);
        });
      });
    }
    return {
      /** The next n results, each given to `onItem` as soon as it and those before it
       * are in (when no word is checked, a hit's place does not depend on its text);
       * resolves to them all. With a checked word, as `next`. */
      stream: function (n, onItem) {
        if (query.needsCheck) {
          return this.next(n).then(function (page) {
            page.forEach(onItem);
            return page;
          });
        }
        return ensure(n).then(function () {
          var batch = result.hits.slice(cursor, cursor + n);
          cursor += batch.length;
          var out = [];
          return batch
            .map(function (hit) {
              return inspect(hit, query).then(function (r) {
                if (r) r.hit = hit;
                return r;
              });
            })
            .reduce(function (prev, item) {
              return prev.then(function () {
                return item.then(function (it) {
                  if (!it || !it.quotesHeld) return;
                  exactFound++;
                  out.push(it);
                  onItem(it);
                });
              });
            }, Promise.resolve())
            .then(function () {
              return out;
            });
        });
      },
      next: function (n) {
        return fill(n).then(function () {
          var out = ready.splice(0, n);
          if (out.length < n && result.complete && cursor >= result.hits.length) {
            out = out.concat(apart.splice(0, n - out.length));
          }
          return out;
        });
      },
      /** Whether every result has been given. */
      done: function () {
        return result.complete && cursor >= result.hits.length && !ready.length && !apart.length;
      },
      /** Hits not inspected yet (null while the ranking is not whole), and those found
       * to be results (for a quoted query, those holding the quoted words as typed). */
      unchecked: function () {
        return result.complete ? result.hits.length - cursor : null;
      },
      exactFound: function () {
        return exactFound;
      },
    };
  }

  /** A window of `text` around `at` (or its start when −1): ranges to show, and
   * whether text was cut before and after. */
  function snippet(text, at, list) {
    var start = at < 0 ? 0 : Math.max(0, at - 30);
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    return {
      ranges: markRanges(text.slice(start, end), list),
      before: start > 0,
      after: end < text.length,
    };
  }

  /** The name of the attachment whose text part `k` of a record is ("" for the body,
   * and for k = −1: no match in the text). */
  function attachmentOf(record, k) {
    var name = "";
    (record.attachments || []).forEach(function (a) {
      if (k >= 0 && a.part <= k) name = a.name;
    });
    return name;
  }

  function docUrl(record) {
    return new URL(record.url + "index.html", siteRoot).href;
  }

  var api = {
    // Data file callbacks.
    core: function (c) {
      core = c;
      arrived("core", core);
    },
    facts: function (n, s) {
      arrived("f/" + n, decodeFacts(n, s));
    },
    agencies: function (names) {
      arrived("f/agencies", names);
    },
    shard: function (n, terms) {
      shards[n] = terms;
      arrived("t/" + n, terms);
    },
    rest: function (n, i, j, postings) {
      arrived("r/" + n + "-" + i + "-" + j, postings);
    },
    doc: function (id, record) {
      arrived("d/" + id, record);
    },
    text: function (id, g, parts) {
      arrived("x/" + id + "-" + g, parts);
    },
    // Engine, exposed for tests and the benchmark.
    loadScript: defaultLoadScript,
    tokenize: tokenize,
    queryTerms: queryTerms,
    compactId: compactId,
    hashTerm: hashTerm,
    parseQuery: parseQuery,
    search: search,
    loadDocs: loadDocs,
    results: resultPager,
    inspect: inspect,
    snippet: snippet,
    attachmentOf: attachmentOf,
    highlightPieces: highlightPieces,
    markRanges: markRanges,
    docUrl: docUrl,
    loadedFiles: loadedFiles,
    timing: timing,
    setBase: function (scriptUrl) {
      indexBase = new URL("../search/", scriptUrl).href;
      siteRoot = new URL("../", scriptUrl).href;
    },
  };
  global.gongkaiSearch = api;

  // ---- the page ----

  function el(tag, attrs, children) {
    var e = doc.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? doc.createTextNode(c) : c);
    });
    return e;
  }

  function rangesToNodes(ranges) {
    return ranges.map(function (r) {
      return r.mark ? el("mark", {}, [r.text]) : doc.createTextNode(r.text);
    });
  }

  function initPage() {
    var form = doc.getElementById("search-form");
    var input = doc.getElementById("search-input");
    var results = doc.getElementById("results");
    var status = doc.getElementById("search-status");
    var agencySelect = doc.getElementById("search-agency");
    var yearSelect = doc.getElementById("search-year");
    var more = doc.getElementById("search-more");
    if (!form || !input || !results || !status) return;
    var started = 0;
    var current = null;
    var pager = null;
    var shown = 0;
    var generation = 0;

    var params = new URLSearchParams(global.location.search);
    input.value = params.get("q") || "";
    var filters = { agency: params.get("agency") || "", year: params.get("year") || "" };

    function setUrl() {
      var p = new URLSearchParams();
      if (input.value) p.set("q", input.value);
      if (filters.agency) p.set("agency", filters.agency);
      if (filters.year) p.set("year", filters.year);
      try {
        global.history.replaceState(null, "", "?" + p.toString());
      } catch (e) {
        // Some file:// setups refuse; the search still works.
      }
    }

    function fillSelect(select, all, options, value, label) {
      if (!select) return;
      while (select.firstChild) select.removeChild(select.firstChild);
      select.appendChild(el("option", { value: "" }, [all]));
      var found = false;
      options.forEach(function (o) {
        var v = String(o.value);
        var opt = el("option", { value: v }, [label(o)]);
        if (v === value) {
          opt.defaultSelected = opt.selected = true;
          found = true;
        }
        select.appendChild(opt);
      });
      if (value && !found) {
        var opt = el("option", { value: value }, [value + "（0）"]);
        opt.defaultSelected = opt.selected = true;
        select.appendChild(opt);
      }
      select.disabled = false;
    }

    function renderItem(item, list) {
      var r = item.record;
      var link = el("a", { href: docUrl(r) }, rangesToNodes(markRanges(r.title, list)));
      var meta = [r.agency, r.published, r.docNo].filter(Boolean).join(" · ");
      var sn = snippet(item.text, item.at, list);
      var p = el("p", { class: "search-snippet" }, rangesToNodes(sn.ranges));
      if (sn.before || item.k > 0) p.insertBefore(doc.createTextNode("…"), p.firstChild);
      if (sn.after || item.k + 1 < r.parts) p.appendChild(doc.createTextNode("…"));
      var attachment = attachmentOf(r, item.at < 0 ? -1 : item.k);
      if (attachment) {
        // The match is in an attachment's text: say which, before the words.
        p.insertBefore(
          el("span", { class: "search-attachment" }, [
            /^附件/.test(attachment) ? attachment : "附件：" + attachment,
          ]),
          p.firstChild
        );
      }
      results.appendChild(
        el("li", { "data-doc": String(item.hit.id), "data-exact": item.exact ? "1" : "0" }, [
          el("h2", { class: "search-title" }, [link]),
          el("p", { class: "search-meta" }, [meta]),
          p,
        ])
      );
    }

    function countText(q) {
      if (!current.complete) return "正在统计结果总数…";
      if (!current.query.exactOnly) {
        return current.total ? "找到 " + current.total + " 条结果" : "没有找到与“" + q + "”相符的文件";
      }
      // A quoted query: a hit is known to hold the words as typed once inspected.
      var found = pager.exactFound();
      var open = pager.unchecked();
      if (!open) return found ? "找到 " + found + " 条完全一致的结果" : "没有找到与“" + q + "”完全一致的文件";
      return "找到至少 " + found + " 条、至多 " + (found + open) + " 条完全一致的结果";
    }

    function renderMore() {
      var gen = generation;
      var list = highlightPieces(current.query);
      timing.first = 0;
      return pager.stream(PAGE_SIZE, function (item) {
        if (gen !== generation) return;
        renderItem(item, list);
        if (!timing.first) timing.first = now();
      }).then(function (page) {
        if (gen !== generation) return;
        timing.docs = now();
        if (!timing.first) timing.first = timing.docs;
        shown += page.length;
        if (more) more.hidden = pager.done();
        status.textContent = countText(input.value.trim());
        var done = now();
        status.setAttribute("data-query-ms", (done - started).toFixed(1));
        status.setAttribute("data-page-ms", done.toFixed(1));
        status.setAttribute("data-first-ms", (timing.first || done).toFixed(1));
        status.setAttribute("data-files", loadedFiles.join(" "));
        status.setAttribute(
          "data-timing",
          ["core", "terms", "ranked", "first", "docs"]
            .map(function (k) {
              return k + "=" + (timing[k] - timing.start).toFixed(1);
            })
            .join(" ")
        );
      });
    }

    function finished() {
      doc.documentElement.setAttribute("data-search-state", "done");
    }

    function run() {
      var q = input.value.trim();
      generation++;
      var gen = generation;
      started = now();
      while (results.firstChild) results.removeChild(results.firstChild);
      if (more) more.hidden = true;
      if (!q) {
        status.textContent = "请输入要搜索的词语、索引号或文号。";
        doc.documentElement.setAttribute("data-search-state", "done");
        return;
      }
      status.textContent = "正在搜索…";
      search(q, filters)
        .then(function (r) {
          if (gen !== generation) return;
          current = r;
          pager = resultPager(r);
          shown = 0;
          // The first page's documents first; the filters' counts need every hit's
          // 机构 and 年份 (the fact files): drawn once the results are on screen.
          return renderMore()
            .then(function () {
              return gen === generation ? r.facets() : null;
            })
            .then(function (facets) {
              if (facets && gen === generation) {
                fillFilters(facets);
                // The count, once every hit is ranked.
                status.textContent = countText(q);
                if (more) more.hidden = pager.done();
              }
              if (gen === generation) finished();
            });
        })
        .catch(function (e) {
          status.textContent = "搜索索引无法加载（" + e.message + "），请确认 search 文件夹完整。";
          doc.documentElement.setAttribute("data-search-state", "error");
        });
    }

    function fillFilters(facets) {
      fillSelect(
        agencySelect,
        "全部机构",
        facets.agencies.map(function (a) {
          return { value: a.name, count: a.count };
        }),
        filters.agency,
        function (o) {
          return o.value + "（" + o.count + "）";
        }
      );
      fillSelect(
        yearSelect,
        "全部年份",
        facets.years.map(function (y) {
          return { value: y.year, count: y.count };
        }),
        filters.year,
        function (o) {
          return o.value + "年（" + o.count + "）";
        }
      );
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      setUrl();
      run();
    });
    [
      [agencySelect, "agency"],
      [yearSelect, "year"],
    ].forEach(function (pair) {
      if (!pair[0]) return;
      pair[0].addEventListener("change", function () {
        filters[pair[1]] = pair[0].value;
        setUrl();
        run();
      });
    });
    if (more) {
      more.addEventListener("click", function () {
        var first = shown;
        renderMore().then(function () {
          var next = results.children[first];
          var link = next && next.querySelector("a");
          if (link) link.focus();
          finished();
        });
      });
    }
    run();
  }

  if (doc && doc.getElementById) {
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", initPage);
    else initPage();
  }
})(typeof window !== "undefined" ? window : globalThis);
