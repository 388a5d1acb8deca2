//! A local SMTP server for the e-mail tests: mailin (a real SMTP implementation, its own
//! parser and state machine) on a free loopback port, keeping every message it accepts. The
//! gateway reaches it with `--smtp-url smtp://127.0.0.1:{port}`, as it would a relay on its own
//! machine.

use base64::Engine as _;
use mailin_embedded::{response, Handler, Response, Server};
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A message as the server took it.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `MAIL FROM`.
    pub envelope_from: String,
    /// `RCPT TO`, each.
    pub envelope_to: Vec<String>,
    /// The header lines, unfolded, as `(lower-case name, value)`; encoded words decoded.
    pub headers: Vec<(String, String)>,
    /// The text, its transfer encoding undone.
    pub body: String,
}

impl Mail {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Keeper {
    kept: Arc<Mutex<Vec<Mail>>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Keeper {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = parse(&self.from, &self.to, &self.data);
        self.kept.lock().unwrap().push(mail);
        response::OK
    }

    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }
}

/// The running server and what it has received.
pub struct Mailbox {
    /// `smtp://127.0.0.1:{port}`.
    pub url: String,
    kept: Arc<Mutex<Vec<Mail>>>,
}

impl Mailbox {
    /// Starts a server on a free port (it runs until the test process ends).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let kept = Arc::new(Mutex::new(Vec::new()));
        let mut server = Server::new(Keeper {
            kept: kept.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("mail.test")
            .with_num_threads(8)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("the test SMTP server stopped: {e}");
            }
        });
        Self {
            url: format!("smtp://127.0.0.1:{port}"),
            kept,
        }
    }

    /// Everything received so far.
    pub fn all(&self) -> Vec<Mail> {
        self.kept.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) for the `n`th message to `to`, counting from 1.
    pub async fn nth_to(&self, to: &str, n: usize) -> Mail {
        for _ in 0..200 {
            let to_them: Vec<Mail> = self
                .all()
                .into_iter()
                .filter(|m| m.envelope_to.iter().any(|t| t == to))
                .collect();
            if let Some(m) = to_them.get(n - 1) {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no message {n} to {to} in 10 s; received: {:#?}",
            self.all()
        );
    }

    /// How many messages went to `to`.
    pub fn count_to(&self, to: &str) -> usize {
        self.all()
            .iter()
            .filter(|m| m.envelope_to.iter().any(|t| t == to))
            .count()
    }
}

fn parse(from: &str, to: &[String], data: &[u8]) -> Mail {
    let text = String::from_utf8_lossy(data).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push_str(line.trim_start());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    for (_, v) in &mut headers {
        *v = decode_words(v);
    }
    let encoding = headers
        .iter()
        .find(|(k, _)| k == "content-transfer-encoding")
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "base64" => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .expect("base64 body"),
        )
        .expect("UTF-8 text"),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    Mail {
        envelope_from: from.to_owned(),
        envelope_to: to.to_vec(),
        headers,
        body,
    }
}

/// RFC 2045 quoted-printable, decoded.
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("=XX"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 text")
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=` and `=?utf-8?q?…?=`), decoded; the white space
/// between two of them dropped.
fn decode_words(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_owned();
    }
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let parts: Vec<&str> = word.splitn(3, '?').collect();
        let end = parts[2].find("?=").expect("an encoded word ends");
        let payload = &parts[2][..end];
        let bytes = match parts[1].to_ascii_lowercase().as_str() {
            "b" => base64::engine::general_purpose::STANDARD
                .decode(payload)
                .expect("base64 word"),
            _ => quoted_printable(&payload.replace('_', " ")).into_bytes(),
        };
        out.push_str(&String::from_utf8(bytes).expect("UTF-8 word"));
        rest = &parts[2][end + 2..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}
