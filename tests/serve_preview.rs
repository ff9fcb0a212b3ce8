//! `gongkai serve` on a free port: pages and assets with the right types, no way out of
//! the output folder, rebuilds on change, errors shown while the last good build stays.

mod offline_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use offline_support::mini_archive;

struct Server {
    child: Child,
    port: u16,
    url: String,
    /// The folder the server builds into.
    output: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gongkai"))
            .args(["serve", "--root", root.to_str().unwrap(), "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gongkai serve starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let l = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.starts_with("serving ") {
                    let _ = tx.send(line.clone());
                }
                l.lock().unwrap().push(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no `serving` line: {:?}", log.lock().unwrap()));
        let url = line
            .split(" at ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string();
        let port = url
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let output = PathBuf::from(
            line.split("(built into ")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap(),
        );
        Server {
            child,
            port,
            url,
            output,
            log,
        }
    }

    /// Sends one raw request line (so nothing normalises the path) and reads the answer.
    fn raw(&self, method: &str, target: &str) -> Reply {
        self.raw_for_host(method, target, "127.0.0.1")
    }

    /// As [`Server::raw`], with `host` (and the server's port) as the Host header.
    fn raw_for_host(&self, method: &str, target: &str, host: &str) -> Reply {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "{method} {target} HTTP/1.1\r\nHost: {host}:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut bytes = Vec::new();
        let _ = s.read_to_end(&mut bytes);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Reply {
            status,
            head: head.to_ascii_lowercase(),
            body: body.to_string(),
        }
    }

    fn get(&self, target: &str) -> Reply {
        self.raw("GET", target)
    }

    /// Polls `target` until `pred` holds, for up to 20 s.
    fn wait_for(&self, target: &str, what: &str, pred: impl Fn(&Reply) -> bool) -> Reply {
        let start = Instant::now();
        loop {
            let r = self.get(target);
            if pred(&r) {
                return r;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!(
                    "{what}: not seen after 20 s; last reply {} {}\nlog: {:#?}",
                    r.status,
                    r.body,
                    self.log.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Ctrl-C first, so the server removes its folder; killed if it does not stop.
        #[cfg(unix)]
        {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-INT", &pid]).status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    /// Status line and headers, lower case.
    head: String,
    body: String,
}

impl Reply {
    fn content_type(&self) -> &str {
        self.head
            .lines()
            .find_map(|l| l.strip_prefix("content-type: "))
            .unwrap_or("")
    }
}

fn site() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    // A base path, so the test shows `serve` serves at `/` whatever site.toml says.
    mini_archive(&root, "https://www.example.gov.cn/xxgk/");
    (dir, root)
}

#[test]
fn serves_pages_and_assets_with_their_types() {
    let (_dir, root) = site();
    let server = Server::start(&root);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );

    let home = server.get("/");
    assert_eq!(home.status, 200, "{}", home.body);
    assert_eq!(home.content_type(), "text/html; charset=utf-8");
    assert!(home.body.contains("测试档案"), "{}", home.body);
    assert!(
        home.body.contains("href=\"/2021/notice/\""),
        "{}",
        home.body
    );
    // The reload script is in the response, never in the built file.
    assert!(home.body.contains("EventSource"), "{}", home.body);
    let built = std::fs::read_to_string(server.output.join("index.html")).unwrap();
    assert!(!built.contains("EventSource"));

    let doc = server.get("/2021/notice/");
    assert_eq!(doc.status, 200);
    assert!(doc.body.contains("测试通知一"));
    for (path, ty) in [
        ("/assets/mini.css", "text/css; charset=utf-8"),
        ("/assets/mini.js", "javascript; charset=utf-8"),
        ("/assets/bg.png", "image/png"),
        ("/sitemap.xml", "xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.content_type().ends_with(ty),
            "{path}: {}",
            r.content_type()
        );
        assert!(
            !r.body.contains("EventSource"),
            "{path} got the reload script"
        );
    }
    // A folder without its slash is redirected, so relative links inside work.
    let r = server.get("/2021/notice?x=1");
    assert_eq!(r.status, 301);
    assert!(r.head.contains("location: /2021/notice/?x=1"), "{}", r.head);

    let missing = server.get("/no/such/page/");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type(), "text/html; charset=utf-8");
    assert!(
        missing.body.contains("id=\"not-found\""),
        "{}",
        missing.body
    );

    // A page elsewhere reaching 127.0.0.1 under its own (rebound) name is refused.
    let rebound = server.raw_for_host("GET", "/", "attacker.example");
    assert_eq!(rebound.status, 421, "{}", rebound.head);
    assert!(!rebound.body.contains("测试档案"));

    let head = server.raw("HEAD", "/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(server.raw("POST", "/").status, 405);
}

#[test]
fn nothing_outside_the_output_is_served() {
    let (_dir, root) = site();
    let server = Server::start(&root);
    const MARKER: &str = "secret-8f3a1c";
    // Beside the output folder, where `../` from it would land.
    let beside = server.output.parent().unwrap().join("secret.txt");
    std::fs::write(&beside, MARKER).unwrap();
    assert!(server.output.join("..").join("secret.txt").is_file());
    let abs = beside.to_str().unwrap().to_string();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&beside, server.output.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(server.output.parent().unwrap(), server.output.join("up"))
            .unwrap();
    }
    let attacks = [
        "/../secret.txt".to_string(),
        "/assets/../../secret.txt".into(),
        "/%2e%2e/secret.txt".into(),
        "/%2E%2E/secret.txt".into(),
        "/.%2e/secret.txt".into(),
        "/%2e%2e%2fsecret.txt".into(),
        "/..%2fsecret.txt".into(),
        "/assets/..%2f..%2fsecret.txt".into(),
        "/..%5csecret.txt".into(),
        "/..\\secret.txt".into(),
        format!("/{abs}"),
        format!("/{}", abs.replace('/', "%2f")),
        abs.clone(),
        "//etc/passwd".into(),
        "/../../../../../../etc/passwd".into(),
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd".into(),
        format!("http://127.0.0.1:{}/../secret.txt", server.port),
        "/leak.txt".into(),
        "/up/secret.txt".into(),
    ];
    for target in &attacks {
        let r = server.get(target);
        assert!(
            !r.body.contains(MARKER) && !r.body.contains("root:x:0"),
            "{target} escaped the output folder"
        );
        assert_ne!(r.status, 200, "{target}: {}", r.status);
    }
    // The same file, asked for inside the output, is served: the attacks were refused
    // for where they lead, not because the server is broken.
    std::fs::copy(&beside, server.output.join("inside.txt")).unwrap();
    let r = server.get("/inside.txt");
    assert_eq!(r.status, 200);
    assert!(r.body.contains(MARKER));
}

#[test]
fn changes_are_served_and_a_broken_build_keeps_the_last_good_one() {
    let (_dir, root) = site();
    let server = Server::start(&root);
    let doc = root.join("content/2021/notice.md");
    let original = std::fs::read_to_string(&doc).unwrap();

    // The live-reload stream sends the state at once.
    let mut events = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        events,
        "GET /__gongkai/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let mut events = BufReader::new(events);
    let mut next_event = || {
        let mut line = String::new();
        loop {
            line.clear();
            events.read_line(&mut line).unwrap();
            if let Some(data) = line.trim().strip_prefix("data:") {
                return data.trim().to_string();
            }
        }
    };
    assert!(next_event().contains("\"generation\":1"));

    let t = Instant::now();
    std::fs::write(&doc, original.replace("测试通知一", "改过的通知")).unwrap();
    server.wait_for("/2021/notice/", "the new title", |r| {
        r.status == 200 && r.body.contains("改过的通知")
    });
    eprintln!("change visible after {} ms", t.elapsed().as_millis());
    assert!(next_event().contains("\"generation\":2"), "no reload event");
    // The search index is current when the reload is sent: the new title is in the
    // document's record and its terms in the shards.
    let search_text = |sub: &str| -> String {
        walkdir::WalkDir::new(server.output.join("search").join(sub))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect()
    };
    assert!(search_text("d").contains("\"title\":\"改过的通知\""));
    assert!(search_text("t").contains("\"改过\":"));

    // Broken front matter: the error shows over the last good page.
    std::fs::write(
        &doc,
        original.replace("发布时间: 2021-03-01", "发布时间: 2021-13-45"),
    )
    .unwrap();
    let r = server.wait_for("/2021/notice/", "the error overlay", |r| {
        r.body.contains("gongkai-serve-errors\" role=\"alert\"")
    });
    assert_eq!(r.status, 200);
    assert!(r.body.contains("改过的通知"), "the last good page is gone");
    assert!(
        r.body.contains("notice.md:"),
        "the overlay does not name the file"
    );
    let ev = next_event();
    assert!(
        ev.contains("notice.md") && ev.contains("\"generation\":2"),
        "{ev}"
    );
    assert!(
        server
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("notice.md:") && l.contains("发布时间")),
        "the terminal does not show the error: {:#?}",
        server.log.lock().unwrap()
    );

    // Fixed: the overlay goes, the page follows the file again.
    std::fs::write(&doc, original.replace("测试通知一", "再改的通知")).unwrap();
    // (The new files are in place a moment before the build reports success.)
    server.wait_for("/2021/notice/", "the fixed page without overlay", |r| {
        r.body.contains("再改的通知") && !r.body.contains("gongkai-serve-errors\" role")
    });

    // site.toml is watched too.
    let toml = root.join("site.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("测试档案", "改名的档案")).unwrap();
    server.wait_for("/", "the new site title", |r| r.body.contains("改名的档案"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly() {
    let (_dir, root) = site();
    let mut server = Server::start(&root);
    // An open live-reload connection must not keep the server alive.
    let mut events = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        events,
        "GET /__gongkai/events HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let work = server.output.parent().unwrap().to_path_buf();
    assert!(work.is_dir());
    let pid = server.child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running 10 s after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        !work.exists(),
        "the preview folder {} was left",
        work.display()
    );
}

#[test]
fn a_folder_without_site_toml_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args([
            "serve",
            "--root",
            dir.path().to_str().unwrap(),
            "--port",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("site.toml"));
}
