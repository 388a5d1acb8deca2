//! CSV downloads (the dashboard's payments and audit log, the API's exports): fields quoted where
//! they must be, and a text value that starts like a formula defused, so that a spreadsheet never
//! runs what someone typed. Amounts are written as numbers (a negative one is money out, not a
//! formula): only text goes through [`csv_field`].

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A CSV field: quoted when it must be, and a leading `=`, `+`, `-`, `@`, tab or carriage
/// return defused (OWASP's list).
pub(crate) fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// A CSV download named `name`, with the pages' protections.
pub(crate) fn csv_response(name: &str, csv: impl Into<Body>) -> Response {
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv.into(),
    )
        .into_response();
    crate::pages::secure(&mut resp, None);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// A CSV line of `fields`, already rendered (text through [`csv_field`], numbers as they are).
pub(crate) fn csv_line(out: &mut String, fields: &[&str]) {
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("\tx"), "'\tx");
    }
}
