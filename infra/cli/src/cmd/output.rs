//! What the commands print, on stdout and stderr: all of it through
//! [`crate::printable`], since much of it comes from outside (the table,
//! dead letters, the services' error messages).

use crate::printable;

/// Pretty-printed JSON, one value a command.
pub fn print_json(v: &serde_json::Value) {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    emit(&format!("{}\n", printable::json(&text)));
}

/// Writes to stdout; a reader that went away (`| head`) is no failure.
pub fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(printable::text(text).as_bytes());
}

/// One line on stderr (a note, a warning, an error).
pub fn note(text: &str) {
    eprintln!("{}", printable::text(text));
}
