//! `check --format html`: one self-contained page, combinations by checks,
//! read by a real browser (Debian's Chromium, headless): its DOM after
//! loading and a screenshot.

mod common;

use std::path::Path;
use std::process::Command;

use common::{chartgen, template_overlay, Run};

/// The built-in templates with the S3 upload's credentials Secret renamed,
/// so that every S3 combination fails the reference check.
fn s3_broken_templates() -> tempfile::TempDir {
    template_overlay("_s3.j2", "{name: {{ s3.credentialsSecret.name | yaml }}", "{name: uploader-keys")
}

/// The page of a check whose S3 combinations fail, with goldens of its own.
fn failing_page(dir: &Path) -> (Run, std::path::PathBuf) {
    let templates = s3_broken_templates();
    let page = dir.join("report.html");
    let golden = dir.join("golden");
    let args = ["--templates", templates.path().to_str().unwrap(), "--golden", golden.to_str().unwrap()];
    assert_eq!(chartgen(&[&["check", "--update"][..], &args].concat()).code, 1);
    let run = chartgen(&[&["check", "--format", "html", "--output", page.to_str().unwrap()][..], &args].concat());
    (run, page)
}

#[test]
fn the_page_is_one_self_contained_file_with_a_row_per_combination() {
    let dir = tempfile::tempdir().unwrap();
    let (run, page) = failing_page(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with(&format!("wrote {}", page.display())), "{}", run.stdout);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"), "nothing is fetched or run");
    assert_eq!(html.matches("<tr class=\"failing\"").count() + html.matches("<tr class=\"passing\"").count(), 1011, "1010 combinations and the runbook");
    // Every S3 combination fails the reference check; no PVC one does.
    for row in html.lines().filter(|l| l.starts_with("<tr class=")) {
        let s3 = row.contains("backup.sink=s3");
        assert_eq!(row.contains("<td class=\"error\""), s3, "{row}");
    }
    assert!(html.contains("Secret `uploader-keys` is neither rendered"), "findings open to their message");
}

#[test]
fn the_page_stays_small_for_a_large_matrix() {
    let page = chartgen(&["check", "--format", "html"]);
    // 1010 passing combinations and the runbook: a row each of at most 700 bytes, no details.
    assert!(page.stdout.len() < 1011 * 700, "{} bytes", page.stdout.len());
    assert!(!page.stdout.contains("<details"));
}

fn chromium() -> std::path::PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
        .expect("chromium is not installed: the Debian package chromium (bash .ci/run installs it)")
}

/// Chromium without a network, as the machine allows: no background requests, a fresh profile.
fn headless(profile: &Path) -> Command {
    let mut command = Command::new(chromium());
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

#[test]
#[ignore = "needs Chromium: the Debian package chromium (bash .ci/run installs it)"]
fn a_browser_shows_the_failing_combinations_in_red() {
    let dir = tempfile::tempdir().unwrap();
    let (_, page) = failing_page(dir.path());
    let url = format!("file://{}", page.display());
    let dom = headless(&dir.path().join("profile")).arg("--dump-dom").arg(&url).output().unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<table id=\"matrix\">"), "{dom}");
    let failing = dom.matches("<tr class=\"failing\"").count();
    assert!(failing > 0 && failing == dom.matches("<details id=").count(), "each failing row has its findings: {failing}");
    let screenshot = dir.path().join("report.png");
    let shot = headless(&dir.path().join("profile"))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg("--window-size=1280,900")
        .arg(&url)
        .output()
        .unwrap();
    assert!(shot.status.success(), "{}", String::from_utf8_lossy(&shot.stderr));
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());
}
