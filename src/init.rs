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
# 页脚标识（政府网站须在每个页面底部标注；`gongkai check --gov` 检查是否填写）
# site_id_code = "0000000000"           # 网站标识码
# icp = "某ICP备00000000号"              # ICP备案号
# police_record = "某公网安备 00000000000000号"   # 公网安备号
per_page = 20                           # 列表每页文件数
output_dir = "public"
# offline = true                        # 生成可从 U 盘直接打开的离线版本

# 依申请公开的受理机构，显示在“依申请公开”页面上。
[office]
name = "某某县人民政府办公室"
address = "某某县某某镇某某路1号"
postcode = "000000"
phone = "0000-0000000"
hours = "工作日上午8:30—12:00，下午14:30—17:30"
email = "xxgk@example.gov.cn"

# 政府信息公开栏目（国办公开办函〔2019〕61号的标准目录）。
# kind = "page"：单页，正文为 content/<路径>.md；kind = "list"（默认）：文件列表。
# 一篇文件进入某个列表栏目的方式：放在 content/<栏目路径>/ 或 folders 所列文件夹下，
# 或头信息写 `栏目: 栏目名称`，或 体裁分类 属于 genres，或 主题分类 以 topics 中某项开头。
# update_days（更新周期，天）：`gongkai check --gov` 据此报告“更新不及时”。
[[columns]]
name = "政府信息公开指南"
slug = "zhinan"
kind = "page"
role = "指南"

[[columns]]
name = "政府信息公开制度"
slug = "zhidu"
role = "制度"

[[columns]]
name = "法定主动公开内容"
slug = "fdzdgknr"
role = "法定主动公开内容"

  [[columns.children]]
  name = "机构职能"
  slug = "jgzn"

  [[columns.children]]
  name = "政策文件"
  slug = "zcwj"
  update_days = 180

  [[columns.children]]
  name = "规划计划"
  slug = "ghjh"
  genres = ["规划", "计划"]

  [[columns.children]]
  name = "财政预决算"
  slug = "czyjs"

  [[columns.children]]
  name = "人事信息"
  slug = "rsxx"

  [[columns.children]]
  name = "重点领域信息"
  slug = "zdly"

[[columns]]
name = "政府信息公开年报"
slug = "ndbg"
role = "年报"
by_year = true

[[columns]]
name = "依申请公开"
slug = "ysqgk"
kind = "page"
role = "依申请公开"
"#;

/// The two page columns of the standard tree, so a new archive builds with them filled;
/// the office edits the text.
const GUIDE: &str = "---
标题: 某某县人民政府信息公开指南
更新时间: 2026-01-05
---

为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制本指南。需要获得政府信息公开服务的公民、法人或者其他组织，建议阅读本指南。

## 一、主动公开

本机关主动公开的政府信息，在本网站“法定主动公开内容”栏目中发布，可按栏目、机构、年份浏览或检索。

## 二、依申请公开

除主动公开的政府信息外，公民、法人或者其他组织可以申请获取相关政府信息，申请方式见“依申请公开”栏目。

## 三、政府信息公开工作年度报告

本机关每年1月31日前公布上一年度的政府信息公开工作年度报告。
";

const APPLICATION: &str = "---
标题: 依申请公开
更新时间: 2026-01-05
---

公民、法人或者其他组织申请获取政府信息的，可以当面、邮寄或者通过电子邮件提出申请，并填写政府信息公开申请表。申请内容应当包括申请人的姓名或者名称、身份证明、联系方式，所需政府信息的名称、文号或者便于查询的其他特征性描述，以及获取信息的方式和途径。

本机关收到申请后，能够当场答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内予以答复。
";

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

/// Creates an archive in `dir`: site.toml with the standard column tree, content/ with
/// the 指南 and 依申请公开 pages and one example document.
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
    write(&dir.join("content").join("zhinan.md"), GUIDE)?;
    write(&dir.join("content").join("ysqgk.md"), APPLICATION)?;
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
        // The standard tree, its pages filled, builds as it is.
        let out = dir.path().join("public");
        crate::site::build(&crate::site::BuildOptions {
            root: dir.path().to_path_buf(),
            output: Some(out.clone()),
            ..Default::default()
        })
        .unwrap();
        let guide = std::fs::read_to_string(out.join("zhinan/index.html")).unwrap();
        assert!(guide.contains("信息公开指南") && guide.contains("2026-01-05"));
        let apply = std::fs::read_to_string(out.join("ysqgk/index.html")).unwrap();
        assert!(apply.contains("xxgk@example.gov.cn"), "{apply}");
        assert!(out.join("fdzdgknr/zcwj/index.html").is_file());
        let again = create(dir.path()).unwrap_err();
        assert!(again.message.contains("already"));
    }
}
