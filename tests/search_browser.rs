//! The search page in headless Chromium, against the fixture archive written as a
//! static site: from file:// (relative links, as the offline build writes them) and
//! from a local http server under a base path (/xxgk/). Chromium is required
//! (`apt-get install -y chromium`); GONGKAI_SKIP_BROWSER=1 skips on machines without it.

#[path = "browser/search_chromium.rs"]
mod chromium;
#[path = "browser/search_fixture.rs"]
mod fixture;

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// Writes the fixture site under `root`; `url_prefix` is what `url()` puts before a site
/// path on the search page ("../" for the offline form, "/xxgk/" for a base path).
fn write_site(root: &Path, url_prefix: &str) {
    let (docs, _) = fixture::load();
    fixture::write_site_index(root, &docs);
    let assets = fixture::repo().join("themes/default/static/assets");
    std::fs::copy(assets.join("search.css"), root.join("assets/search.css")).unwrap();

    // A stand-in for base.html with the contract's blocks; search.html is the real one.
    let base = r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{% block title %}{% endblock title %} - 测试站</title>{% block head %}{% endblock head %}</head><body><main id="main">{% block content %}{% endblock content %}</main>{% block scripts %}{% endblock scripts %}</body></html>"#;
    let search =
        std::fs::read_to_string(fixture::repo().join("themes/default/templates/search.html"))
            .unwrap();
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(vec![("base.html", base), ("search.html", search.as_str())])
        .unwrap();
    let prefix = url_prefix.to_string();
    tera.register_function("url", move |args: &HashMap<String, Value>| {
        let path = args.get("path").and_then(Value::as_str).unwrap_or("");
        Ok(Value::String(format!("{prefix}{path}")))
    });
    let mut ctx = tera::Context::new();
    ctx.insert("page_kind", "search");
    ctx.insert("page_path", "search/");
    let html = tera.render("search.html", &ctx).unwrap();
    std::fs::write(root.join("search/index.html"), html).unwrap();

    for d in &docs {
        let dir = root.join(&d.url_path);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index.html"),
            format!(
                "<!doctype html><meta charset=utf-8><title>{}</title><h1>{}</h1>",
                d.title, d.title
            ),
        )
        .unwrap();
    }

    chromium::write_runner(root, url_prefix, &fixture::load().1);
}

#[test]
fn search_page_works_from_file_and_http() {
    let Some(chrome) = chromium::required() else {
        return;
    };

    let offline = tempfile::tempdir().unwrap();
    write_site(offline.path(), "../");
    let root_url = format!("file://{}/", offline.path().display());
    chromium::check_runner_and_page(&chrome, &root_url, "search/index.html", "file://");

    let served = tempfile::tempdir().unwrap();
    let site = served.path().join("xxgk");
    write_site(&site, "/xxgk/");
    let (_server, port) = chromium::serve(served.path());
    let root_url = format!("http://127.0.0.1:{port}/xxgk/");
    chromium::check_runner_and_page(&chrome, &root_url, "search/", "http");
}
