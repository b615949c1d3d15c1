//! Runbook drift: the commands in Markdown runbooks against the model.
//!
//! In every fenced code block, each `helm install|upgrade|template` command
//! (continuation lines joined) is read as Helm would: its `--set`,
//! `--set-string` and `--set-json` arguments with Helm's parser, its `-f`
//! files when they exist. The result must type-check against the values
//! model (keys that exist, values of the right type, with the near-miss
//! suggestion). Every `pg_dump` must have the chart's canonical options.
//!
//! The documents of its fenced `yaml` blocks are read here too, each with
//! the line it starts on and a way to find the line of a JSON pointer in it,
//! so that the lint rules (`rules::check_runbook`) can check the resources a
//! runbook tells the reader to apply and place what they find.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Origin};
use crate::codes::Code;
use crate::place::Place;
use crate::shell::missing_options;
use crate::spec::lint::Severity;
use crate::spec::Spec;
use crate::values;

/// One problem in a runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFinding {
    pub code: Code,
    pub severity: Severity,
    pub line: usize,
    pub message: String,
}

/// A shell command of a code block: its words, each with the line it is on.
struct Command {
    line: usize,
    words: Vec<String>,
    lines: Vec<usize>,
}

/// Languages of code blocks that hold shell commands; a block without one counts.
const SHELL_BLOCKS: [&str; 6] = ["", "sh", "bash", "shell", "console", "zsh"];

