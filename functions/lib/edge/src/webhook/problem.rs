//! RFC 9457 problem answers (`application/problem+json`).

use serde::Serialize;

/// Largest body a webhook accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// An RFC 9457 problem answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("urn:lifeline:problem:{slug}"),
            title: title.into(),
            status,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn invalid_field(field: &str, detail: impl Into<String>) -> Self {
        let mut p = Problem::new(400, "invalid-request", "Invalid request", detail);
        p.field = Some(field.into());
        p
    }

    /// A state-setting request signed before the last one applied to the
    /// same item: a replay or a straggler must not undo a newer change.
    pub fn stale_request(detail: impl Into<String>) -> Self {
        Problem::new(409, "stale_request", "Stale request", detail)
    }

    pub fn too_large() -> Self {
        Problem::new(
            413,
            "body-too-large",
            "Body too large",
            format!("at most {MAX_BODY_BYTES} bytes"),
        )
    }

    /// A missing or wrong signature (Lifeline's or a platform's own).
    pub fn unauthorized(e: impl std::fmt::Display) -> Self {
        Problem::new(401, "bad-signature", "Unauthorized", e.to_string())
    }

    /// The store failed: the caller should retry (nothing was lost).
    pub fn unavailable() -> Self {
        Problem::new(503, "unavailable", "Service unavailable", "try again")
    }
}
