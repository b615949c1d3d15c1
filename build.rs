//! Embeds every `templates/*.j2` file so the binary needs no template directory.
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
    let mut code = String::from("/// The templates under `templates/`, by file name.\npub const TEMPLATES: &[(&str, &str)] = &[\n");
    for name in names {
        let path = dir.join(&name);
        writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("templates.rs");
    std::fs::write(out, code).unwrap();
}
