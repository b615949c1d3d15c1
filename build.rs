//! Embeds every `templates/*.j2` file so the binary needs no template
//! directory, and the built-in example's goldens, scenarios and runbook;
//! lists the lint rules: every `src/rules/*.rs` but the engine's own files
//! is one rule, so adding a rule is adding its file.
use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=templates");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("templates/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".j2"))
        .collect();
    names.sort();
    let mut code = String::from("/// The templates: file name, path in the repository, text.\npub const TEMPLATES: &[(&str, &str, &str)] = &[\n");
    for name in names {
        let path = dir.join(&name);
        writeln!(code, "    ({name:?}, {:?}, include_str!({:?})),", format!("templates/{name}"), path.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("templates.rs");
    std::fs::write(out, code).unwrap();
    list_rules();
    embed_builtin_files();
}

/// The built-in example's own files (goldens, scenarios, runbook), by their
/// path in the repository, so the example runs from any directory.
fn embed_builtin_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["fixtures/golden/certctl", "fixtures/scenarios"] {
        println!("cargo:rerun-if-changed={dir}");
        let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
    }
    println!("cargo:rerun-if-changed=docs/runbook.md");
    files.push("docs/runbook.md".to_string());
    let mut code = String::from("/// The built-in example's files, by path in chartgen's repository.\npub static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for file in files {
        writeln!(code, "    ({file:?}, include_str!({:?})),", root.join(&file).display().to_string()).unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_files.rs");
    std::fs::write(out, code).unwrap();
}

fn list_rules() {
    println!("cargo:rerun-if-changed=src/rules");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut modules: Vec<String> = std::fs::read_dir(&dir)
        .expect("src/rules/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_string))
        .filter(|n| n != "mod" && n != "support")
        .collect();
    modules.sort();
    let mut code = String::new();
    for module in &modules {
        writeln!(code, "#[path = {:?}]\nmod {module};", dir.join(format!("{module}.rs")).display().to_string()).unwrap();
    }
    code.push_str("/// Every rule file's `RULE`.\nstatic RULES: &[&dyn Rule] = &[\n");
    for module in &modules {
        writeln!(code, "    &{module}::RULE,").unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("rules.rs");
    std::fs::write(out, code).unwrap();
}
