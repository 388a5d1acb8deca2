//! The documentation's shell blocks as one bash script, cut into steps at each documented
//! answer (`# → …`), with a record of which page and line each script line came from.
//!
//! Blocks fenced ```` ```sh ```` or ```` ```bash ```` run; ```` ```sh skip ```` (a command that
//! runs for minutes, needs what CI installs elsewhere, or would start the tests themselves) and
//! every other language are shown only. A `…` in a command is a placeholder the reader cannot
//! fill, and refused, except `NAME=…` for a value the gateway printed at start (`KEY`, `MER`):
//! the script sets those to what it printed, as the reader copies them.

use super::expect::Expect;
use std::collections::BTreeMap;

/// A fenced block of a page.
pub struct Block {
    pub page: String,
    /// Line (1-based) of the block's first line inside the fence.
    pub line: usize,
    pub lines: Vec<String>,
    pub runs: bool,
}

/// The fenced blocks of `text`.
pub fn blocks(page: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            if let Some(b) = open.as_mut() {
                b.lines.push(line.to_owned());
            }
            continue;
        };
        if let Some(block) = open.take() {
            out.push(block);
            continue;
        }
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or_default();
        open = Some(Block {
            page: page.to_owned(),
            line: i + 2,
            lines: Vec::new(),
            runs: matches!(lang, "sh" | "bash") && !words.any(|w| w == "skip"),
        });
    }
    out
}

/// A run of commands up to a documented answer (or the end of their block).
#[derive(Debug)]
pub struct Step {
    pub page: String,
    pub first_line: usize,
    pub last_line: usize,
    pub expect: Option<Expect>,
}

pub struct Script {
    pub text: String,
    pub steps: Vec<Step>,
    /// The page and line of each line of `text` (index 0 is the script's line 1).
    pub origin: Vec<(String, usize)>,
    /// Commands that cannot run as written.
    pub problems: Vec<String>,
}

/// What the script does before the first block: stop at the first failing command, record each
/// response (its body and status, per step) while printing it as curl would, mark each step's
/// start on stdout, and stop what the blocks left running in the background.
const PROLOGUE: &str = r#"set -euo pipefail
__doc_step=0
__doc_begin() { __doc_step=$1; printf '\n@@doc-step %s@@\n' "$1"; }
curl() {
  local out code
  out=$(command curl -w '\n@@http %{http_code}@@' "$@") || return $?
  code=${out##*@@http }; code=${code%@@}
  out=${out%$'\n'@@http *}
  printf '%s\n' "$out" > "$__doc_dir/body.$__doc_step"
  printf '%s\n' "$code" >> "$__doc_dir/status.$__doc_step"
  printf '%s\n' "$out"
}
trap 'echo "@@doc-failed line $LINENO status $?@@" >&2' ERR
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
"#;

/// Quote state of a shell line scan, carried across lines.
#[derive(Default, Clone, Copy, PartialEq)]
enum Quote {
    #[default]
    None,
    Single,
    Double,
}

/// Scans `line` from `state`; returns where a trailing comment starts (outside quotes) and the
/// state at the line's end.
fn scan(line: &str, mut state: Quote) -> (Option<usize>, Quote) {
    let mut escaped = false;
    let mut prev_blank = true;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            prev_blank = false;
            continue;
        }
        match (state, c) {
            (Quote::None, '#') if prev_blank => return (Some(i), state),
            (Quote::None | Quote::Double, '\\') => escaped = true,
            (Quote::None, '\'') => state = Quote::Single,
            (Quote::None, '"') => state = Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => state = Quote::None,
            _ => {}
        }
        prev_blank = c.is_whitespace();
    }
    (None, state)
}

/// `NAME=value  # comment` with `NAME` a value the gateway printed: `NAME` and the comment.
fn given_assignment<'a>(code: &'a str, given: &BTreeMap<String, String>) -> Option<&'a str> {
    let (name, value) = code.trim().split_once('=')?;
    (given.contains_key(name) && value.contains('…') && !value.contains(char::is_whitespace))
        .then_some(name)
}

