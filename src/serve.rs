//! `gongkai serve`: a local preview. Builds the archive into a folder the server owns (a
//! temporary folder, removed on exit, so `public/` is never touched), serves it over
//! HTTP, watches the sources and rebuilds on every change; open pages reload by
//! themselves (server-sent events). A failed rebuild prints its errors and shows them
//! over the page, while the last good build keeps being served.
//!
//! The reload script and the error overlay are added to HTML *responses* only; the
//! built files stay as `build` wrote them.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use percent_encoding::percent_decode_str;
use tokio::sync::watch;

use crate::config::SiteConfig;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::site::incremental::Incremental;
use crate::site::{BuildOptions, BuildSummary};

/// What `gongkai serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The archive's folder (holding site.toml).
    pub root: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
    pub bind: IpAddr,
    /// Open the default browser once serving.
    pub open: bool,
}

/// The sources a change in which means a rebuild, relative to the root.
pub const WATCHED_DIRS: &[&str] = &["content", "themes", "templates", "static"];

/// Where the live-reload events are sent. Chosen so no site path can collide with it.
const EVENTS_PATH: &str = "/__gongkai/events";

/// Builds one archive into the server's folder, incrementally after the first build.
pub struct Preview {
    pub root: PathBuf,
    pub output: PathBuf,
    pub base_url: String,
    builder: Mutex<Incremental>,
}

impl Preview {
    pub fn new(root: PathBuf, output: PathBuf, base_url: String) -> Preview {
        let builder = Incremental::new(BuildOptions {
            root: root.clone(),
            output: Some(output.clone()),
            base_url: Some(base_url.clone()),
            offline: false,
            ..Default::default()
        });
        Preview {
            root,
            output,
            base_url,
            builder: Mutex::new(builder),
        }
    }

    /// Rebuilds the site after `changed` (paths relative to the root): only the pages a
    /// document change touches when it can, the whole site otherwise. A failed build
    /// leaves the previous output in place.
    pub fn rebuild(&self, changed: &[PathBuf]) -> Result<BuildSummary, Diagnostics> {
        let mut builder = self
            .builder
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        builder.rebuild(changed).map(|(summary, _)| summary)
    }
}

/// The outcome of the latest build, as pages and the event stream see it.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct BuildState {
    /// Counts good builds: a page built at generation n reloads when it changes.
    generation: u64,
    /// The errors of the latest attempt, when it failed.
    errors: Option<String>,
}

#[derive(Clone)]
struct AppState {
    output: PathBuf,
    /// Bound to loopback: only requests naming a loopback host are answered.
    loopback_only: bool,
    build: watch::Receiver<BuildState>,
    shutdown: watch::Receiver<bool>,
}

/// Runs the preview until Ctrl-C.
pub fn run(opts: &ServeOptions) -> Result<(), Diagnostics> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(&opts.root, None, format!("cannot start: {e}")))?;
    runtime.block_on(serve(opts))
}