fn commands(markdown: &str) -> Vec<Command> {
    let mut out = Vec::new();
    // Inside a fence: whether its commands are read.
    let mut block: Option<bool> = None;
    let mut pending: Option<Command> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```").or_else(|| trimmed.strip_prefix("~~~")) {
            block = match block {
                Some(_) => None,
                None => Some(SHELL_BLOCKS.contains(&info.split_whitespace().next().unwrap_or_default())),
            };
            pending = None;
            continue;
        }
        if block != Some(true) {
            continue;
        }
        let text = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
        let mut command = pending.take().unwrap_or(Command { line: index + 1, words: Vec::new(), lines: Vec::new() });
        let (text, continues) = match text.strip_suffix('\\') {
            Some(head) => (head, true),
            None => (text, false),
        };
        // Each line is split on its own, so every word keeps the line it was written on.
        let Some(words) = shlex::split(text) else { continue };
        command.lines.extend(std::iter::repeat_n(index + 1, words.len()));
        command.words.extend(words);
        if continues {
            pending = Some(command);
        } else if !command.words.is_empty() {
            out.push(command);
        }
    }
    out
}

/// Checks one runbook. `dir` resolves the `-f` files it names.
pub fn check_runbook(spec: &Spec, markdown: &str, dir: &Path) -> Vec<DocFinding> {
    let mut findings = Vec::new();
    for command in commands(markdown) {
        let words = &command.words;
        if let Some(at) = words.iter().position(|w| w == "pg_dump") {
            let missing = missing_options(&words[at..].join(" "));
            if !missing.is_empty() {
                findings.push(DocFinding {
                    code: Code::DocsPgDump,
                    severity: Severity::Error,
                    line: command.lines[at],
                    message: format!("this pg_dump lacks {} (the chart dumps with --format=custom --no-owner --no-acl)", missing.join(", ")),
                });
            }
        }
        let is_helm = words.first().is_some_and(|w| w == "helm") && words.get(1).is_some_and(|w| matches!(w.as_str(), "install" | "upgrade" | "template"));
        if is_helm {
            findings.extend(helm_findings(spec, &command, dir));
        }
    }
    findings
}

/// The values of one `helm install|upgrade|template` command, read as Helm
/// reads them (through the same code as `chartgen render`), and every
/// problem, each at the line of the argument it comes from.
fn helm_findings(spec: &Spec, command: &Command, dir: &Path) -> Vec<DocFinding> {
    let words = &command.words;
    let mut inputs = values::ValueInputs::default();
    // Which line each argument was written on, to place what it causes.
    let mut lines: Vec<(String, usize)> = Vec::new();
    let mut i = 2;
    while i < words.len() {
        let (flag, inline) = match words[i].split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.to_string())),
            _ => (words[i].clone(), None),
        };
        let takes_value = matches!(flag.as_str(), "--set" | "--set-string" | "--set-json" | "-f" | "--values");
        let line = command.lines[i];
        let value = if takes_value && inline.is_none() {
            i += 1;
            words.get(i).cloned()
        } else {
            inline
        };
        i += 1;
        let Some(value) = value else { continue };
        match flag.as_str() {
            "--set" => inputs.set.push(value.clone()),
            "--set-string" => inputs.set_string.push(value.clone()),
            "--set-json" => inputs.set_json.push(value.clone()),
            // A values file the runbook names but the repository lacks is the reader's own.
            "-f" | "--values" if dir.join(&value).is_file() => {
                let path = dir.join(&value);
                lines.push((path.display().to_string(), line));
                inputs.files.push(path);
                continue;
            }
            _ => continue,
        }
        lines.push((value, line));
    }
    let (user, mut problems) = values::user_tree(&inputs);
    if let Err(bad) = values::typecheck_user_tree(spec, user) {
        problems.extend(bad.0);
    }
    let line_of = |diagnostic: &Diagnostic| match &diagnostic.origin {
        Origin::Span { source, .. } => lines.iter().find(|(text, _)| *text == source.text || *text == source.name).map(|(_, line)| *line),
        Origin::Default => None,
    };
    let mut findings: Vec<DocFinding> = problems
        .iter()
        .map(|diagnostic| DocFinding { code: Code::DocsValues, severity: Severity::Error, line: line_of(diagnostic).unwrap_or(command.line), message: diagnostic_text(diagnostic) })
        .collect();
    findings.sort_by_key(|f| f.line);
    findings
}

/// A diagnostic as one line: its message and its help.
fn diagnostic_text(diagnostic: &Diagnostic) -> String {
    match &diagnostic.help {
        Some(help) => format!("{}; {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    }
}

/// Languages of code blocks that hold YAML documents.
const YAML_BLOCKS: [&str; 2] = ["yaml", "yml"];

/// The word after a block's language that marks it as an example, not part of the runbook.
pub const EXAMPLE_MARK: &str = "example";

/// One YAML document of a runbook's fenced `yaml` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookDocument {
    /// Which `yaml` block it is in, counting from 0.
    pub block: usize,
    /// The line of the runbook its first line is on (1-based).
    pub line: usize,
    pub text: String,
}

impl RunbookDocument {
    /// The document as JSON, when it is YAML of a map.
    pub fn object(&self) -> Option<serde_json::Value> {
        let node = crate::source::load_str(&crate::diagnostic::Source::new("runbook", self.text.as_str())).ok()?;
        let json = node.to_json();
        json.is_object().then_some(json)
    }

    /// The runbook line of what a JSON pointer names in the document: the
    /// line of its key, or of the nearest enclosing one that exists.
    pub fn line_of(&self, pointer: &str) -> usize {
        let Ok(root) = crate::source::load_str(&crate::diagnostic::Source::new("runbook", self.text.as_str())) else { return self.line };
        let mut node = &root;
        let mut line = node.origin.line();
        for segment in pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")) {
            let next = match &node.value {
                crate::source::Value::Map(map) => map.get(&segment).map(|m| (m.key.line(), &m.node)),
                crate::source::Value::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)).map(|n| (n.origin.line(), n)),
                _ => None,
            };
            let Some((at, child)) = next else { break };
            line = at.or(line);
            node = child;
        }
        self.line + line.unwrap_or(1) - 1
    }
}

/// The documents of a runbook's fenced `yaml` blocks, split at `---` lines,
/// each with the line it starts on; documents of nothing but blank lines and
/// comments are left out.
pub fn yaml_documents(markdown: &str) -> Vec<RunbookDocument> {
    let mut out = Vec::new();
    let mut blocks = 0;
    // Inside a fence: whether it is a YAML block, and the document being read (its first line and text).
    let mut fence: Option<bool> = None;
    let mut current: Option<(usize, String)> = None;
    let finish = |current: &mut Option<(usize, String)>, block: usize, out: &mut Vec<RunbookDocument>| {
        if let Some((line, text)) = current.take()
            && text.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        {
            out.push(RunbookDocument { block, line, text });
        }
    };
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```").or_else(|| trimmed.strip_prefix("~~~")) {
            match fence {
                Some(yaml) => {
                    if yaml {
                        finish(&mut current, blocks, &mut out);
                        blocks += 1;
                    }
                    fence = None;
                }
                None => {
                    let mut words = info.split_whitespace();
                    let yaml = YAML_BLOCKS.contains(&words.next().unwrap_or_default());
                    // ```yaml example: an illustration (a rule's bad example), shown and not checked.
                    fence = Some(yaml && !words.any(|word| word == EXAMPLE_MARK));
                }
            }
            continue;
        }
        if fence != Some(true) {
            continue;
        }
        if line.trim_end() == "---" || line.starts_with("--- ") {
            finish(&mut current, blocks, &mut out);
            continue;
        }
        let (_, text) = current.get_or_insert_with(|| (index + 1, String::new()));
        text.push_str(line);
        text.push('\n');
    }
    out
}

