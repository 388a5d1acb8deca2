//! Request extraction for the native API: the API key, the body (size and type checked) and
//! JSON parsing that names the offending field.

use crate::error::NativeError;
use crate::{AppState, MAX_BODY_BYTES};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use kumbu_core::{ErrorCode, Face};
use kumbu_engine::AuthContext;
use serde::de::DeserializeOwned;

/// The authenticated caller. Accepts `Authorization: Bearer <key>` or HTTP Basic with the key
/// as user name (`curl -u sk_test_…:`).
#[derive(Debug, Clone)]
pub struct Auth(pub AuthContext);

/// Pulls a secret key out of an Authorization header value.
fn key_from_header(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        use base64_lite::decode;
        let decoded = decode(rest)?;
        let user = decoded.split(':').next()?.to_owned();
        return Some(user);
    }
    None
}

/// The API a request authenticated by key came through, by its path as the client sent it
/// (a nested router sees its path without the face's prefix).
fn face_of(parts: &Parts) -> Face {
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.path(), |u| u.0.path());
    Face::ALL
        .into_iter()
        .find(|f| {
            path.strip_prefix("/compat/")
                .and_then(|rest| rest.strip_prefix(f.as_str()))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .unwrap_or(Face::Native)
}

/// The caller's context and the key it presented (for a ProxyPay webhook, which is signed with
/// that key).
#[derive(Debug)]
pub struct KeyedAuth(pub AuthContext, pub secrecy::SecretString);

impl FromRequestParts<AppState> for Auth {
    type Rejection = NativeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let KeyedAuth(ctx, _) = KeyedAuth::from_request_parts(parts, state).await?;
        Ok(Auth(ctx))
    }
}

impl FromRequestParts<AppState> for KeyedAuth {
    type Rejection = NativeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Err(NativeError::new(
                ErrorCode::ApiKeyMissing,
                "No API key: send your secret key as `Authorization: Bearer sk_test_…`.",
                None,
            ));
        };
        let Ok(text) = value.to_str() else {
            return Err(NativeError::new(
                ErrorCode::ApiKeyInvalid,
                "The API key contains characters no key has (is it a placeholder such as `sk_test_…`?). Use the key `kumbu serve` printed.",
                None,
            ));
        };
        let key = key_from_header(text).ok_or_else(|| {
            NativeError::new(
                ErrorCode::ApiKeyInvalid,
                "The Authorization header must be `Bearer <secret key>`.",
                None,
            )
        })?;
        let mut ctx = state.engine.authenticate(&key).await?;
        ctx.face = Some(face_of(parts));
        crate::throttle::admit(parts, state, &ctx)?;
        Ok(KeyedAuth(ctx, secrecy::SecretString::from(key)))
    }
}

/// An object id from the path. Ids are plain ASCII, so one that does not even decode (bad
/// percent-encoding) names nothing: 404 in the native envelope, not the router's plain text.
#[derive(Debug, Clone)]
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = NativeError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(PathId(id)),
            Err(_) => Err(NativeError::new(
                ErrorCode::ResourceMissing,
                "The id in the path is not a valid identifier.",
                Some("id"),
            )),
        }
    }
}

/// A request body of at most 64 KiB that is JSON (or has no declared type).
#[derive(Debug)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = NativeError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let declared = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|e| {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                    || e.to_string().contains("length limit");
                if too_large {
                    NativeError::new(
                        ErrorCode::BodyTooLarge,
                        format!(
                            "The request body is larger than {} KiB.",
                            MAX_BODY_BYTES / 1024
                        ),
                        None,
                    )
                } else {
                    NativeError::new(
                        ErrorCode::InvalidJson,
                        "The request body could not be read.",
                        None,
                    )
                }
            })?;
        match declared.as_deref() {
            None | Some("application/json") => {}
            // curl -d sends this by default; accept it when the body is JSON.
            Some("application/x-www-form-urlencoded") if bytes.trim_ascii_start().starts_with(b"{") || bytes.is_empty() => {}
            Some(other) => {
                return Err(NativeError::new(
                    ErrorCode::UnsupportedMediaType,
                    format!("Content-Type {other} is not supported; send JSON with `Content-Type: application/json`."),
                    None,
                ))
            }
        }
        Ok(Body(bytes))
    }
}

