//! The README's figures that a command can give are checked against that
//! command, so that they stay true: the template table against `generate`,
//! the combination counts against `check --list`, the rule count against
//! `rules`, the flags table against the model.

mod common;

use common::{chartgen, root};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

#[test]
fn the_template_table_is_what_generate_reports() {
    let dir = tempfile::tempdir().unwrap();
    let run = chartgen(&["generate", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let readme = readme();
    let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| ") && l.contains(".yaml | ")).collect();
    let reported: Vec<Vec<&str>> = run.stdout.lines().filter(|l| l.starts_with("templates/") && l.ends_with(|c: char| c.is_ascii_digit())).map(|l| l.split_whitespace().collect()).collect();
    let templates: Vec<&Vec<&str>> = reported.iter().filter(|r| r[0].ends_with(".yaml")).collect();
    assert_eq!(rows.len(), templates.len(), "one row per template:\n{}", run.stdout);
    for report in templates {
        let name = report[0].trim_start_matches("templates/");
        let row = format!("| {name} | {} | {} | {} |", report[1], report[2], report[3]);
        assert!(rows.contains(&row.as_str()), "the README lacks `{row}`");
    }
}

fn count(args: &[&str]) -> usize {
    let run = chartgen(args);
    run.stdout.lines().last().unwrap().split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn the_combination_counts_are_what_check_lists() {
    let all = count(&["check", "--list"]);
    let scenarios = std::fs::read_dir(root().join("fixtures/scenarios")).unwrap().count();
    let pairwise = count(&["check", "--list", "--strategy", "pairwise"]);
    let readme = readme();
    let said = format!("has {} distinct combinations, plus the named scenarios of\n`fixtures/scenarios/*.yaml` ({all} in all). `--strategy pairwise` covers every\npair of flag values in {} combinations", all - scenarios, pairwise - scenarios);
    assert!(readme.contains(&said), "the README should say:\n{said}");
    assert!(readme.contains(&format!("`chartgen check`, {all} combinations + the runbook")), "the speed table counts {all}");
}

#[test]
fn the_rule_count_and_the_flags_table_are_the_model_s() {
    let rules = chartgen(&["rules"]).stdout.lines().count();
    let readme = readme();
    assert!(readme.contains(&format!("`chartgen rules` lists the {rules} rules")), "{rules} rules");
    for flag in chartgen::values::flags::model_flags() {
        assert!(readme.contains(&format!("| `{}` |", flag.path)), "the flags table lacks `{}`", flag.path);
    }
}
