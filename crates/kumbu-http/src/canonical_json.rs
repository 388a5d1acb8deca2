//! A JSON body as its parameters, for idempotency: insignificant whitespace dropped, every
//! object's members in key order, strings decoded and written one way (`"\u00e9"` and `"é"` are
//! the same), numbers kept exactly as written (`5000` and `5000.0` differ, as they may mean
//! different things to a face; no float ever rounds two amounts into one). A client that
//! re-serialises its retry — keys reordered, spaces changed — sends the same parameters.

/// Deepest nesting canonicalised; deeper bodies are compared as bytes.
const MAX_DEPTH: usize = 64;

/// The canonical form of `body`, or `None` when it is not a single JSON value (it is then
/// compared as written).
pub(crate) fn canonical(body: &[u8]) -> Option<Vec<u8>> {
    let mut p = Parser { s: body, i: 0 };
    let mut out = Vec::with_capacity(body.len());
    p.value(&mut out, 0)?;
    p.ws();
    (p.i == body.len()).then_some(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self
            .s
            .get(self.i)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => self.object(out, depth),
            b'[' => self.array(out, depth),
            b'"' => {
                let text = self.string()?;
                out.extend(serde_json::to_vec(&text).ok()?);
                Some(())
            }
            b't' => self.literal(out, b"true"),
            b'f' => self.literal(out, b"false"),
            b'n' => self.literal(out, b"null"),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                {
                    self.i += 1;
                }
                let number = &self.s[start..self.i];
                // Checked as JSON (no `01`, `1.`, `--1`), kept as written.
                serde_json::from_slice::<serde::de::IgnoredAny>(number).ok()?;
                out.extend_from_slice(number);
                Some(())
            }
            _ => None,
        }
    }

    fn literal(&mut self, out: &mut Vec<u8>, word: &[u8]) -> Option<()> {
        self.s
            .get(self.i..self.i + word.len())
            .filter(|w| *w == word)?;
        self.i += word.len();
        out.extend_from_slice(word);
        Some(())
    }

    /// A string at `self.i`, decoded.
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1;
        loop {
            match *self.s.get(self.i)? {
                b'"' => break,
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        serde_json::from_slice(self.s.get(start..self.i)?).ok()
    }

    fn object(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.i += 1;
        let mut members: Vec<(String, Vec<u8>)> = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.s.get(self.i) != Some(&b'"') {
                    return None;
                }
                let key = self.string()?;
                self.ws();
                if self.s.get(self.i) != Some(&b':') {
                    return None;
                }
                self.i += 1;
                let mut value = Vec::new();
                self.value(&mut value, depth + 1)?;
                members.push((key, value));
                self.ws();
                match *self.s.get(self.i)? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        // Stable: a repeated key keeps its members' order.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        out.push(b'{');
        for (n, (key, value)) in members.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend(serde_json::to_vec(key).ok()?);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        Some(())
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.i += 1;
        out.push(b'[');
        self.ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            let mut first = true;
            loop {
                if !first {
                    out.push(b',');
                }
                first = false;
                self.value(out, depth + 1)?;
                self.ws();
                match *self.s.get(self.i)? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        out.push(b']');
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    fn c(s: &str) -> Option<String> {
        canonical(s.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn order_and_spacing_do_not_matter() {
        let a = c(
            r#"{"amount": 5000, "currency": "XOF", "payer": {"phone": "+225", "operator": "orange_ci"}}"#,
        );
        let b = c("{\n \"payer\":{\"operator\":\"orange_ci\",\"phone\":\"+225\"},\"currency\":\"XOF\",\n\"amount\":5000}");
        assert_eq!(a, b);
        assert_eq!(
            a.as_deref(),
            Some(
                r#"{"amount":5000,"currency":"XOF","payer":{"operator":"orange_ci","phone":"+225"}}"#
            )
        );
        assert_eq!(c(r#"{"d": "\u00e9"}"#), c(r#"{"d": "é"}"#));
        assert_eq!(c("[1, 2 ,3]").as_deref(), Some("[1,2,3]"));
    }

    #[test]
    fn values_are_kept_as_written() {
        assert_ne!(c(r#"{"amount": 5000}"#), c(r#"{"amount": 5000.0}"#));
        assert_ne!(
            c(r#"{"amount": 999.99999999999999999}"#),
            c(r#"{"amount": 1000}"#)
        );
        assert_ne!(c(r#"[1, 2]"#), c(r#"[2, 1]"#));
        assert_eq!(
            c(r#"{"amount": 999.99999999999999999}"#).as_deref(),
            Some(r#"{"amount":999.99999999999999999}"#)
        );
    }

    #[test]
    fn not_json_is_compared_as_written() {
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "[1,]",
            "01",
            "1.",
            "tru",
            "{} {}",
            "\"abc",
            "{\"a\":1,}",
        ] {
            assert_eq!(c(bad), None, "{bad}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(c(&deep), None, "too deep: bytes, not a stack overflow");
    }
}