/// A POST command: its Idempotency-Key, fingerprinted over the request's method, path and body,
/// and its JSON body parsed into `T` (use [`NoParams`] for commands that take none).
#[derive(Debug)]
pub struct Command<T>(pub Option<kumbu_engine::IdempotencyRequest>, pub T);

/// The body of a command without parameters: nothing, or any JSON object.
pub type NoParams = serde_json::Map<String, serde_json::Value>;

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Command<T> {
    type Rejection = NativeError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = req.method().clone();
        // The full path as the client sent it (not the one left after a face's prefix is
        // stripped), so that one key cannot replay another face's response.
        let path = req
            .extensions()
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| req.uri().path().to_owned(), |u| u.path().to_owned());
        let headers = req.headers().clone();
        let Body(bytes) = Body::from_request(req, state).await?;
        let idem = crate::idempotency::from_request(&headers, &method, &path, &bytes)?;
        Ok(Command(idem, parse_json(&bytes)?))
    }
}

/// Parses JSON into `T`, turning serde's complaint into an error that names the field.
/// An empty body, or JSON `null` (how clients encode "no body"), counts as `{}`; a body of
/// white space only is no JSON text, and refused as such.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, NativeError> {
    let json_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = bytes
        .iter()
        .position(|b| !json_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !json_space(b))
        .map_or(start, |e| e + 1);
    let bytes: &[u8] = if bytes.is_empty() || bytes[start..end] == *b"null" {
        b"{}"
    } else {
        bytes
    };
    // Every native body is an object; serde would otherwise accept an array for a struct.
    if !bytes.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(NativeError::new(
            ErrorCode::ParameterInvalid,
            "The body must be a JSON object.",
            None,
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        json_error(&path, e.into_inner())
    })?;
    de.end().map_err(|e| json_error(".", e))?;
    Ok(value)
}

fn json_error(path: &str, e: serde_json::Error) -> NativeError {
    use serde_json::error::Category;
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full.clone(),
    };
    // An error inside a nested object (`object::required`) carries its own path.
    let (path, message) = match message
        .strip_prefix(object::NESTED)
        .and_then(|r| r.split_once(object::NESTED))
    {
        Some((inner, rest)) if inner.starts_with('[') => {
            (format!("{path}{inner}"), rest.to_owned())
        }
        Some((inner, rest)) if inner != "." => (format!("{path}.{inner}"), rest.to_owned()),
        Some((_, rest)) => (path.to_owned(), rest.to_owned()),
        None => (path.to_owned(), message),
    };
    let path = path.as_str();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => NativeError::new(
            ErrorCode::InvalidJson,
            format!("The body is not valid JSON: {full}."),
            None,
        ),
        Category::Data => {
            // serde_path_to_error's path already ends with an unknown field's name, but not
            // with a missing one's.
            let join = |name: &str| {
                if path == "." || path.is_empty() {
                    name.to_owned()
                } else if path == name || path.ends_with(&format!(".{name}")) {
                    path.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            };
            let named = |prefix: &str| {
                message
                    .strip_prefix(prefix)
                    .and_then(|r| r.split('`').next())
                    .map(join)
            };
            if let Some(param) = named("missing field `") {
                NativeError::new(
                    ErrorCode::ParameterMissing,
                    format!("`{param}` is required."),
                    Some(&param),
                )
            } else if let Some(param) = named("unknown field `") {
                NativeError::new(
                    ErrorCode::ParameterUnknown,
                    format!("`{param}` is not a known parameter."),
                    Some(&param),
                )
            } else {
                let param = if path == "." { None } else { Some(path) };
                NativeError::new(
                    ErrorCode::ParameterInvalid,
                    match param {
                        Some(p) => format!("`{p}` is invalid: {message}."),
                        None => format!("The body is invalid: {message}."),
                    },
                    param,
                )
            }
        }
    }
}

