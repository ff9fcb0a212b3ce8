//! Fields a raw report does not name: `import --set` and `[import.defaults]` fill them
//! where the import found nothing, and `build` says how when 机构 is still missing.

mod import_support;

use import_support::*;

const NO_ORGAN: &str = "关于做好2024年冬季供暖工作的通知\n\
    各乡镇：为保障群众温暖过冬，请各单位提前检修供热管网，落实应急抢修队伍，确保按时供暖。\n";
const WITH_ORGAN: &str = "青禾县住房和城乡建设局关于做好2024年冬季供暖工作的通知\n\
    各乡镇：为保障群众温暖过冬，请各单位提前检修供热管网，落实应急抢修队伍，确保按时供暖。\n\
    青禾县住房和城乡建设局\n2024年11月1日\n";

fn reports(dir: &std::path::Path) -> std::path::PathBuf {
    let raw = dir.join("raw");
    std::fs::create_dir_all(&raw).expect("raw dir");
    std::fs::write(raw.join("a.txt"), NO_ORGAN).expect("write");
    std::fs::write(raw.join("b.txt"), WITH_ORGAN).expect("write");
    raw
}

fn agency_of(report: &serde_json::Value, dir: &std::path::Path, name: &str) -> (String, String) {
    let e = entry(report, name);
    let d = document(dir, e);
    (
        agency(&d).unwrap_or("").to_string(),
        e["fields"]["机构"]["from"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

#[test]
fn set_fills_only_what_is_missing() {
    let dir = temp();
    let raw = reports(dir.path());
    let (out, report) = import(&[&raw], dir.path(), &["--set", "机构=青禾县人民政府办公室"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, from) = agency_of(&report, dir.path(), "a.txt");
    assert_eq!(a, "青禾县人民政府办公室");
    assert_eq!(from, "--set 机构=青禾县人民政府办公室");
    let (b, _) = agency_of(&report, dir.path(), "b.txt");
    assert_eq!(b, "青禾县住房和城乡建设局");
}

#[test]
fn site_defaults_fill_and_set_wins_over_them() {
    let dir = temp();
    let raw = reports(dir.path());
    std::fs::write(
        dir.path().join("site.toml"),
        "title = \"青禾县信息公开\"\norganizer = \"青禾县人民政府办公室\"\n\n\
         [import.defaults]\n\"机构\" = \"青禾县人民政府\"\n\"主题分类\" = \"城乡建设、环境保护\"\n",
    )
    .expect("site.toml");
    let (out, report) = import(&[&raw], dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, from) = agency_of(&report, dir.path(), "a.txt");
    assert_eq!(a, "青禾县人民政府");
    assert_eq!(from, "[import.defaults] in site.toml");
    let d = document(dir.path(), entry(&report, "b.txt"));
    assert_eq!(d.front.topic.as_deref(), Some("城乡建设、环境保护"));

    let again = temp();
    std::fs::copy(dir.path().join("site.toml"), again.path().join("site.toml")).expect("copy");
    let (_, report) = import(
        &[&raw],
        again.path(),
        &["--set", "agency=青禾县发展和改革局"],
    );
    let (a, _) = agency_of(&report, again.path(), "a.txt");
    assert_eq!(a, "青禾县发展和改革局");
}

#[test]
fn a_bad_set_is_refused_before_anything_is_written() {
    let dir = temp();
    let raw = reports(dir.path());
    for (arg, says) in [
        ("机构", "KEY=VALUE"),
        ("发布机构=青禾县", "did you mean 机构"),
        ("发布时间=明天", "not a date"),
    ] {
        let (out, _) = import(&[&raw], dir.path(), &["--set", arg]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{arg}: {err}");
        assert!(err.contains(says), "{arg}: {err}");
        assert!(!dir.path().join("content").exists());
    }
}

#[test]
fn a_missing_organ_says_how_to_fill_it() {
    let dir = temp();
    let raw = reports(dir.path());
    let (out, _) = import(&[&raw], dir.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--set 机构=") && err.contains("[import.defaults]"),
        "{err}"
    );

    // The build refuses the archive and names both ways out.
    std::fs::write(
        dir.path().join("site.toml"),
        "title = \"青禾县信息公开\"\norganizer = \"青禾县人民政府办公室\"\n",
    )
    .expect("site.toml");
    let out = gongkai()
        .args(["build", "--root"])
        .arg(dir.path())
        .output()
        .expect("build runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("`机构` is missing")
            && err.contains("--set 机构=")
            && err.contains("[import.defaults]"),
        "{err}"
    );
}
