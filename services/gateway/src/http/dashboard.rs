//! The programme's dashboard at `/` on the HTTP port: one self-contained page (no CDN, no
//! web font, no script from elsewhere, so it works on a network without internet) that
//! reads `GET /v1/gateway/get-overview` with the viewer's API key and draws the
//! indicators and their breakdowns as SVG bar charts, in Chinese with an English switch.
//! The key comes from the page's address (`/#key=<key>`, `&lang=en` for English) or a
//! form, and stays in the browser tab (sessionStorage); the address forgets it at once.

use axum::response::Html;

const PAGE: &str = include_str!("dashboard.html");

/// Serves the page.
pub fn router() -> axum::Router {
    axum::Router::new().route("/", axum::routing::get(|| async { Html(PAGE) }))
}