async fn serve(opts: &ServeOptions) -> Result<(), Diagnostics> {
    // Not an archive at all: say so before opening a port.
    SiteConfig::load(&opts.root)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(opts.bind, opts.port))
        .await
        .map_err(|e| {
            Diagnostic::error(
                &opts.root,
                None,
                format!(
                    "cannot listen on {}:{} ({e}); choose another port with --port",
                    opts.bind, opts.port
                ),
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Diagnostic::error(&opts.root, None, format!("cannot listen: {e}")))?;
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let base_url = format!("http://{host}:{}/", addr.port());
    let work = tempfile::Builder::new()
        .prefix("gongkai-serve-")
        .tempdir()
        .map_err(|e| {
            Diagnostic::error(
                std::env::temp_dir(),
                None,
                format!("cannot create the preview folder: {e}"),
            )
        })?;
    let preview = Arc::new(Preview::new(
        opts.root.clone(),
        work.path().join("site"),
        base_url.clone(),
    ));

    // Ctrl-C from now on stops cleanly (after a build in progress), removing the folder.
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        eprintln!("stopping…");
        let _ = shutdown_tx.send(true);
    });

    let first = {
        let p = Arc::clone(&preview);
        tokio::task::spawn_blocking(move || timed_rebuild(&p, &[]))
            .await
            .unwrap_or_else(|e| Err(Diagnostic::error(&opts.root, None, e.to_string()).into()))
    };
    let mut state = BuildState::default();
    report(&first, &mut state);
    if *shutdown_rx.borrow() {
        drop(work);
        eprintln!("stopped");
        return Ok(());
    }
    let (build_tx, build_rx) = watch::channel(state);

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (p, s) = (Arc::clone(&preview), Arc::clone(&stop));
        let (events_tx, events_rx) = mpsc::channel();
        let mut debouncer =
            new_debouncer(Duration::from_millis(150), None, events_tx).map_err(|e| {
                Diagnostic::error(&opts.root, None, format!("cannot watch for changes: {e}"))
            })?;
        // Watching starts before the address is printed: no change after it is missed.
        let mut watched = Watches::default();
        watched.add_new(&mut debouncer, &opts.root);
        std::thread::spawn(move || {
            watch_and_rebuild(&p, debouncer, watched, &events_rx, &build_tx, &s)
        })
    };

    eprintln!(
        "serving {} at {base_url} (built into {}); press Ctrl-C to stop",
        opts.root.display(),
        preview.output.display()
    );
    if !addr.ip().is_loopback() {
        eprintln!(
            "note: listening on {}, so other computers can reach this preview",
            addr.ip()
        );
    }
    if opts.open
        && let Err(e) = open::that_detached(&base_url)
    {
        eprintln!("cannot open a browser ({e}); open {base_url} yourself");
    }

    let app = Router::new()
        .route(EVENTS_PATH, get(events))
        .fallback(serve_file)
        .with_state(AppState {
            output: preview.output.clone(),
            loopback_only: addr.ip().is_loopback(),
            build: build_rx,
            shutdown: shutdown_rx.clone(),
        });
    let mut stopping = shutdown_rx.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stopping.wait_for(|s| *s).await;
    });
    let mut grace = shutdown_rx;
    tokio::select! {
        r = server => {
            if let Err(e) = r {
                eprintln!("the server stopped: {e}");
            }
        }
        // A browser that keeps a connection open must not keep us running.
        _ = async {
            let _ = grace.wait_for(|s| *s).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        } => {}
    }
    stop.store(true, Ordering::SeqCst);
    let _ = tokio::task::spawn_blocking(move || watcher.join()).await;
    drop(work);
    eprintln!("stopped");
    Ok(())
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn timed_rebuild(
    p: &Preview,
    changed: &[PathBuf],
) -> Result<(BuildSummary, Duration), Diagnostics> {
    let t = Instant::now();
    p.rebuild(changed).map(|s| (s, t.elapsed()))
}

/// Prints the outcome of a build and records it.
fn report(outcome: &Result<(BuildSummary, Duration), Diagnostics>, state: &mut BuildState) {
    match outcome {
        Ok((summary, took)) => {
            eprintln!("{summary} ({} ms)", took.as_millis());
            state.generation += 1;
            state.errors = None;
        }
        Err(errors) => {
            let text = errors.to_string();
            eprintln!("{text}");
            eprintln!(
                "gongkai: the build failed ({} error{}); {}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                if state.generation > 0 {
                    "still serving the last good build"
                } else {
                    "fix it and save: the site is built again at once"
                }
            );
            state.errors = Some(text);
        }
    }
}

/// Watches the sources and rebuilds after each burst of changes, until `stop`.
type SourceDebouncer = Debouncer<notify::RecommendedWatcher, RecommendedCache>;

/// The folders being watched.
#[derive(Default)]
struct Watches(Vec<PathBuf>);

impl Watches {
    /// Watches the root (not recursively: site.toml, and source folders created later)
    /// and every source folder not watched yet.
    fn add_new(&mut self, debouncer: &mut SourceDebouncer, root: &Path) {
        if self.0.is_empty() {
            if let Err(e) = debouncer.watch(root, RecursiveMode::NonRecursive) {
                eprintln!("cannot watch {}: {e}", root.display());
            }
            self.0.push(root.to_path_buf());
        }
        for dir in WATCHED_DIRS {
            let d = root.join(dir);
            if d.is_dir() && !self.0.contains(&d) {
                match debouncer.watch(&d, RecursiveMode::Recursive) {
                    Ok(()) => self.0.push(d),
                    Err(e) => eprintln!("cannot watch {}: {e}", d.display()),
                }
            }
        }
    }
}

