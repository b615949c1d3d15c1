//! chartgen as a user installs it and uses it in a repository of their own,
//! outside chartgen's: the built-in example from any directory, `init`, spec
//! discovery, the spec's JSON Schema, and the README's pre-commit and GitHub
//! Actions examples run as written.

mod common;

use std::path::Path;
use std::process::Command;

use common::{root, Run};

/// Runs the built binary in `dir`.
fn chartgen_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_chartgen")).args(args).current_dir(dir).env("NO_COLOR", "1").output().expect("chartgen runs");
    Run {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=chartgen test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// A repository of a user's own, with the spec `chartgen init` writes for `myapp`.
fn consumer_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "--quiet"]);
    let run = chartgen_in(dir.path(), &["init", "--name", "myapp", "--image", "ghcr.io/acme/myapp:1.4.2", "--metric", "myapp_requests_total"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir
}

#[test]
fn the_built_in_example_checks_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = chartgen_in(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.trim_end().ends_with("(built-in certctl example)"), "{}", run.stdout);
    assert!(run.stdout.contains("1010 combinations") && run.stdout.contains("1 runbook"), "{}", run.stdout);
}

#[test]
fn the_built_in_example_s_goldens_cannot_be_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let run = chartgen_in(dir.path(), &["check", "--update"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("are part of chartgen") && run.stderr.contains("--golden DIR"), "{}", run.stderr);
}

#[test]
fn an_initialised_spec_passes_check_from_its_directory_and_below() {
    let repository = consumer_repository();
    let text = std::fs::read_to_string(repository.path().join("chartgen.yaml")).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=chartgen.schema.json\n"), "{text}");
    let run = chartgen_in(repository.path(), &["check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.trim_end().ends_with("chartgen.yaml)"), "the summary names the spec: {}", run.stdout);
    let below = repository.path().join("deploy/charts");
    std::fs::create_dir_all(&below).unwrap();
    let run = chartgen_in(&below, &["check", "--only", "defaults"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&repository.path().join("chartgen.yaml").display().to_string()), "found from below: {}", run.stdout);
    // A second init never replaces the spec.
    let again = chartgen_in(repository.path(), &["init", "--name", "other"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
}

#[test]
fn discovery_stops_at_the_repository_root() {
    let outer = consumer_repository();
    let inner = outer.path().join("vendor/other");
    std::fs::create_dir_all(&inner).unwrap();
    git(&inner, &["init", "--quiet"]);
    let run = chartgen_in(&inner, &["check", "--only", "defaults"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.trim_end().ends_with("(built-in certctl example)"), "another repository's spec is not this one's: {}", run.stdout);
}

#[test]
fn init_refuses_names_and_images_that_would_not_work() {
    let dir = tempfile::tempdir().unwrap();
    for (args, said) in [
        (vec!["init", "--name", "My_App"], "is not a valid application name"),
        (vec!["init", "--name", "myapp", "--image", "ghcr.io/acme/myapp"], "is not an image with a tag"),
        (vec!["init", "--name", "myapp", "--metric", "bad-metric"], "is not a metric name"),
    ] {
        let run = chartgen_in(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(said), "{args:?}: {}", run.stderr);
    }
    assert!(!dir.path().join("chartgen.yaml").exists(), "nothing is written on bad input");
}

/// A spec file as JSON, read with chartgen's own YAML reader.
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    chartgen::source::load_str(&chartgen::diagnostic::Source::new(path.display().to_string(), text)).unwrap().to_json()
}

#[test]
fn the_spec_schema_accepts_the_specs_chartgen_accepts_and_names_a_wrong_key() {
    let schema: serde_json::Value = serde_json::from_str(&chartgen_in(&root(), &["spec-schema"]).stdout).unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("the spec schema compiles as draft-07");
    let repository = consumer_repository();
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(repository.path().join("chartgen.schema.json")).unwrap()).unwrap();
    assert_eq!(written, schema, "init writes the schema spec-schema prints");
    for spec in [root().join("fixtures/specs/certctl.yaml"), root().join("fixtures/specs/ledger.yaml"), repository.path().join("chartgen.yaml")] {
        let errors: Vec<String> = validator.iter_errors(&as_json(&spec)).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", spec.display());
    }
    let mut wrong = as_json(&root().join("fixtures/specs/certctl.yaml"));
    wrong["app"]["databse"] = "x".into();
    assert!(validator.iter_errors(&wrong).any(|e| e.to_string().contains("databse")));
}

/// The fenced `yaml` block of the README that contains `marker`.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    readme
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_string())
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("no yaml block with {marker:?} in the README"))
}