/// Checks a runbook's text; its commands name values files beside it.
pub fn check_file(spec: &Spec, file: &Place, text: &str) -> Vec<DocFinding> {
    // A built-in runbook names no values file a user has.
    let dir = file.disk().map_or(Path::new("/nonexistent"), |f| f.parent().unwrap_or(Path::new(".")));
    check_runbook(spec, text, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shell_blocks_are_read() {
        let found = commands("```yaml\nargs: [pg_dump]\n```\n```console\n$ pg_dump -Fc -O -x\n```\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].words, ["pg_dump", "-Fc", "-O", "-x"]);
    }

    #[test]
    fn a_yaml_block_marked_as_an_example_is_not_read() {
        let markdown = "```yaml example\nkind: ScheduledBackup\n```\n```yaml\nkind: Cluster\n```\n";
        let documents = yaml_documents(markdown);
        assert_eq!(documents.iter().map(|d| d.text.trim()).collect::<Vec<_>>(), ["kind: Cluster"]);
        assert_eq!(documents[0].line, 5);
    }

    #[test]
    fn yaml_blocks_are_split_into_documents_that_know_their_lines() {
        let markdown = "text\n```yaml\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    x.io/y: z\n---\n# only a comment\n---\nkind: Secret\n```\n```sh\nkind: NotYaml\n```\n";
        let documents = yaml_documents(markdown);
        assert_eq!(documents.len(), 2);
        assert_eq!((documents[0].block, documents[0].line), (0, 4));
        assert_eq!(documents[0].line_of("/metadata/annotations/x.io~1y"), 9);
        assert_eq!(documents[0].line_of("/metadata/missing"), 6);
        assert_eq!(documents[1].line, 13);
        assert_eq!(documents[0].object().unwrap()["metadata"]["name"], "a");
    }

    #[test]
    fn continuation_lines_join_into_one_command_whose_words_keep_their_lines() {
        let found = commands("text\n```sh\nhelm upgrade x ./c \\\n  --set a=b \\\n  --set c=d\n```\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 3);
        assert_eq!(found[0].words, ["helm", "upgrade", "x", "./c", "--set", "a=b", "--set", "c=d"]);
        assert_eq!(found[0].lines, [3, 3, 3, 3, 4, 4, 5, 5]);
    }
}
