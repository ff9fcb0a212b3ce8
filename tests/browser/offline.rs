//! Headless Chromium opens the offline build of the demo from file://, walks home →
//! list page → document and back, switches 长者模式 and runs a search, and nothing is
//! fetched from the network on the way.
//!
//! Driven over the DevTools protocol (a WebSocket). Needs `chromium` on PATH
//! (`apt-get install chromium`); set GONGKAI_SKIP_BROWSER=1 to skip where there is none.

#[path = "../common/mod.rs"]
mod common;
mod headless;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Every URL the page asked for.
    requests: Vec<String>,
    /// Uncaught script errors.
    exceptions: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch() -> Option<Browser> {
        let chrome = headless::required()?;
        let profile = tempfile::tempdir().unwrap();
        let mut child = headless::command(&chrome, profile.path())
            .args([
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e})", chrome.display()));
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut port = None;
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(rest) = line
                .trim()
                .strip_prefix("DevTools listening on ws://127.0.0.1:")
            {
                port = rest.split('/').next().map(str::to_string);
                break;
            }
            line.clear();
        }
        // Keep draining, so chromium never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stderr.read_to_end(&mut sink);
        });
        let port = port.expect("chromium printed its DevTools address");
        let pages = http_get(&port, "/json/list");
        let list: Value = serde_json::from_str(&pages).unwrap();
        let ws_url = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string();
        let (ws, _) = tungstenite::connect(ws_url.as_str()).unwrap();
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        let mut b = Browser {
            child,
            ws,
            next_id: 1,
            requests: Vec::new(),
            exceptions: Vec::new(),
            _profile: profile,
        };
        b.call("Page.enable", json!({}));
        b.call("Runtime.enable", json!({}));
        b.call("Network.enable", json!({}));
        Some(b)
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e}"),
        }
    }

    /// Like [`Browser::call`], but a protocol error (the page navigated away while the
    /// command ran) is returned rather than fatal.
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).unwrap();
        loop {
            let m = self.ws.read().unwrap();
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            match v["method"].as_str() {
                Some("Network.requestWillBeSent") => {
                    if let Some(u) = v["params"]["request"]["url"].as_str() {
                        self.requests.push(u.to_string());
                    }
                }
                Some("Runtime.exceptionThrown") => {
                    self.exceptions
                        .push(v["params"]["exceptionDetails"].to_string());
                }
                _ => {}
            }
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    return Err(e.clone());
                }
                return Ok(v["result"].clone());
            }
        }
    }

    /// Evaluates `js` in the page (awaiting a promise) and returns its value.
    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{js}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Waits until `js` is true in a fully loaded page.
    fn wait_until(&mut self, js: &str, what: &str) {
        let start = Instant::now();
        let cond = format!("document.readyState === 'complete' && !!({js})");
        loop {
            let r = self.try_call(
                "Runtime.evaluate",
                json!({"expression": cond, "returnByValue": true}),
            );
            // Errors while the page is being replaced are expected: ask again.
            if r.is_ok_and(|r| r["result"]["value"] == json!(true)) {
                return;
            }
            if start.elapsed() > Duration::from_secs(15) {
                let at = self.eval("location.href");
                panic!("{what}: not reached after 15 s (at {at})");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn href(&mut self) -> String {
        self.eval("location.href")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Clicks the first element `js` (an expression) finds and waits for the next page.
    fn click_through(&mut self, js: &str, what: &str) -> String {
        let before = self.href();
        let target = self.eval(&format!(
            "(() => {{ const a = {js}; if (!a) return null; const h = a.href; setTimeout(() => a.click(), 0); return h; }})()"
        ));
        let target = target
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no such link on {before}"))
            .to_string();
        assert!(
            target.starts_with("file://"),
            "{what}: {target} does not stay on file://"
        );
        assert!(
            !target.split(['?', '#']).next().unwrap().ends_with('/'),
            "{what}: {target} is a folder link"
        );
        let t = serde_json::to_string(&target).unwrap();
        self.wait_until(&format!("location.href === {t}"), what);
        target
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(port: &str, path: &str) -> String {
    let start = Instant::now();
    loop {
        if let Ok(s) = TcpStream::connect(format!("127.0.0.1:{port}")) {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut w = &s;
            write!(w, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
            // DevTools keeps the connection open: read exactly Content-Length bytes.
            let mut r = BufReader::new(&s);
            let mut len = 0;
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_ok() {
                return String::from_utf8_lossy(&body).into_owned();
            }
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no DevTools");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The demo built as an offline copy published at a base URL, in `dir`.
fn demo_offline(dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join("offline");
    common::build(
        &common::repo(),
        &out,
        &[
            "--offline",
            "--base-url",
            "https://www.example.gov.cn/xxgk/",
        ],
    );
    out
}

/// Nothing was fetched from the network and no script failed.
fn assert_offline_and_quiet(b: &Browser) {
    let network: Vec<&String> = b
        .requests
        .iter()
        .filter(|u| !u.starts_with("file://") && !u.starts_with("data:"))
        .collect();
    assert!(network.is_empty(), "fetched from the network: {network:?}");
    assert!(
        b.exceptions.is_empty(),
        "script errors: {:#?}",
        b.exceptions
    );
}

/// JS: the first link inside <main> whose target is a document page (not a list).
const DOC_LINK: &str = "[...document.querySelectorAll('main a[href]')].find(a => \
    a.href.startsWith('file://') && a.href.endsWith('/index.html') && \
    !/\\/(year|agency|topic|search|page)\\//.test(a.href) && \
    a.href !== new URL('../../index.html', location.href).href)";

#[test]
fn offline_copy_works_from_file_urls() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo_offline(dir.path());
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let titles: Vec<String> = common::documents(&common::repo().join("content"))
        .into_iter()
        .map(|d| d.front.title)
        .collect();
    let home = format!("file://{}", out.join("index.html").display());
    b.call("Page.navigate", json!({ "url": home }));
    b.wait_until("document.querySelector('main')", "the home page");
    // The style sheet is read from file:// (the skip link is moved off screen by it).
    let styled =
        b.eval("getComputedStyle(document.querySelector('.skip-link') || document.body).position");
    assert_ne!(styled, json!("static"), "the style sheet did not load");

    // Home → a list page (按年份, then one year) → a document → back.
    b.click_through(
        "document.querySelector('nav a[href$=\"year/index.html\"]')",
        "the 按年份 page",
    );
    let list = b.click_through(
        "[...document.querySelectorAll('main a[href]')].find(a => /\\/year\\/[^/]+\\/index\\.html$/.test(a.href))",
        "a year's list",
    );
    let doc = b.click_through(DOC_LINK, "a document from the list");
    let title = b.eval("document.querySelector('main h1').textContent.trim()");
    let title = title.as_str().unwrap().to_string();
    assert!(
        titles.contains(&title),
        "{doc}: heading `{title}` is no document's title"
    );
    let _ = b.try_call("Runtime.evaluate", json!({"expression": "history.back()"}));
    let l = serde_json::to_string(&list).unwrap();
    b.wait_until(&format!("location.href === {l}"), "back to the list");

    // 长者模式: the header button switches it, and says so with aria-pressed.
    b.click_through(DOC_LINK, "the document again");
    let toggle = "document.getElementById('elder-toggle')";
    b.wait_until(
        &format!("{toggle} && !{toggle}.hidden"),
        "the 长者模式 button",
    );
    assert_eq!(
        b.eval(&format!("{toggle}.getAttribute('aria-pressed')")),
        json!("false")
    );
    let small = b.eval("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)");
    b.eval(&format!("{toggle}.click()"));
    assert_eq!(
        b.eval(&format!("{toggle}.getAttribute('aria-pressed')")),
        json!("true")
    );
    let large = b.eval("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)");
    assert!(
        large.as_f64().unwrap() > small.as_f64().unwrap(),
        "长者模式 did not enlarge the text: {small} → {large}"
    );
    b.eval(&format!("{toggle}.click()"));
    assert_eq!(
        b.eval(&format!("{toggle}.getAttribute('aria-pressed')")),
        json!("false")
    );

    // Search, from the header form, when the search has landed.
    if out.join("search/index.html").is_file() && out.join("search").read_dir().unwrap().count() > 1
    {
        let word: String = title.chars().take(4).collect();
        let w = serde_json::to_string(&word).unwrap();
        b.eval(&format!(
            "(() => {{ const f = document.querySelector('form[role=search]'); \
             f.querySelector('input[name=q]').value = {w}; setTimeout(() => f.submit(), 0); }})()"
        ));
        b.wait_until(
            &format!(
                "location.pathname.endsWith('/search/index.html') && \
                 [...document.querySelectorAll('main a[href]')].some(a => a.textContent.includes({w}))"
            ),
            "search results",
        );
    } else {
        eprintln!("search not in this build yet: the search step was skipped");
    }

    assert_offline_and_quiet(&b);
}

/// Saves the page as a PNG under the test's temporary target folder, to look at.
fn screenshot(b: &mut Browser, name: &str) {
    let shot = b.call("Page.captureScreenshot", json!({"format": "png"}));
    let data = shot["data"].as_str().unwrap_or("");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = base64_decode(data);
    assert!(bytes.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    eprintln!("screenshot: {}", dir.join(format!("{name}.png")).display());
}

fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            _ => 63,
        }
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | value(c) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// The column tree as a person uses it from the USB copy: the navigation to a column,
/// its child, a document's breadcrumb back through the tree, the 依申请公开 page with
/// the office's details, and a footer with no separator left dangling.
#[test]
fn the_column_tree_works_from_file_urls() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo_offline(dir.path());
    let Some(mut b) = Browser::launch() else {
        return;
    };
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false}),
    );
    let home = format!("file://{}", out.join("index.html").display());
    b.call("Page.navigate", json!({ "url": home }));
    b.wait_until("document.querySelector('main')", "the home page");
    screenshot(&mut b, "home");
    let nav = |name: &str| {
        format!(
            "[...document.querySelectorAll('.site-nav a')].find(a => a.textContent.trim() === '{name}')"
        )
    };
    b.click_through(&nav("法定主动公开内容"), "the 法定主动公开内容 column");
    assert_eq!(
        b.eval("document.querySelector('main h1').textContent.trim()"),
        json!("法定主动公开内容")
    );
    assert_eq!(
        b.eval("document.querySelector('.site-nav a[aria-current]').textContent.trim()"),
        json!("法定主动公开内容")
    );
    b.click_through(
        "[...document.querySelectorAll('.column-children a')].find(a => a.textContent.trim() === '政策文件')",
        "its child 政策文件",
    );
    screenshot(&mut b, "column");
    let listed = b.eval("document.querySelectorAll('main .doc-item').length");
    assert!(listed.as_u64().unwrap() > 0, "政策文件 lists nothing");
    b.click_through(
        "document.querySelector('main .doc-item-title')",
        "the newest 政策文件",
    );
    assert_eq!(
        b.eval("[...document.querySelectorAll('.breadcrumb a')].map(a => a.textContent.trim()).join('>')"),
        json!("首页>法定主动公开内容>政策文件")
    );

    b.click_through(&nav("依申请公开"), "the 依申请公开 page");
    screenshot(&mut b, "application");
    let office = b.eval("document.querySelector('.office').innerText");
    let office = office.as_str().unwrap_or("");
    let toml = std::fs::read_to_string(common::repo().join("site.toml")).unwrap();
    for key in ["address", "phone", "postcode", "email"] {
        let value = toml
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .and_then(|v| v.split('"').next())
            .unwrap();
        assert!(
            office.contains(value),
            "the office's {key} {value} is not shown: {office}"
        );
    }
    // The offline footer: its identifiers, and no link line left with a lone ｜.
    assert_eq!(
        b.eval("document.querySelector('.footer-links')"),
        json!(null)
    );
    let footer = b.eval("document.querySelector('.site-footer').innerText");
    let footer = footer.as_str().unwrap_or("");
    assert!(
        footer.contains("青ICP备") && footer.contains("网站标识码"),
        "{footer}"
    );
    assert!(
        footer
            .lines()
            .all(|l| !l.trim().starts_with('｜') && !l.trim().ends_with('｜')),
        "{footer}"
    );

    assert_offline_and_quiet(&b);
}
