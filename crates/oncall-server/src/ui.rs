//! The web UI: one page and its script and styles, compiled into the
//! binary, served at `/` with no build step and nothing from the internet.
//! The same files make `oncall-gym report`'s self-contained HTML: the
//! script reads the API's answers from the page itself when they are
//! embedded in it.

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The page.
pub const INDEX_HTML: &str = include_str!("ui/index.html");
/// The script.
pub const APP_JS: &str = include_str!("ui/app.js");
/// The styles.
pub const APP_CSS: &str = include_str!("ui/app.css");

/// A self-contained HTML file: the page with its script and styles inline,
/// and `data` (a JSON object mapping API paths to their answers) embedded
/// for the script to read instead of the API. `title` names the page.
pub fn standalone_page(title: &str, data: &serde_json::Value) -> String {
    // `<` never appears raw inside the script elements, so no text can
    // close them early.
    let data = data.to_string().replace('<', "\\u003c");
    let script = format!("\n{}\n", APP_JS.replace("</script", "<\\/script"));
    let styles = APP_CSS.replace("</style", "<\\/style");
    // The report is the copy that travels: its policy lets only its own
    // script run (by hash) and fetch nothing at all.
    let policy = format!(
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{}'; base-uri 'none'; form-action 'none'",
        base64(&Sha256::digest(script.as_bytes()))
    );
    INDEX_HTML
        .replace(
            "<title>oncall-gym</title>",
            &format!(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n<title>{}</title>",
                escape_html(title)
            ),
        )
        .replace(
            r#"<link rel="stylesheet" href="/ui/app.css">"#,
            &format!("<style>\n{styles}\n</style>"),
        )
        .replace(
            r#"<script src="/ui/app.js"></script>"#,
            &format!(
                "<script id=\"oncall-report\" type=\"application/json\">{data}</script>\n<script>{script}</script>"
            ),
        )
}

/// Standard base64, with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (index, byte)| {
            word | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= chunk.len() {
                text.push(char::from(
                    ALPHABET[(word >> (18 - 6 * index)) as usize & 63],
                ));
            } else {
                text.push('=');
            }
        }
    }
    text
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

pub(crate) async fn index() -> Response {
    let mut response = asset("text/html; charset=utf-8", INDEX_HTML);
    // Defence in depth: the script escapes every text it shows; the page
    // still refuses inline scripts and anything from elsewhere.
    if let Ok(policy) = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'".parse() {
        response
            .headers_mut()
            .insert("content-security-policy", policy);
    }
    response
}

pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

pub(crate) async fn styles() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standalone_page_inlines_everything_and_cannot_be_broken_out_of() {
        let page = standalone_page(
            "eval <1>",
            &serde_json::json!({"/v1/evals": {"note": "</script><script>alert(1)</script>"}}),
        );
        assert!(!page.contains("/ui/app.js") && !page.contains("/ui/app.css"));
        assert!(page.contains("<title>eval &lt;1&gt;</title>"));
        assert!(!page.contains("</script><script>alert(1)"));
        assert!(page.contains("\\u003c/script>\\u003cscript>alert(1)"));
        assert_eq!(page.matches("</script>").count(), 2);
        assert!(page.contains("Content-Security-Policy"));
        assert!(page.contains("script-src 'sha256-"));
    }

    #[test]
    fn base64_is_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }
}