#[test]
fn the_readme_shows_the_snippets_init_prints() {
    assert_eq!(readme_block("id: chartgen-check"), chartgen::init::PRE_COMMIT);
    assert_eq!(readme_block("upload-sarif"), chartgen::init::GITHUB_ACTIONS);
    let dir = tempfile::tempdir().unwrap();
    let run = chartgen_in(dir.path(), &["init", "--name", "myapp"]);
    assert!(run.stdout.contains(chartgen::init::PRE_COMMIT) && run.stdout.contains(chartgen::init::GITHUB_ACTIONS), "{}", run.stdout);
}

/// A directory with only `chartgen` in it, for PATH: as `cargo install` leaves it.
fn installed() -> (tempfile::TempDir, String) {
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_chartgen"), bin.path().join("chartgen")).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    (bin, path)
}

/// The consumer repository, with its chart generated, a runbook, and all committed.
fn committed_consumer() -> tempfile::TempDir {
    let repository = consumer_repository();
    assert_eq!(chartgen_in(repository.path(), &["generate"]).code, 0);
    std::fs::create_dir_all(repository.path().join("docs")).unwrap();
    std::fs::write(repository.path().join("docs/backups.md"), "# Backups\n\n```sh\nhelm upgrade myapp charts-out/myapp --set backup.enabled=true\n```\n").unwrap();
    git(repository.path(), &["add", "-A"]);
    git(repository.path(), &["commit", "--quiet", "-m", "chart spec"]);
    repository
}

#[test]
fn the_readme_s_github_actions_steps_pass_in_a_repository_of_its_own() {
    let repository = committed_consumer();
    let (_bin, path) = installed();
    let workflow = readme_block("upload-sarif");
    let steps: Vec<&str> = workflow.lines().filter_map(|l| l.trim_start().strip_prefix("- run: ")).collect();
    assert!(steps[0].starts_with("cargo install"), "{steps:?}");
    // chartgen is on PATH already, as the install step leaves it.
    for step in &steps[1..] {
        let output = Command::new("sh").args(["-c", step]).current_dir(repository.path()).env("PATH", &path).output().unwrap();
        assert!(output.status.success(), "{step}: {}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    }
    let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(repository.path().join("chartgen.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
#[ignore = "needs pre-commit (bash .ci/run installs it) and builds chartgen from this repository's committed HEAD"]
fn the_readme_s_pre_commit_configuration_passes_in_a_repository_of_its_own() {
    let pre_commit = common::program("pre-commit", "pre-commit (PyPI)");
    let repository = committed_consumer();
    let head = String::from_utf8(Command::new("git").args(["rev-parse", "HEAD"]).current_dir(root()).output().unwrap().stdout).unwrap();
    let config = readme_block("id: chartgen-check").replace(chartgen::init::REPOSITORY, &root().display().to_string()).replace(chartgen::init::REVISION, head.trim());
    std::fs::write(repository.path().join(".pre-commit-config.yaml"), config).unwrap();
    // try-repo takes the hooks from chartgen's repository at its HEAD, as a consumer would at a tag.
    let output = Command::new(pre_commit).args(["try-repo"]).arg(root()).args(["--all-files"]).current_dir(repository.path()).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{said}");
    for hook in ["chartgen generate --check", "chartgen check", "chartgen docs"] {
        assert!(said.lines().any(|l| l.starts_with(hook) && l.ends_with("Passed")), "{hook} did not pass:\n{said}");
    }
}
