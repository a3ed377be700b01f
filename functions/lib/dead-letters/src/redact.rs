//! What a dead letter may show of people: never a full phone number in a
//! listing; in `show`, addresses, coordinates and e-mail addresses masked too
//! (unless asked for raw).

use lifeline_domain::types::E164;
use serde_json::Value;

/// What a masked value reads as.
pub const MASKED: &str = "«masked»";

/// `text` with every E.164-looking number (`+` or `%2B`, then 8 to 15
/// digits) redacted to its last four digits, and every e-mail address to its
/// domain.
pub fn redact_text(text: &str) -> String {
    mask_emails(&redact_numbers(text))
}

/// Every `+` (or URL-encoded `%2B`) followed by 8 to 15 digits becomes `+`,
/// a `*` per hidden digit and the last four (`+1******0199`).
pub fn redact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['+', '%']) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let sign_len = if from.starts_with('+') {
            1
        } else if from.len() >= 3 && from[..3].eq_ignore_ascii_case("%2B") {
            3
        } else {
            0
        };
        if sign_len == 0 {
            out.push('%');
            rest = &from[1..];
            continue;
        }
        let digits_len = from[sign_len..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if (8..=15).contains(&digits_len) {
            out.push_str(&redacted_number(&from[sign_len..sign_len + digits_len]));
            rest = &from[sign_len + digits_len..];
        } else {
            out.push_str(&from[..sign_len]);
            rest = &from[sign_len..];
        }
    }
    out.push_str(rest);
    out
}

/// The domain's own redaction; a number it would refuse (a leading 0) is
/// redacted the same way.
fn redacted_number(digits: &str) -> String {
    match format!("+{digits}").parse::<E164>() {
        Ok(number) => number.redacted(),
        Err(_) => {
            let keep = digits.len().min(4);
            format!(
                "+{}{}",
                "*".repeat(digits.len() - keep),
                &digits[digits.len() - keep..]
            )
        }
    }
}

/// Every `local@domain.tld` becomes `***@domain.tld`.
pub fn mask_emails(text: &str) -> String {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "._%+-*".contains(c);
    let is_domain = |c: char| c.is_ascii_alphanumeric() || ".-".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let (before, from) = rest.split_at(at);
        let local_start = before
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_local(c))
            .last()
            .map_or(before.len(), |(i, _)| i);
        let domain: &str = {
            let after = &from[1..];
            let end = after.find(|c: char| !is_domain(c)).unwrap_or(after.len());
            after[..end].trim_end_matches(['.', '-'])
        };
        let looks_like_email =
            local_start < before.len() && domain.contains('.') && !domain.starts_with(['.', '-']);
        if looks_like_email {
            out.push_str(&before[..local_start]);
            out.push_str("***@");
            out.push_str(domain);
            rest = &from[1 + domain.len()..];
        } else {
            out.push_str(before);
            out.push('@');
            rest = &from[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Keys whose values say where someone is: masked whole, whatever their shape
/// (plain JSON or DynamoDB JSON such as `{"S": "1 Main St"}`).
fn is_location_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("address")
        || k.contains("civic")
        || matches!(k.as_str(), "lat" | "lon" | "lng" | "latitude" | "longitude")
}

/// `value` with every location value masked and every e-mail-looking string
/// reduced to its domain. Phone numbers are left to [`redact_text`] on the
/// final text, which also catches them inside strings that are not JSON.
pub fn mask_personal(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_location_key(k) {
                        masked_leaves(v)
                    } else {
                        mask_personal(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_personal).collect()),
        Value::String(s) => Value::String(mask_emails(s)),
        other => other.clone(),
    }
}

/// The same shape with every leaf masked (a DynamoDB `{"S": …}` stays an
/// object, so the reader still sees what kind of value was there).
fn masked_leaves(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), masked_leaves(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(masked_leaves).collect()),
        Value::Null => Value::Null,
        _ => Value::String(MASKED.into()),
    }
}
