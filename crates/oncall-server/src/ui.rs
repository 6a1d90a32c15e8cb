//! The web UI: one page and its script and styles, compiled into the
//! binary, served at `/` with no build step and nothing from the internet.
//! The same files make `oncall-gym report`'s self-contained HTML: the
//! script reads the API's answers from the page itself when they are
//! embedded in it.

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

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
    let script = APP_JS.replace("</script", "<\\/script");
    let styles = APP_CSS.replace("</style", "<\\/style");
    INDEX_HTML
        .replace(
            "<title>oncall-gym</title>",
            &format!("<title>{}</title>", escape_html(title)),
        )
        .replace(
            r#"<link rel="stylesheet" href="/ui/app.css">"#,
            &format!("<style>\n{styles}\n</style>"),
        )
        .replace(
            r#"<script src="/ui/app.js"></script>"#,
            &format!(
                "<script id=\"oncall-report\" type=\"application/json\">{data}</script>\n<script>\n{script}\n</script>"
            ),
        )
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
    if let Ok(policy) = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'".parse() {
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
    }
}
