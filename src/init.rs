//! `init`: a new archive that builds at once with the built-in theme.

use std::path::Path;

use crate::config::FILE_NAME;
use crate::diagnostic::Diagnostic;

const SITE_TOML: &str = r#"# gongkai 站点设置 (site settings). 字段说明见 README。
title = "某某县人民政府信息公开"          # 站点名称
base_url = "/"                          # 发布地址，例如 "https://www.example.gov.cn/xxgk/"
language = "zh-CN"
theme = "default"                       # 内置主题；themes/<名称>/ 可替换，templates/ 可覆盖单个模板
organizer = "某某县人民政府办公室"        # 主办单位
# site_id_code = "0000000000"           # 网站标识码（如有）
per_page = 20                           # 列表每页文件数
output_dir = "public"
# offline = true                        # 生成可从 U 盘直接打开的离线版本
"#;

const EXAMPLE: &str = "---
标题: 关于启用政府信息公开档案的通知
机构: 某某县人民政府办公室
发布时间: 2026-01-05 09:00:00
成文日期: 2026-01-04
索引号: 000000000/2026-00001
文号: 某政办〔2026〕1号
主题分类: 综合政务\\政务公开
有效性: 有效
公开方式: 主动公开
---

各乡镇人民政府，县政府各部门：

本档案收录本县主动公开的政府信息。请将需要公开的文件放入 `content/` 文件夹，
每个文件一篇，文件开头写明标题、机构、发布时间等信息，然后运行 `gongkai build` 生成网站。

## 一、如何添加文件

可以直接编写 Markdown 文件，也可以用 `gongkai import` 从网页、Word 文档或文本文件导入。

## 二、如何发布

生成的网站位于 `public/` 文件夹，可发布到政府网站，也可复制到 U 盘离线查阅。

某某县人民政府办公室

2026年1月4日
";

/// Creates an archive in `dir`: site.toml, content/ and one example document.
/// Refuses to touch a folder that already holds an archive.
pub fn create(dir: &Path) -> Result<(), Diagnostic> {
    let site = dir.join(FILE_NAME);
    if site.exists() {
        return Err(Diagnostic::error(
            &site,
            None,
            "an archive is already here; build it with `gongkai build`, or choose an empty folder",
        ));
    }
    let content = dir.join("content").join("2026");
    std::fs::create_dir_all(&content)
        .map_err(|e| Diagnostic::error(&content, None, format!("cannot create the folder: {e}")))?;
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text)
            .map_err(|e| Diagnostic::error(path, None, format!("cannot write: {e}")))
    };
    write(&content.join("welcome.md"), EXAMPLE)?;
    write(&site, SITE_TOML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_archive_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path()).unwrap();
        crate::config::SiteConfig::load(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("content/2026/welcome.md")).unwrap();
        let doc =
            crate::document::Document::parse(Path::new("welcome.md"), "2026/welcome.md", &text)
                .unwrap();
        assert_eq!(doc.front.doc_no.unwrap().as_str(), "某政办〔2026〕1号");
        let again = create(dir.path()).unwrap_err();
        assert!(again.message.contains("already"));
    }
}
