//! What the commands print on stdout.

/// Pretty-printed JSON, one value a command.
pub fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Writes to stdout; a reader that went away (`| head`) is no failure.
pub fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}