fn watch_and_rebuild(
    preview: &Preview,
    mut debouncer: SourceDebouncer,
    mut watched: Watches,
    events: &mpsc::Receiver<DebounceEventResult>,
    state: &watch::Sender<BuildState>,
    stop: &AtomicBool,
) {
    let root = &preview.root;
    let abs_root = std::path::absolute(root).unwrap_or_else(|_| root.clone());
    let canon_root = root.canonicalize().unwrap_or_else(|_| abs_root.clone());
    while !stop.load(Ordering::SeqCst) {
        let batch = match events.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(batch)) => batch,
            Ok(Err(errors)) => {
                for e in errors {
                    eprintln!("watching for changes: {e}");
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let sources = |batch: Vec<notify_debouncer_full::DebouncedEvent>| {
            batch
                .into_iter()
                // Reading a file (the build itself does) is not a change.
                .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                .flat_map(|e| e.event.paths)
                .filter_map(|p| {
                    let rel = p
                        .strip_prefix(&canon_root)
                        .or_else(|_| p.strip_prefix(&abs_root))
                        .ok()?
                        .to_path_buf();
                    is_source(&rel).then_some(rel)
                })
                .collect::<Vec<_>>()
        };
        let mut changed = sources(batch);
        // Everything that arrived meanwhile goes into the same rebuild.
        while let Ok(more) = events.try_recv() {
            if let Ok(batch) = more {
                changed.extend(sources(batch));
            }
        }
        if changed.is_empty() {
            continue;
        }
        changed.sort();
        changed.dedup();
        watched.add_new(&mut debouncer, root);
        eprintln!(
            "changed: {}{}; rebuilding…",
            changed[0].display(),
            if changed.len() > 1 {
                format!(" and {} more", changed.len() - 1)
            } else {
                String::new()
            }
        );
        let outcome = timed_rebuild(preview, &changed);
        state.send_modify(|s| report(&outcome, s));
    }
}

/// Whether a changed path (relative to the root) is a source of the site; editors' swap
/// and backup files are not.
fn is_source(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913"
        || name == ".DS_Store"
    {
        return false;
    }
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    if rel.components().count() == 1 {
        return first == crate::config::FILE_NAME || WATCHED_DIRS.contains(&first.as_str());
    }
    WATCHED_DIRS.contains(&first.as_str())
}

/// The live-reload stream: the current build state at once, then every change.
async fn events(State(app): State<AppState>, req: Request) -> Response {
    if !host_allowed(&app, &req) {
        return wrong_host();
    }
    events_stream(app).into_response()
}

/// Whether a request may be answered. A page on any web site can make the browser send
/// requests to 127.0.0.1, and with a rebound DNS name read the answers; such requests
/// name that site's host, so a server bound to loopback answers loopback names only.
fn host_allowed(app: &AppState, req: &Request) -> bool {
    if !app.loopback_only {
        return true;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("");
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn wrong_host() -> Response {
    (
        StatusCode::MISDIRECTED_REQUEST,
        "this preview answers only to localhost and 127.0.0.1",
    )
        .into_response()
}

fn events_stream(app: AppState) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(
        (app.build, app.shutdown, true),
        |(mut build, mut shutdown, first)| async move {
            if !first {
                tokio::select! {
                    changed = build.changed() => changed.ok()?,
                    _ = shutdown.wait_for(|s| *s) => return None,
                }
            }
            if *shutdown.borrow() {
                return None;
            }
            let state = build.borrow_and_update().clone();
            let data = serde_json::to_string(&state).unwrap_or_default();
            Some((
                Ok(Event::default().event("build").data(data)),
                (build, shutdown, false),
            ))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// What a request path names in the output.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    File(PathBuf),
    /// A folder asked for without its `/`: relative links inside need it.
    AddSlash,
    NotFound,
}

/// Maps a request path (still percent-encoded) to a file inside `root`. Nothing outside
/// `root` is ever reached: `..` anywhere (raw or encoded), encoded `/` and `\`, NUL and
/// symbolic links leading out are refused.
fn resolve(root: &Path, raw_path: &str) -> Resolved {
    let Ok(path) = percent_decode_str(raw_path).decode_utf8() else {
        return Resolved::NotFound;
    };
    // An encoded slash would make one segment into two after decoding.
    let lower = raw_path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") || path.contains(['\0', '\\']) {
        return Resolved::NotFound;
    }
    let mut file = root.to_path_buf();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Resolved::NotFound,
            #[cfg(windows)]
            s if s.contains(':') => return Resolved::NotFound,
            s => file.push(s),
        }
    }
    let Ok(meta) = std::fs::metadata(&file) else {
        return Resolved::NotFound;
    };
    if meta.is_dir() {
        if !path.ends_with('/') {
            return Resolved::AddSlash;
        }
        file.push("index.html");
    }
    // Symbolic links are followed only when they stay inside the output.
    let (Ok(real), Ok(real_root)) = (file.canonicalize(), root.canonicalize()) else {
        return Resolved::NotFound;
    };
    if !real.starts_with(&real_root) || !real.is_file() {
        return Resolved::NotFound;
    }
    Resolved::File(file)
}

async fn serve_file(State(app): State<AppState>, req: Request) -> Response {
    if !host_allowed(&app, &req) {
        return wrong_host();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD only").into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let state = app.build.borrow().clone();
    let uri = req.uri();
    let output = app.output.clone();
    let raw = uri.path().to_string();
    let resolved = {
        let raw = raw.clone();
        let out = output.clone();
        tokio::task::spawn_blocking(move || resolve(&out, &raw))
            .await
            .unwrap_or(Resolved::NotFound)
    };
    match resolved {
        Resolved::AddSlash => {
            let location = match uri.query() {
                Some(q) => format!("{raw}/?{q}"),
                None => format!("{raw}/"),
            };
            let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Resolved::File(path) => match tokio::fs::read(&path).await {
            Ok(bytes) => file_response(StatusCode::OK, &path, bytes, &state),
            Err(_) => not_found(&output, &state).await,
        },
        Resolved::NotFound => not_found(&output, &state).await,
    }
}

async fn not_found(output: &Path, state: &BuildState) -> Response {
    let page = output.join("404.html");
    match tokio::fs::read(&page).await {
        Ok(bytes) => file_response(StatusCode::NOT_FOUND, &page, bytes, state),
        Err(_) => {
            let html = if state.generation == 0 {
                "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>构建失败</title>\
                 <body><p>站点尚未构建成功，请修正错误后保存。</p></body></html>"
            } else {
                "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>页面未找到</title>\
                 <body><p>页面未找到。</p></body></html>"
            };
            file_response(
                StatusCode::NOT_FOUND,
                Path::new("404.html"),
                html.as_bytes().to_vec(),
                state,
            )
        }
    }
}

fn file_response(status: StatusCode, path: &Path, bytes: Vec<u8>, state: &BuildState) -> Response {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let is_html = mime.essence_str() == "text/html";
    let content_type = if is_text(&mime) {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    };
    let body = if is_html {
        inject(&String::from_utf8_lossy(&bytes), state).into_bytes()
    } else {
        bytes
    };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

fn is_text(mime: &mime_guess::Mime) -> bool {
    mime.type_() == "text"
        || matches!(
            mime.essence_str(),
            "application/javascript"
                | "application/json"
                | "application/xml"
                | "application/atom+xml"
                | "application/manifest+json"
                | "image/svg+xml"
        )
}

/// The id of the error overlay element.
const OVERLAY_ID: &str = "gongkai-serve-errors";

/// Adds the live-reload script (and the error overlay, when the latest build failed)
/// before `</body>` of a served page.
fn inject(html: &str, state: &BuildState) -> String {
    let overlay = match &state.errors {
        Some(errors) => format!(
            "<pre id=\"{OVERLAY_ID}\" role=\"alert\" style=\"{OVERLAY_STYLE}\">{}</pre>",
            escape(&overlay_text(errors))
        ),
        None => String::new(),
    };
    let script = format!(
        "<script>/* gongkai serve: reloads after a rebuild */(function(){{\
    var gen={gen};var es=new EventSource(\"{EVENTS_PATH}\");\
    es.addEventListener(\"build\",function(e){{var s=JSON.parse(e.data);\
    var box=document.getElementById(\"{OVERLAY_ID}\");\
    if(s.errors){{if(!box){{box=document.createElement(\"pre\");box.id=\"{OVERLAY_ID}\";\
    box.setAttribute(\"role\",\"alert\");box.style.cssText=\"{OVERLAY_STYLE}\";\
    document.body.appendChild(box);}}\
    box.textContent={head}+s.errors;}}\
    else if(s.generation!==gen){{location.reload();}}\
    else if(box){{box.remove();}}}});}})();</script>",
        gen = state.generation,
        head = serde_json::to_string(OVERLAY_HEAD).unwrap_or_default(),
    );
    let insert = format!("{overlay}{script}");
    let lower = html.to_ascii_lowercase();
    match lower.rfind("</body>") {
        Some(i) => format!("{}{insert}{}", &html[..i], &html[i..]),
        None => format!("{html}{insert}"),
    }
}

const OVERLAY_HEAD: &str = "构建失败，页面仍是上一次成功构建的版本。修正后保存即可自动刷新。\n\n";
const OVERLAY_STYLE: &str = "position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;\
margin:0;padding:1em;z-index:2147483647;background:#fff5f5;color:#8b0000;\
border-top:4px solid #c00;font:14px/1.5 monospace;white-space:pre-wrap";

fn overlay_text(errors: &str) -> String {
    format!("{OVERLAY_HEAD}{errors}")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("index.html"), "home").unwrap();
        std::fs::write(root.join("a/index.html"), "a").unwrap();
        std::fs::write(root.join("a/x y.css"), "x").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
        assert_eq!(resolve(&root, "/"), Resolved::File(root.join("index.html")));
        assert_eq!(
            resolve(&root, "/a/"),
            Resolved::File(root.join("a").join("index.html"))
        );
        assert_eq!(resolve(&root, "/a"), Resolved::AddSlash);
        assert_eq!(
            resolve(&root, "/a/x%20y.css"),
            Resolved::File(root.join("a").join("x y.css"))
        );
        for attack in [
            "/../secret.txt",
            "/a/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/a%2f..%2f..%2fsecret.txt",
            "/..%5csecret.txt",
            "/a/%00",
        ] {
            assert_eq!(resolve(&root, attack), Resolved::NotFound, "{attack}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("out.txt"))
                .unwrap();
            assert_eq!(resolve(&root, "/out.txt"), Resolved::NotFound);
            std::os::unix::fs::symlink(root.join("a/index.html"), root.join("in.html")).unwrap();
            assert_eq!(
                resolve(&root, "/in.html"),
                Resolved::File(root.join("in.html"))
            );
        }
    }

    #[test]
    fn injection_goes_before_body_end() {
        let state = BuildState {
            generation: 3,
            errors: Some("content/a.md:2: bad <date>".into()),
        };
        let out = inject("<html><body><p>x</p></BODY></html>", &state);
        assert!(out.ends_with("</BODY></html>"), "{out}");
        assert!(out.contains("var gen=3;"), "{out}");
        assert!(out.contains("content/a.md:2: bad &lt;date&gt;"), "{out}");
        let ok = inject("<p>x</p>", &BuildState::default());
        assert!(!ok.contains(OVERLAY_ID.to_string().as_str()) || !ok.contains("<pre"));
    }

    #[test]
    fn sources() {
        assert!(is_source(Path::new("site.toml")));
        assert!(is_source(Path::new("content/2021/a.md")));
        assert!(is_source(Path::new("templates")));
        assert!(!is_source(Path::new("content/2021/.a.md.swp")));
        assert!(!is_source(Path::new("public/index.html")));
        assert!(!is_source(Path::new("notes.txt")));
    }
}
