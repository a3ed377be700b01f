//! The console's answers and their headers: HTML, a script, JSON for an
//! action done, `application/problem+json` for one refused, each with no
//! caching, no framing, no referrer beyond the console, and scripts from
//! the console alone.

use http::{Response, StatusCode};
use lifeline_edge::console::AuthError;
use lifeline_edge::webhook::Problem;

/// An answer with the console's headers.
pub fn answer(status: StatusCode, content_type: &'static str, body: String) -> Response<String> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    let set = |h: &mut http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, http::HeaderValue::from_static(v));
    };
    set(h, "content-type", content_type);
    set(h, "cache-control", "no-store");
    // Not `no-referrer`: with it a browser sends `Origin: null` on a form's
    // post, which no origin check can tell from a hostile page's.
    set(h, "referrer-policy", "same-origin");
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    // The template preview shows an e-mail's HTML in a sandboxed `srcdoc`
    // frame (no script runs in it): `frame-src 'self'` allows that alone.
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; \
         img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    r
}

pub fn html(status: StatusCode, body: String) -> Response<String> {
    answer(status, "text/html; charset=utf-8", body)
}

/// An HTML fragment for a page's `[data-src]`.
pub fn fragment(markup: maud::Markup) -> Response<String> {
    html(StatusCode::OK, markup.into_string())
}

/// An action done: `{"message": …}`, which the page shows.
pub fn done(message: &str) -> Response<String> {
    answer(
        StatusCode::OK,
        "application/json",
        serde_json::json!({ "message": message }).to_string(),
    )
}

/// An action or a read refused: the problem, its `detail` shown on the page.
pub fn refused(status: u16, slug: &str, title: &str, detail: String) -> Response<String> {
    let p = Problem::new(status, slug, title, detail);
    answer(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        "application/problem+json",
        serde_json::to_string(&p).unwrap_or_else(|_| "{}".into()),
    )
}

/// `400`: the input, and what is wrong with it; nothing was written.
pub fn bad_input(detail: String) -> Response<String> {
    refused(400, "invalid-input", "Not saved", detail)
}

pub fn not_found(what: &str) -> Response<String> {
    refused(404, "not-found", "Not found", format!("{what}: not found"))
}

/// `403`: signed in, but not in a group that may do this.
pub fn forbidden(what: &str) -> Response<String> {
    refused(
        403,
        "forbidden",
        "Not allowed",
        format!("your group may not {what}: ask an administrator"),
    )
}

/// `401`: sign in again (why, in words that quote no token).
pub fn unauthorized(e: &AuthError) -> Response<String> {
    let mut r = refused(
        401,
        "sign-in",
        "Sign in again",
        format!("{e}: sign in again"),
    );
    r.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer"),
    );
    r
}

/// `503`: a store did not answer. Its text names keys and codes, never a
/// number or an address, so it is logged; the page says to try again.
pub fn unavailable(e: &dyn std::fmt::Display) -> Response<String> {
    tracing::error!(error = %e, "console: a read or a write failed");
    refused(
        503,
        "unavailable",
        "Unavailable",
        "the table did not answer: try again".into(),
    )
}
