//! What a documented answer (`# → …` under a command) promises, and whether an answer keeps it.
//!
//! `# → {"id": "pay_…", "status": "created", …}` is a pattern: the keys it names must be in the
//! answer with those values, `…` inside a string stands for any text, a bare `…` for any value
//! (or, as the last element of an object or array, for whatever else is there). A leading HTTP
//! status (`# → 409 {…}`) is the status the step's last request must get. Anything else after
//! the arrow is text that must appear, line by line (with `…` for any text), in what the step
//! printed.

use serde_json::Value;

/// The expectation of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub status: Option<u16>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON pattern the step's last response must match.
    Json(Value),
    /// Lines (each with `…` wildcards) the step's output must contain.
    Text(Vec<String>),
    /// Only a status.
    Nothing,
}

impl Expect {
    /// Parses the text after `# →` (continuation lines joined with newlines).
    pub fn parse(text: &str) -> Result<Expect, String> {
        let text = text.trim();
        let (status, rest) = match text.split_once(char::is_whitespace) {
            Some((head, rest)) if head.len() == 3 && head.bytes().all(|b| b.is_ascii_digit()) => {
                (Some(head.parse().unwrap()), rest.trim())
            }
            _ if text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) => {
                (Some(text.parse().unwrap()), "")
            }
            _ => (None, text),
        };
        let body = if rest.is_empty() {
            Body::Nothing
        } else if rest.starts_with('{') || rest.starts_with('[') {
            let json = unellipsise(rest);
            Body::Json(
                serde_json::from_str(&json)
                    .map_err(|e| format!("not a JSON pattern ({e}): {json}"))?,
            )
        } else {
            Body::Text(rest.lines().map(|l| l.trim().to_owned()).collect())
        };
        Ok(Expect { status, body })
    }
}

/// The JSON pattern as JSON: a bare `…` becomes the string `"…"`, except where it stands for
/// an object's other members (then it goes, with its comma).
fn unellipsise(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut pending_comma = false;
    let last_sig = |out: &str| out.trim_end().chars().last();
    for c in pattern.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            ',' => pending_comma = true,
            c if c.is_whitespace() => out.push(c),
            '…' => {
                let at_member = stack.last() == Some(&'{')
                    && (pending_comma || matches!(last_sig(&out), Some('{')));
                if !at_member {
                    if pending_comma {
                        out.push(',');
                        pending_comma = false;
                    }
                    out.push_str("\"…\"");
                }
            }
            '}' | ']' => {
                pending_comma = false;
                stack.pop();
                out.push(c);
            }
            _ => {
                if pending_comma {
                    if !matches!(last_sig(&out), Some('{' | '[' | ',') | None) {
                        out.push(',');
                    }
                    pending_comma = false;
                }
                match c {
                    '{' | '[' => stack.push(c),
                    '"' => in_string = true,
                    _ => {}
                }
                out.push(c);
            }
        }
    }
    out
}

/// Whether `text` matches `pattern`, where each `…` in the pattern stands for any text.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    if !text.ends_with(last) {
        return false;
    }
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Where `actual` departs from `pattern` (a path and what differs), or `None` if it matches.
pub fn mismatch(pattern: &Value, actual: &Value, path: &str) -> Option<String> {
    let differ = || Some(format!("{path}: expected {pattern}, got {actual}"));
    let unless = |matches: bool| if matches { None } else { differ() };
    match (pattern, actual) {
        (Value::String(p), _) if p == "…" => None,
        (Value::String(p), Value::String(a)) if p.contains('…') => unless(glob(p, a)),
        (Value::String(p), a) if p.contains('…') && !a.is_object() && !a.is_array() => {
            unless(glob(p, &a.to_string()))
        }
        (Value::Object(p), Value::Object(a)) => p.iter().find_map(|(k, v)| match a.get(k) {
            Some(av) => mismatch(v, av, &format!("{path}.{k}")),
            None => Some(format!("{path}.{k}: missing (expected {v})")),
        }),
        (Value::Array(p), Value::Array(a)) => {
            let open = p.last().is_some_and(|l| l == "…");
            let named = if open { &p[..p.len() - 1] } else { &p[..] };
            if a.len() < named.len() || (!open && a.len() != named.len()) {
                return differ();
            }
            named
                .iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (pv, av))| mismatch(pv, av, &format!("{path}[{i}]")))
        }
        (Value::Number(p), Value::Number(a)) => unless(p.as_f64() == a.as_f64()),
        (p, a) => unless(p == a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ellipses_become_wildcards_or_go() {
        let e =
            Expect::parse(r#"{"id": "pay_…", "fee": 25, "metadata": {…}, "at": …, …}"#).unwrap();
        assert_eq!(
            e.body,
            Body::Json(json!({"id": "pay_…", "fee": 25, "metadata": {}, "at": "…"}))
        );
        let e = Expect::parse(r#"409 {"error": {"code": "x", …}}"#).unwrap();
        assert_eq!(e.status, Some(409));
        let e = Expect::parse(r#"{"data": [{"id": "a"}, …]}"#).unwrap();
        assert_eq!(e.body, Body::Json(json!({"data": [{"id": "a"}, "…"]})));
        let e = Expect::parse("reference … pays cr_…").unwrap();
        assert_eq!(e.body, Body::Text(vec!["reference … pays cr_…".into()]));
    }

    #[test]
    fn patterns_match_what_they_name_only() {
        let p = json!({"id": "pay_…", "fee": 25, "list": ["a", "…"]});
        assert_eq!(
            mismatch(
                &p,
                &json!({"id": "pay_1", "fee": 25.0, "list": ["a", "b"], "x": 1}),
                "$"
            ),
            None
        );
        assert!(mismatch(&p, &json!({"id": "pi_1", "fee": 25, "list": ["a"]}), "$").is_some());
        assert!(mismatch(&p, &json!({"id": "pay_1", "fee": 26, "list": ["a"]}), "$").is_some());
        assert!(mismatch(&p, &json!({"id": "pay_1", "list": ["a"]}), "$").is_some());
        assert!(mismatch(&json!(["a"]), &json!(["a", "b"]), "$").is_some());
        assert!(glob("…T…Z", "2026-01-01T00:00:00Z"));
        assert!(!glob("pay_…", "pi_1"));
        assert!(glob("a…b…c", "a-b-c"));
        assert!(!glob("ab…ba", "aba"));
    }
}
