//! Shared by the offline, archive and serve tests: a small archive with its own minimal
//! theme, so these tests do not depend on the default theme's markup.
#![allow(dead_code)]

use std::path::Path;

/// The 原文链接 of the first test document.
pub const SOURCE_URL: &str = "https://portal.example.gov.cn/art/2021/3/1/art_1_1.html";
/// An external image in a document body: must not be loaded offline.
pub const EXTERNAL_IMAGE: &str = "https://cdn.example.com/figure.png";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A minimal theme under `root/themes/mini/`: every template, links built with url().
pub fn mini_theme(root: &Path) {
    let t = "themes/mini/templates/";
    write(
        root,
        &format!("{t}base.html"),
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{% block title %}{% endblock title %} - {{ site.title }}</title>
<link rel="stylesheet" href="{{ url(path='assets/mini.css') }}">
<link rel="alternate" type="application/atom+xml" href="{{ url(path='atom.xml') }}">
<link rel="canonical" href="{{ abs_url(path=page_path) }}">
<script src="{{ url(path='assets/mini.js') }}"></script>
{% block head %}{% endblock head %}</head>
<body><header><a id="home" href="{{ url(path='') }}">{{ site.title }}</a>
<nav><a id="nav-agency" href="{{ url(path='agency/') }}">按机构</a> <a id="nav-year" href="{{ url(path='year/') }}">按年份</a></nav>
<form id="search" action="{{ url(path='search/index.html') }}" method="get"><input name="q"></form></header>
<main id="main">{% block content %}{% endblock content %}</main>
<footer><a href="{{ url(path='sitemap.xml') }}">网站地图</a></footer>
</body></html>
"#,
    );
    write(
        root,
        &format!("{t}index.html"),
        r#"{% extends "base.html" %}{% block title %}首页{% endblock title %}{% block content %}
<h1>首页</h1><ul id="latest">{% for d in latest %}<li><a href="{{ url(path=d.url_path) }}">{{ d.title }}</a></li>{% endfor %}</ul>
<ul id="years">{% for y in years %}<li><a href="{{ url(path=y.url_path) }}">{{ y.name }}</a></li>{% endfor %}</ul>
{% endblock content %}"#,
    );
    write(
        root,
        &format!("{t}document.html"),
        r#"{% extends "base.html" %}{% block title %}{{ doc.title }}{% endblock title %}
{% block head %}<meta name="Url" content="{{ abs_url(path=page_path) }}">{% endblock head %}
{% block content %}<h1>{{ doc.title }}</h1>
{% if doc.source_url %}<p>原文链接：<a class="source-url" href="{{ doc.source_url }}">{{ doc.source_url }}</a></p>{% endif %}
{% if doc.year_url_path %}<a id="up" href="{{ url(path=doc.year_url_path) }}">本年文件</a>{% endif %}
<div class="body">{{ doc.body_html | safe }}</div>{% endblock content %}"#,
    );
    write(
        root,
        &format!("{t}taxonomy.html"),
        r#"{% extends "base.html" %}{% block title %}{{ taxonomy.label }}{% endblock title %}{% block content %}
<h1>{{ taxonomy.label }}</h1><ul>{% for term in terms %}<li><a href="{{ url(path=term.url_path) }}">{{ term.name }}</a></li>{% endfor %}</ul>{% endblock content %}"#,
    );
    write(
        root,
        &format!("{t}term.html"),
        r#"{% extends "base.html" %}{% block title %}{{ term.name }}{% endblock title %}{% block content %}
<h1>{{ term.name }}</h1><ul id="docs">{% for d in docs %}<li><a href="{{ url(path=d.url_path) }}">{{ d.title }}</a></li>{% endfor %}</ul>
{% if paginator.next_url_path %}<a rel="next" href="{{ url(path=paginator.next_url_path) }}">下一页</a>{% endif %}
{% if paginator.prev_url_path %}<a rel="prev" href="{{ url(path=paginator.prev_url_path) }}">上一页</a>{% endif %}
{% endblock content %}"#,
    );
    write(
        root,
        &format!("{t}404.html"),
        r#"{% extends "base.html" %}{% block title %}页面未找到{% endblock title %}{% block content %}<h1 id="not-found">页面未找到</h1>{% endblock content %}"#,
    );
    write(
        root,
        &format!("{t}search.html"),
        r#"{% extends "base.html" %}{% block title %}搜索{% endblock title %}{% block content %}<h1>搜索</h1>{% endblock content %}"#,
    );
    write(
        root,
        &format!("{t}sitemap.xml"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{% for e in entries %}<url><loc>{{ e.loc }}</loc></url>{% endfor %}</urlset>
"#,
    );
    write(
        root,
        &format!("{t}atom.xml"),
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{{ site.title }}</title><updated>{{ updated }}</updated>{% for e in entries %}<entry><id>{{ e.abs_url }}</id></entry>{% endfor %}</feed>
"#,
    );
    write(
        root,
        &format!("{t}robots.txt"),
        "User-agent: *\nSitemap: {{ abs_url(path='sitemap.xml') }}\n",
    );
    write(
        root,
        "themes/mini/static/assets/mini.css",
        "@import url(https://fonts.example.com/f.css);\nbody { background: url(\"/xxgk/assets/bg.png\"); }\nh1 { background: url(bg.png) }\n",
    );
    write(root, "themes/mini/static/assets/bg.png", "\u{89}PNG\r\n");
    write(
        root,
        "themes/mini/static/assets/mini.js",
        "document.documentElement.className = 'js';\n",
    );
}

/// A small archive using [`mini_theme`]: three documents in two years, per_page 2.
pub fn mini_archive(root: &Path, base_url: &str) {
    mini_theme(root);
    write(
        root,
        "site.toml",
        &format!(
            "title = \"测试档案\"\norganizer = \"测试县人民政府办公室\"\nper_page = 2\n\
             theme = \"mini\"\nbase_url = \"{base_url}\"\n"
        ),
    );
    write(
        root,
        "content/2021/notice.md",
        &format!(
            "---\n标题: 测试通知一\n机构: 测试县教育局\n发布时间: 2021-03-01\n来源:\n  原文链接: {SOURCE_URL}\n---\n\n\
             正文第一段。\n\n![插图]({EXTERNAL_IMAGE})\n\n见[第二份通知](../2022/second.md)。\n"
        ),
    );
    write(
        root,
        "content/2022/second.md",
        "---\n标题: 测试通知二\n机构: 测试县教育局\n发布时间: 2022-05-02\n---\n\n正文。\n",
    );
    write(
        root,
        "content/2022/third.md",
        "---\n标题: 测试通知三\n机构: 测试县财政局\n发布时间: 2022-06-03\n---\n\n正文。\n",
    );
}
