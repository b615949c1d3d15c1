//! Embeds the templates (`templates/*.j2`, chart-wide, and each component's
//! and backend's `src/components/**/templates/*.j2`) and the shell scripts
//! they print (`src/components/**/scripts/*.sh`) so the binary needs no
//! template directory, the built-in example's goldens, scenarios and
//! runbook, and the lint rules' examples (`fixtures/rules/<CODE>/`); lists
//! the lint rules: every `src/rules/*.rs` but the engine's own files, and
//! every `src/components/**/rules/*.rs`, is one rule, so adding a rule is
//! adding its file; embeds the custom-resource schemas of
//! `src/components/**/schemas/*.json` and the chart README's sections of
//! `src/components/**/readme.md.j2`.
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    embed_templates(root);
    list_rules(root);
    embed_crd_schemas(root);
    embed_readme_sections(root);
    embed_rule_examples(root);
    embed_builtin_files(root);
}

/// Files with this extension directly in `dir`, sorted.
fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file() && p.to_string_lossy().ends_with(extension)).collect();
    files.sort();
    files
}

/// Every folder and file under `src/components`, depth first, sorted.
fn component_paths(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            out.push(path.clone());
            if path.is_dir() {
                walk(&path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join("src/components"), &mut out);
    out
}

/// Every folder named `leaf` under `src/components`, at any depth, sorted.
fn component_folders(root: &Path, leaf: &str) -> Vec<PathBuf> {
    component_paths(root).into_iter().filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n == leaf)).collect()
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).expect("under the repository").to_string_lossy().into_owned()
}

