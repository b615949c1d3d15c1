//! Where a spec's own files are: on disk, relative to the spec file, or
//! built into chartgen for the built-in example (its goldens, scenarios and
//! runbook), so that `chartgen check` works from any directory without a
//! copy of chartgen's repository.

use std::fmt;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// The largest file chartgen reads (a values file, a spec, a runbook, a
/// CRD): far above any real one, and small enough that `-f /dev/zero` or a
/// runaway file is refused at once instead of filling memory.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Reads a whole file of at most [`MAX_FILE_BYTES`], without reading more
/// than one byte past the limit.
pub fn read_limited(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!("it is larger than {} MiB, the most chartgen reads", MAX_FILE_BYTES >> 20)));
    }
    Ok(bytes)
}

/// A file or directory a spec names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Disk(PathBuf),
    /// A path inside chartgen's repository (`fixtures/golden/certctl`), as built in.
    Builtin(String),
}

/// Where the built-in spec stands among the built-in files: its relative
/// paths resolve from here, as they do from the file in the repository.
pub const BUILTIN_SPEC_DIR: &str = "fixtures/specs";

impl Place {
    /// `relative` from this directory; `..` steps out of it.
    pub fn join(&self, relative: &str) -> Place {
        match self {
            Place::Disk(dir) => Place::Disk(dir.join(relative)),
            Place::Builtin(dir) => {
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for part in relative.split('/') {
                    match part {
                        "" | "." => {}
                        ".." => {
                            parts.pop();
                        }
                        part => parts.push(part),
                    }
                }
                Place::Builtin(parts.join("/"))
            }
        }
    }

    pub fn is_builtin(&self) -> bool {
        matches!(self, Place::Builtin(_))
    }

    /// The file's text; at most [`MAX_FILE_BYTES`] of it.
    pub fn read_to_string(&self) -> std::io::Result<String> {
        self.read().map(std::borrow::Cow::into_owned)
    }

    /// The text of the file; a built-in file's without a copy.
    pub fn read(&self) -> std::io::Result<std::borrow::Cow<'static, str>> {
        match self {
            Place::Disk(path) => {
                let bytes = read_limited(path)?;
                String::from_utf8(bytes).map(std::borrow::Cow::Owned).map_err(|_| std::io::Error::other("it is not UTF-8"))
            }
            Place::Builtin(path) => BUILTIN_FILES
                .binary_search_by(|(name, _)| (*name).cmp(path.as_str()))
                .map(|found| std::borrow::Cow::Borrowed(BUILTIN_FILES[found].1))
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::NotFound, "no such built-in file")),
        }
    }

    /// The files directly in this directory whose names end in `.{extension}`, sorted.
    pub fn files(&self, extension: &str) -> std::io::Result<Vec<Place>> {
        let suffix = format!(".{extension}");
        let mut out = match self {
            Place::Disk(dir) => std::fs::read_dir(dir)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.to_string_lossy().ends_with(&suffix))
                .map(Place::Disk)
                .collect::<Vec<_>>(),
            Place::Builtin(dir) => {
                let prefix = format!("{dir}/");
                let found: Vec<Place> = BUILTIN_FILES
                    .iter()
                    .filter_map(|(name, _)| name.strip_prefix(&prefix).filter(|rest| !rest.contains('/') && rest.ends_with(&suffix)).map(|_| Place::Builtin(name.to_string())))
                    .collect();
                if found.is_empty() {
                    return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such built-in directory"));
                }
                found
            }
        };
        out.sort_by_key(Place::to_string);
        Ok(out)
    }

    /// The file name without its extension.
    pub fn stem(&self) -> String {
        let name = match self {
            Place::Disk(path) => path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            Place::Builtin(path) => path.rsplit('/').next().unwrap_or_default().to_string(),
        };
        name.rsplit_once('.').map_or(name.clone(), |(stem, _)| stem.to_string())
    }

    /// The path on disk, when it is one.
    pub fn disk(&self) -> Option<&Path> {
        match self {
            Place::Disk(path) => Some(path),
            Place::Builtin(_) => None,
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Disk(path) => write!(f, "{}", path.display()),
            Place::Builtin(path) => write!(f, "<built-in>/{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_file_is_found_by_its_path() {
        assert!(BUILTIN_FILES.windows(2).all(|pair| pair[0].0 < pair[1].0), "sorted, for the binary search");
        for (name, text) in BUILTIN_FILES {
            assert_eq!(Place::Builtin(name.to_string()).read().unwrap(), *text);
        }
        assert!(Place::Builtin("fixtures/golden/certctl/none.yaml".into()).read().is_err());
    }

    #[test]
    fn built_in_paths_resolve_like_the_repository_s() {
        let spec_dir = Place::Builtin(BUILTIN_SPEC_DIR.into());
        assert_eq!(spec_dir.join("../golden/certctl"), Place::Builtin("fixtures/golden/certctl".into()));
        assert_eq!(spec_dir.join("../../docs/runbook.md"), Place::Builtin("docs/runbook.md".into()));
        let goldens = spec_dir.join("../golden/certctl").files("yaml").unwrap();
        assert!(goldens.len() > 100);
        assert!(goldens[0].read_to_string().unwrap().contains("kind: "));
        assert!(spec_dir.join("../../docs/runbook.md").read_to_string().unwrap().contains("helm"));
        assert!(spec_dir.join("../nothing").files("yaml").is_err());
    }
}
