//! A small W3C WebDriver client for Debian's `chromedriver` driving headless `chromium`: just
//! what the checkout page's and the dashboard's browser tests need (navigate, find, type,
//! click, read, tabs, run a script, screenshots). Kept over a WebDriver crate (fantoccini,
//! thirtyfour): these few calls over the `reqwest` the tests already use are all the tests
//! need, and a crate would add its own HTTP stack to build for them. Without chromium and chromedriver the tests print a SKIP line, unless
//! `KUMBU_REQUIRE_BROWSER=1` (CI) makes that a failure.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";

/// A browser: one chromedriver process and one session.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    base: String,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// How the browser is set up.
pub struct Setup<'a> {
    /// `Accept-Language`, e.g. `fr-FR,fr`.
    pub languages: &'a str,
    /// JavaScript on or off.
    pub javascript: bool,
}

impl Browser {
    /// Starts chromedriver and a headless phone-sized chromium; `None` (with a SKIP line) when
    /// they are not installed and not required.
    pub async fn start(test: &str, setup: Setup<'_>) -> Option<Browser> {
        if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(DRIVER).exists() {
            crate::harness::skip(
                &format!("{test} [browser]"),
                &format!(
                    "{CHROMIUM} or {DRIVER} is missing (apt-get install chromium chromium-driver)"
                ),
                "KUMBU_REQUIRE_BROWSER",
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut b = Browser {
            driver,
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = b.http.get(format!("{}/status", b.base)).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!(
            "kumbu-chromium-{}",
            kumbu_core::ids::random_token(10)
        ));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=412,915",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {
                    "intl.accept_languages": setup.languages,
                    "profile.managed_default_content_settings.javascript": if setup.javascript { 1 } else { 2 },
                }
            }
        }}});
        let v = b.call(reqwest::Method::POST, "/session", Some(caps)).await;
        let id = v["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_owned();
        b.base = format!("{}/session/{id}", b.base);
        Some(b)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("chromedriver answers");
        let v: Value = resp.json().await.expect("chromedriver JSON");
        assert!(
            v["value"]["error"].is_null(),
            "WebDriver {path}: {}",
            v["value"]
        );
        v["value"].clone()
    }

    /// Opens `url` in the current tab.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// The page's HTML as the browser holds it now.
    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching a CSS selector.
    pub async fn find(&self, css: &str) -> Element {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        Element(
            v[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("no element {css}: {v}"))
                .to_owned(),
        )
    }

    /// Clears a field and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/clear", e.0),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        )
        .await;
    }

    /// Sends keys (W3C key codes: `\u{E004}` Tab, `\u{E007}` Enter, `\u{E015}` Down) to the
    /// focused element, as a keyboard would.
    pub async fn press(&self, keys: &str) {
        let v = self
            .call(reqwest::Method::GET, "/element/active", None)
            .await;
        let id = v[ELEMENT].as_str().unwrap_or_default().to_owned();
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": keys})),
        )
        .await;
    }

    /// Makes the window `width` × `height` CSS pixels (headless: the page's viewport).
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// An attribute of the focused element.
    pub async fn focused(&self, attribute: &str) -> String {
        let v = self
            .call(reqwest::Method::GET, "/element/active", None)
            .await;
        let id = v[ELEMENT].as_str().unwrap_or_default().to_owned();
        self.call(
            reqwest::Method::GET,
            &format!("/element/{id}/attribute/{attribute}"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Whether an element (a radio, say) is selected.
    pub async fn selected(&self, css: &str) -> bool {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/selected", e.0),
            None,
        )
        .await
        .as_bool()
        .unwrap_or(false)
    }

    /// Waits (up to 15 s) until the page's HTML contains `text`; the HTML then.
    pub async fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let html = self.source().await;
            if html.contains(text) {
                return html;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed {text:?}:\n{html}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The current tab's handle.
    pub async fn handle(&self) -> String {
        self.call(reqwest::Method::GET, "/window", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Opens a new tab and switches to it; returns the previous tab's handle.
    pub async fn new_tab(&self) -> String {
        let old = self.handle().await;
        let v = self
            .call(
                reqwest::Method::POST,
                "/window/new",
                Some(json!({"type": "tab"})),
            )
            .await;
        self.switch_to(v["handle"].as_str().unwrap()).await;
        old
    }

    /// Switches to the tab `handle`.
    pub async fn switch_to(&self, handle: &str) {
        self.call(
            reqwest::Method::POST,
            "/window",
            Some(json!({"handle": handle})),
        )
        .await;
    }

    /// The text of the first element matching `css`, as shown.
    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/text", e.0),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Runs `script` in the page (WebDriver's, not the page's: the page's CSP and a browser with
    /// JavaScript off do not stop it) and returns its value.
    pub async fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Runs `script`, which ends by calling its last argument with a value, and returns that
    /// value.
    pub async fn execute_async(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Saves a screenshot as `target/checkout-screens/<name>.png` (for people to look at).
    pub async fn screenshot(&self, name: &str) {
        self.screenshot_in("checkout-screens", name).await;
    }

    /// Saves a screenshot as `target/<folder>/<name>.png`.
    pub async fn screenshot_in(&self, folder: &str, name: &str) {
        use base64::Engine as _;
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap_or_default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(folder);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }

    /// Ends the session and the driver.
    pub async fn quit(mut self) {
        let _ = self.http.delete(&self.base).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
