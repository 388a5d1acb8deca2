//! A QR code drawn on the server as SVG, for the authenticator's `otpauth://` link at
//! enrolment: one path of the dark runs of each row (a few KiB), inside the four-module quiet
//! zone the standard asks for, black on white whatever the page's colours. No script.

use maud::{html, Markup, PreEscaped};
use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write;

/// Modules of white around the code (ISO/IEC 18004 asks for 4).
const QUIET: usize = 4;

/// The path (`M x y h n v1 h-n z` per run of dark modules) of `code`, in module units, offset
/// by the quiet zone.
fn dark_runs(code: &QrCode) -> String {
    let width = code.width();
    let colors = code.to_colors();
    let mut d = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                let n = x - start;
                let _ = write!(d, "M{} {}h{n}v1h-{n}z", start + QUIET, y + QUIET);
            } else {
                x += 1;
            }
        }
    }
    d
}

/// `data` as a QR code image labelled `label`, or nothing if it is too long to encode (the
/// page shows the link and the key as text anyway).
pub(super) fn qr_svg(data: &str, label: &str) -> Option<Markup> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let side = code.width() + 2 * QUIET;
    Some(html! {
        svg.qr xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (side) " " (side) }
            width="200" height="200" role="img" aria-label=(label) shape-rendering="crispEdges" {
            rect width=(side) height=(side) fill="#fff" {}
            path fill="#000" d=(PreEscaped(dark_runs(&code))) {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the drawn path back into an image, as a phone's camera would see it, and decodes
    /// it with another library.
    #[test]
    fn the_drawing_decodes_to_the_link() {
        let uri = "otpauth://totp/Kumbu:ana%40loja.cv?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Kumbu&algorithm=SHA1&digits=6&period=30";
        let svg = qr_svg(uri, "code").unwrap().into_string();
        assert!(svg.len() < 12 * 1024, "{} bytes", svg.len());
        let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
        let side = code.width() + 2 * QUIET;
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut dark = vec![false; side * side];
        for run in d.split('z').filter(|r| !r.is_empty()) {
            // M{x} {y}h{n}v1h-{n}
            let rest = run.strip_prefix('M').unwrap();
            let (x, rest) = rest.split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let n = rest.split_once('v').unwrap().0;
            let (x, y, n): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
            for i in x..x + n {
                dark[y * side + i] = true;
            }
        }
        let scale = 4;
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(side * scale, side * scale, |x, y| {
                if dark[(y / scale) * side + x / scale] {
                    0
                } else {
                    255
                }
            });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, uri);
    }
}