fn embed_templates(root: &Path) {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=src/components");
    let mut files = files_in(&root.join("templates"), ".j2");
    for dir in component_folders(root, "templates") {
        files.extend(files_in(&dir, ".j2"));
    }
    let mut seen = std::collections::BTreeMap::new();
    let mut code = String::from("/// The templates: file name, path in the repository, text.\npub const TEMPLATES: &[(&str, &str, &str)] = &[\n");
    for path in &files {
        let name = path.file_name().expect("a file").to_string_lossy().into_owned();
        let at = relative(root, path);
        // A chart's templates/ is one flat folder: two files of one name would collide there.
        if let Some(other) = seen.insert(name.clone(), at.clone()) {
            panic!("two templates are named {name}: {other} and {at}");
        }
        writeln!(code, "    ({name:?}, {at:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    code.push_str(&embed_scripts(root));
    write_out("templates.rs", &code);
}

/// The schemas of the custom resources the components emit:
/// every `src/components/**/schemas/*.json`.
fn embed_crd_schemas(root: &Path) {
    let mut code = String::from("/// Schemas of the custom resources the components emit: path in the repository, text.\npub const CRD_SCHEMAS: &[(&str, &str)] = &[\n");
    for dir in component_folders(root, "schemas") {
        for file in files_in(&dir, ".json") {
            writeln!(code, "    ({:?}, include_str!({:?})),", relative(root, &file), file.display().to_string()).unwrap();
        }
    }
    code.push_str("];\n");
    write_out("crd_schemas.rs", &code);
}

/// The chart README's sections the components write: every
/// `src/components/**/readme.md.j2`, in path order.
fn embed_readme_sections(root: &Path) {
    let files = component_paths(root).into_iter().filter(|p| p.is_file() && p.file_name().is_some_and(|n| n == "readme.md.j2"));
    let mut code = String::from("/// The chart README's sections: path in the repository, template text.\npub const README_SECTIONS: &[(&str, &str)] = &[\n");
    for file in files {
        writeln!(code, "    ({:?}, include_str!({:?})),", relative(root, &file), file.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    write_out("readme_sections.rs", &code);
}

/// The shell scripts: file name, path in the repository, text. A chart
/// ships them side by side in `files/`, so their names are unique.
fn embed_scripts(root: &Path) -> String {
    let mut seen = std::collections::BTreeMap::new();
    let mut code = String::from("/// The shell scripts: file name, path in the repository, text.\npub const SCRIPTS: &[(&str, &str, &str)] = &[\n");
    for path in component_folders(root, "scripts").iter().flat_map(|dir| files_in(dir, ".sh")) {
        let name = path.file_name().expect("a file").to_string_lossy().into_owned();
        let at = relative(root, &path);
        if let Some(other) = seen.insert(name.clone(), at.clone()) {
            panic!("two scripts are named {name}: {other} and {at}");
        }
        writeln!(code, "    ({name:?}, {at:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    code
}

/// The built-in example's own files (goldens, scenarios, runbook), by their
/// path in the repository, so the example runs from any directory.
fn embed_builtin_files(root: &Path) {
    let mut files = Vec::new();
    for dir in ["fixtures/golden/certctl", "fixtures/scenarios"] {
        println!("cargo:rerun-if-changed={dir}");
        files.extend(files_in(&root.join(dir), ".yaml"));
    }
    println!("cargo:rerun-if-changed=docs/runbook.md");
    files.push(root.join("docs/runbook.md"));
    // Sorted by path, for a binary search.
    files.sort_by_key(|file| relative(root, file));
    let mut code = String::from("/// The built-in example's files, sorted by path in chartgen's repository.\npub static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for file in files {
        writeln!(code, "    ({:?}, include_str!({:?})),", relative(root, &file), file.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    write_out("builtin_files.rs", &code);
}

fn list_rules(root: &Path) {
    println!("cargo:rerun-if-changed=src/rules");
    let engine = ["mod.rs", "support.rs"];
    let mut files: Vec<PathBuf> = files_in(&root.join("src/rules"), ".rs").into_iter().filter(|p| !engine.iter().any(|e| p.ends_with(e))).collect();
    for dir in component_folders(root, "rules") {
        files.extend(files_in(&dir, ".rs"));
    }
    let module = |p: &PathBuf| p.file_stem().expect("a file").to_string_lossy().into_owned();
    let mut code = String::new();
    for file in &files {
        writeln!(code, "#[path = {:?}]\nmod {};", file.display().to_string(), module(file)).unwrap();
    }
    code.push_str("/// Every rule file's `RULE`.\nstatic RULES: &[&Rule] = &[\n");
    for file in &files {
        writeln!(code, "    &{}::RULE,", module(file)).unwrap();
    }
    code.push_str("];\n");
    write_out("rules.rs", &code);
}

/// Every rule's examples, `fixtures/rules/<CODE>/<case>.yaml` with an
/// optional `<case>.values.yaml`, ordered by code and case (so `bad` comes
/// before `bad-<case>`, and the bad ones before the good ones). A folder not
/// named after a rule code fails the build.
fn embed_rule_examples(root: &Path) {
    println!("cargo:rerun-if-changed=fixtures/rules");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/rules")).expect("fixtures/rules").filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    folders.sort();
    let mut code = String::from("/// Every rule's examples, by code and case.\npub static EXAMPLES: &[Example] = &[\n");
    for folder in folders {
        let rule = folder.file_name().expect("a folder").to_string_lossy().into_owned();
        let mut cases: Vec<(String, PathBuf)> = files_in(&folder, ".yaml")
            .into_iter()
            .filter(|p| !p.to_string_lossy().ends_with(".values.yaml"))
            .map(|p| (p.file_stem().expect("a file").to_string_lossy().into_owned(), p))
            .collect();
        cases.sort();
        for (case, file) in cases {
            assert!(case.starts_with("bad") || case.starts_with("good"), "{}: an example is named bad… or good…", relative(root, &file));
            let values_file = folder.join(format!("{case}.values.yaml"));
            let values = if values_file.is_file() { format!("include_str!({:?})", values_file.display().to_string()) } else { "\"\"".to_string() };
            writeln!(
                code,
                "    Example {{ code: RuleCode::{rule}, case: {case:?}, values: {values}, manifests: include_str!({:?}) }},",
                file.display().to_string()
            )
            .unwrap();
        }
    }
    code.push_str("];\n");
    write_out("rule_examples.rs", &code);
}

fn write_out(file: &str, code: &str) {
    std::fs::write(Path::new(&std::env::var("OUT_DIR").unwrap()).join(file), code).unwrap();
}