/// A minimal base64 decoder for HTTP Basic credentials (no extra dependency for 20 lines).
mod base64_lite {
    pub fn decode(s: &str) -> Option<String> {
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let mut buf = 0u32;
        let mut bits = 0;
        for c in s.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' => break,
                _ => return None,
            };
            buf = (buf << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push(u8::try_from((buf >> bits) & 0xff).ok()?);
            }
        }
        String::from_utf8(out).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_headers() {
        assert_eq!(
            key_from_header("Bearer sk_test_x").as_deref(),
            Some("sk_test_x")
        );
        assert_eq!(
            key_from_header("bearer  sk_test_x ").as_deref(),
            Some("sk_test_x")
        );
        // "sk_test_x:" in base64
        assert_eq!(
            key_from_header("Basic c2tfdGVzdF94Og==").as_deref(),
            Some("sk_test_x")
        );
        assert_eq!(key_from_header("Token abc"), None);
        assert_eq!(key_from_header("sk_test_x"), None);
    }

    #[test]
    fn no_body_is_empty_or_null_not_white_space() {
        type Body = std::collections::BTreeMap<String, i64>;
        for none in [&b""[..], b"null", b" \r\n null\t"] {
            assert_eq!(parse_json::<Body>(none).ok(), Some(Body::new()), "{none:?}");
        }
        for bad in [&b"\n"[..], b"  ", b"\x0c", b"\x0cnull"] {
            assert!(parse_json::<Body>(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_json::<Body>(b" {\"a\": 1} ").unwrap()["a"], 1);
    }
}

/// Serde field helpers: a nested body object must be a JSON object (serde's derive would
/// otherwise read a struct from an array, `[null, null]`, by position).
pub mod object {
    use serde::de::{DeserializeOwned, Error, MapAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use serde_json::{Map, Value};
    use std::fmt;

    /// Marks the path inside the object in an error's message (read back by `json_error`).
    pub(super) const NESTED: &str = "\u{1}";

    /// A JSON object whose keys are each given once (as serde's derive requires of a struct).
    struct Object(Map<String, Value>);

    impl<'de> Deserialize<'de> for Object {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Keys;
            impl<'de> Visitor<'de> for Keys {
                type Value = Object;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Object, A::Error> {
                    let mut m = Map::new();
                    while let Some((k, v)) = a.next_entry::<String, Value>()? {
                        if m.contains_key(&k) {
                            return Err(A::Error::custom(format!("duplicate field `{k}`")));
                        }
                        m.insert(k, v);
                    }
                    Ok(Object(m))
                }
            }
            d.deserialize_map(Keys)
        }
    }

    /// `T` from an object; an error carries its path inside the object, after `at` (an index
    /// in a list, or nothing).
    fn from_map<T: DeserializeOwned, E: Error>(at: &str, m: Object) -> Result<T, E> {
        serde_path_to_error::deserialize(Value::Object(m.0)).map_err(|e| {
            let inner = match e.path().to_string() {
                p if p == "." => at.to_owned(),
                p if at.is_empty() => p,
                p => format!("{at}.{p}"),
            };
            let inner = if inner.is_empty() {
                ".".to_owned()
            } else {
                inner
            };
            E::custom(format!("{NESTED}{inner}{NESTED}{}", e.into_inner()))
        })
    }

    /// A required object.
    pub fn required<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
        from_map("", Object::deserialize(d)?)
    }

    /// An object, or `null`.
    pub fn optional<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<Object>::deserialize(d)?
            .map(|m| from_map("", m))
            .transpose()
    }

    /// A list of objects, or `null`; an error names the item (`items[2].name`).
    pub fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        Option::<Vec<Object>>::deserialize(d)?
            .map(|items| {
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, m)| from_map(&format!("[{i}]"), m))
                    .collect()
            })
            .transpose()
    }
}