/// `localhost:PORT` and `127.0.0.1:PORT` with each documented port replaced by `port(PORT)`.
fn map_ports(line: &str, port: &mut dyn FnMut(u16) -> u16) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = ["localhost:", "127.0.0.1:"]
        .iter()
        .filter_map(|h| rest.find(h).map(|i| i + h.len()))
        .min()
    {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(p) = rest[..digits].parse::<u16>() {
            out.push_str(&port(p).to_string());
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The script of `blocks`, in order.
pub fn build(
    blocks: &[Block],
    given: &BTreeMap<String, String>,
    doc_dir: &str,
    port: &mut dyn FnMut(u16) -> u16,
) -> Script {
    let mut s = Script {
        text: String::new(),
        steps: Vec::new(),
        origin: Vec::new(),
        problems: Vec::new(),
    };
    let emit = |s: &mut Script, line: &str, page: &str, n: usize| {
        s.text.push_str(line);
        s.text.push('\n');
        s.origin.push((page.to_owned(), n));
    };
    emit(&mut s, &format!("__doc_dir='{doc_dir}'"), "prologue", 0);
    for line in PROLOGUE.lines() {
        emit(&mut s, line, "prologue", 0);
    }
    for block in blocks.iter().filter(|b| b.runs) {
        let page = block.page.as_str();
        let mut quote = Quote::None;
        let mut continued = false;
        let mut open_step: Option<Step> = None;
        let mut answer: Option<(usize, String)> = None;
        let close = |s: &mut Script, step: Option<Step>, answer: Option<(usize, String)>| match (
            step, answer,
        ) {
            (Some(mut step), Some((line, text))) => {
                match Expect::parse(&text) {
                    Ok(e) => step.expect = Some(e),
                    Err(e) => s.problems.push(format!("{page}:{line}: {e}")),
                }
                s.steps.push(step);
            }
            (Some(step), None) => s.steps.push(step),
            (None, Some((line, _))) => s
                .problems
                .push(format!("{page}:{line}: an answer with no command above it")),
            (None, None) => {}
        };
        for (k, line) in block.lines.iter().enumerate() {
            let n = block.line + k;
            let trimmed = line.trim_start();
            let at_start = quote == Quote::None && !continued;
            if at_start && trimmed.starts_with('#') {
                let body = trimmed.trim_start_matches('#');
                if let Some(text) = body.trim_start().strip_prefix('→') {
                    close(&mut s, open_step.take(), answer.take());
                    // An answer belongs to the step above it, reopened to take it.
                    if let Some(step) = s.steps.pop() {
                        open_step = Some(step);
                    }
                    answer = Some((n, map_ports(text, port)));
                } else if let (Some((_, text)), true) = (answer.as_mut(), body.starts_with("  ")) {
                    text.push('\n');
                    text.push_str(&map_ports(body, port));
                } else {
                    close(&mut s, open_step.take(), answer.take());
                }
                emit(&mut s, line, page, n);
                continue;
            }
            if at_start && trimmed.is_empty() {
                emit(&mut s, line, page, n);
                continue;
            }
            if at_start && (answer.is_some() || open_step.is_none()) {
                close(&mut s, open_step.take(), answer.take());
                let index = s.steps.len();
                emit(&mut s, &format!("__doc_begin {index}"), page, n);
                open_step = Some(Step {
                    page: page.to_owned(),
                    first_line: n,
                    last_line: n,
                    expect: None,
                });
            }
            let (comment, after) = scan(line, quote);
            let code = &line[..comment.unwrap_or(line.len())];
            let mut out = line.clone();
            if code.contains('…') {
                match given_assignment(code, given) {
                    Some(name) if at_start => {
                        let tail = comment.map(|c| &line[c..]).unwrap_or_default();
                        out = format!("{name}='{}'   {tail}", given[name]);
                    }
                    _ => s.problems.push(format!(
                        "{page}:{n}: `…` in a command is a placeholder the reader cannot fill; \
                         show where the value comes from (a jq line): {}",
                        line.trim()
                    )),
                }
            }
            emit(&mut s, &map_ports(&out, port), page, n);
            if let Some(step) = open_step.as_mut() {
                step.last_line = n;
            }
            quote = after;
            continued = comment.is_none() && code.trim_end().ends_with('\\');
        }
        close(&mut s, open_step.take(), answer.take());
    }
    let index = s.steps.len();
    emit(&mut s, &format!("__doc_begin {index}"), "epilogue", 0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(md: &str) -> Script {
        let given = BTreeMap::from([("KEY".to_owned(), "sk_test_x".to_owned())]);
        build(&blocks("p.md", md), &given, "/tmp/d", &mut |p| p + 1)
    }

    #[test]
    fn steps_end_at_answers_and_placeholders_are_refused() {
        let s = script(concat!(
            "text\n```sh\nKEY=sk_test_…   # printed above\n",
            "curl -s localhost:8080/a -d '{\n  \"x\": \"#1\"}'\n# → {\"a\": 1,\n#    \"b\": 2}\n",
            "curl -s localhost:8080/b/pay_…\n```\n```sh skip\ncargo test\n```\n",
        ));
        assert_eq!(s.steps.len(), 2, "{:?}", s.steps);
        assert_eq!((s.steps[0].first_line, s.steps[0].last_line), (3, 5));
        assert!(s.steps[0].expect.is_some());
        assert_eq!(s.steps[1].first_line, 8);
        assert!(s.text.contains("KEY='sk_test_x'"), "{}", s.text);
        assert!(s.text.contains("localhost:8081/a"));
        assert!(!s.text.contains("cargo test"));
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(s.problems[0].starts_with("p.md:8:"));
    }
}
