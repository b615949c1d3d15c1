//! Reading shell scripts and command lines: the programs a script calls,
//! and the options a `pg_dump` invocation lacks.

use std::collections::BTreeSet;

/// The script without the bodies of its here-documents, and the names of the functions it defines.
fn prepare(script: &str) -> (String, BTreeSet<String>) {
    static HEREDOC: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static FUNCTION: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let heredoc = HEREDOC.get_or_init(|| regex::Regex::new(r#"<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?"#).expect("a valid pattern"));
    let function = FUNCTION.get_or_init(|| regex::Regex::new(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)").expect("a valid pattern"));
    let mut kept = String::new();
    let mut functions = BTreeSet::new();
    let mut until: Option<String> = None;
    for line in script.lines() {
        if let Some(end) = &until {
            if line.trim() == end {
                until = None;
            }
            continue;
        }
        if let Some(name) = function.captures(line) {
            functions.insert(name[1].to_string());
        }
        until = heredoc.captures(line).map(|c| c[1].to_string());
        kept.push_str(line);
        kept.push('\n');
    }
    (kept, functions)
}

/// The programs a shell script calls: the first word of each simple
/// command, including those in `$( )`, skipping keywords, assignments,
/// redirections, quoted text, comments, here-documents and the script's own functions.
pub fn commands(script: &str) -> BTreeSet<String> {
    const KEYWORDS: [&str; 16] = ["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!", "in", "{", "}"];
    let (script, functions) = prepare(script);
    #[derive(PartialEq)]
    enum Context {
        Plain,
        Double,
    }
    let chars: Vec<char> = script.chars().collect();
    let mut out = BTreeSet::new();
    // One entry per nesting level: the quoting context to return to after `)`.
    let mut stack: Vec<Context> = vec![Context::Plain];
    let mut at_start = true;
    let mut word = String::new();
    // Inside how many `case` bodies: there a word that ends at `)` in command position is a pattern.
    let mut cases = 0usize;
    let mut finish = |word: &mut String, at_start: &mut bool, cases: &mut usize| {
        if word.is_empty() {
            return;
        }
        let is_redirect = word.starts_with('>') || word.starts_with('<') || word.chars().next().is_some_and(|c| c.is_ascii_digit()) && word.contains('>');
        if *at_start && (word == "for" || word == "case") {
            // `for NAME in WORDS` and `case WORD in`: names and words, not commands.
            *cases += usize::from(word == "case");
            *at_start = false;
        } else if *at_start && word == "esac" {
            *cases = cases.saturating_sub(1);
        } else if *at_start && !is_redirect {
            let assignment = word.split_once('=').is_some_and(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !KEYWORDS.contains(&word.as_str()) && !assignment {
                out.insert(word.rsplit('/').next().unwrap_or(word).to_string());
                *at_start = false;
            }
        }
        word.clear();
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let in_double = stack.last() == Some(&Context::Double);
        if c == '\\' {
            if !in_double {
                word.push(next.unwrap_or(' '));
            }
            i += 2;
            continue;
        }
        if c == '$' && next == Some('{') {
            // A parameter expansion is part of the word, spaces and all.
            while i < chars.len() && chars[i] != '}' {
                i += 1;
            }
            word.push('x');
            i += 1;
            continue;
        }
        if c == '$' && next == Some('(') {
            if chars.get(i + 2) == Some(&'(') {
                // Arithmetic: no commands inside.
                let mut depth = 0;
                while i < chars.len() {
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                word.push('0');
                i += 1;
                continue;
            }
            finish(&mut word, &mut at_start, &mut cases);
            stack.push(Context::Plain);
            at_start = true;
            i += 2;
            continue;
        }
        if in_double {
            if c == '"' {
                stack.pop();
            }
            word.push('x');
            i += 1;
            continue;
        }
        match c {
            '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                word.push('x');
            }
            '"' => {
                stack.push(Context::Double);
                word.push('x');
            }
            '#' if word.is_empty() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ')' if stack.len() == 1 && cases > 0 && at_start => {
                word.clear();
            }
            // `a|b)`: alternatives of one pattern.
            '|' if stack.len() == 1 && cases > 0 && at_start && chars[i + 1..].iter().take_while(|c| !c.is_whitespace()).any(|c| *c == ')') => word.push(c),
            ')' if stack.len() > 1 => {
                finish(&mut word, &mut at_start, &mut cases);
                stack.pop();
                at_start = false;
            }
            '&' if word.ends_with('>') || word.ends_with('<') => word.push(c),
            ';' | '|' | '&' | '\n' | '(' | ')' | '`' => {
                finish(&mut word, &mut at_start, &mut cases);
                at_start = true;
            }
            ' ' | '\t' => finish(&mut word, &mut at_start, &mut cases),
            _ => word.push(c),
        }
        i += 1;
    }
    finish(&mut word, &mut at_start, &mut cases);
    out.retain(|name| !functions.contains(name) && !name.ends_with("()"));
    out
}

/// Which canonical options an invocation lacks.
pub fn missing_options(invocation: &str) -> Vec<&'static str> {
    let words: Vec<&str> = invocation.split_whitespace().collect();
    let has = |long: &[&str], short: &[&str]| words.iter().any(|w| long.iter().any(|l| w.starts_with(l)) || short.contains(w));
    let mut missing = Vec::new();
    if !has(&["--format=custom", "--format=c"], &["-Fc", "-Fcustom"]) && !words.windows(2).any(|p| p[0] == "-F" && (p[1] == "c" || p[1] == "custom")) {
        missing.push("--format=custom");
    }
    if !has(&["--no-owner"], &["-O"]) {
        missing.push("--no-owner");
    }
    if !has(&["--no-acl", "--no-privileges"], &["-x"]) {
        missing.push("--no-acl");
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_first_words_of_simple_commands() {
        let found = commands(
            "set -eu # not: a command\nstamp=$(date -u +%s)\nif ! pg_restore --list x > /dev/null; then\n  echo \"no; not $(wc -c < \"$f\") bytes\" >&2\nfi\nls -1 | grep -E 'a|b' | tail -n +$((KEEP + 1))\n",
        );
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["date", "echo", "grep", "ls", "pg_restore", "set", "tail", "wc"]);
    }

    #[test]
    fn functions_here_documents_and_expansions_are_not_commands() {
        let found = commands("fail() {\n  echo \"$1\" >&2\n}\nop=${x%% *}\ncat <<END\nnot a command\nEND\nfail x\n");
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["cat", "echo"]);
    }

    #[test]
    fn loop_variables_loop_words_and_case_patterns_are_not_commands() {
        let found = commands("for part in $parts a b; do
  case $part in
    */data.tar.gz) tar -xzf \"$part\" ;;
    *.history|x) cp a b ;;
    *) fail \"no\" ;;
  esac
done
sort x
");
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["cp", "fail", "sort", "tar"]);
    }

}
