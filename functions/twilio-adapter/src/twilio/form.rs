//! Form bodies: `application/x-www-form-urlencoded`, as Twilio posts them.

use lifeline_edge::webhook::{Problem, MAX_BODY_BYTES};

/// The decoded `application/x-www-form-urlencoded` parameters of a request,
/// in arrival order (repeated names are kept: they are all signed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(pub(super) Vec<(String, String)>);

impl Form {
    /// Decodes a form body: `&` separates pairs, the first `=` splits name from
    /// value, `+` is a space and `%XX` a byte (a `%` not followed by two hex
    /// digits stays as it is), as `form_urlencoded` does. Unlike
    /// `form_urlencoded::parse`, which replaces invalid UTF-8, this refuses it:
    /// a lossy value would be signed differently from what Twilio sent.
    pub fn parse(body: &[u8]) -> Result<Form, Problem> {
        if body.len() > MAX_BODY_BYTES {
            return Err(Problem::too_large());
        }
        let not_utf8 = || {
            Problem::new(
                400,
                "invalid-request",
                "Invalid request",
                "form body must be UTF-8 once percent-decoded",
            )
        };
        body.split(|&b| b == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &[][..]),
                };
                Ok((
                    percent_decode(name).ok_or_else(not_utf8)?,
                    percent_decode(value).ok_or_else(not_utf8)?,
                ))
            })
            .collect::<Result<_, _>>()
            .map(Form)
    }

    /// A form from name/value pairs, in the order given.
    pub fn from_pairs<I, K, V>(pairs: I) -> Form
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Form(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The form as a request body (for tests and clients that send requests).
    pub fn to_body(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish()
    }
}

/// `+` to space and `%XX` to its byte (a `%` without two hex digits stays
/// as it is); `None` when the result is not UTF-8. `+` is replaced before
/// decoding, so an encoded `%2B` stays a `+`.
pub(crate) fn percent_decode(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced)
        .decode_utf8()
        .ok()
        .map(String::from)
}
