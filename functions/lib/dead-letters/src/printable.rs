//! Text from outside (dead letters, agents' fields, templates, the services'
//! error messages) made safe to print on an admin's terminal: a
//! control character would act rather than show (ESC starts a sequence that
//! recolours, moves the cursor, retitles the window or forges a hyperlink; CR
//! overwrites the line), and a bidirectional override reorders what follows
//! it. Each is shown as its escape instead (`\u{1b}`; in JSON `\u001b`, the
//! same value). Every dead letter this crate renders passes through here,
//! and so does every output of the admin CLI (`lifeline_cli::cmd::output`,
//! which re-exports this module as `lifeline_cli::printable`).

use std::borrow::Cow;

/// Whether `c` would act on a terminal rather than show: the C0 controls but
/// newline and tab, DEL, the C1 controls, and the bidirectional embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069).
pub fn is_hazard(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{b}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// Lines of text: newlines and tabs kept, every other hazard escaped.
pub fn text(s: &str) -> Cow<'_, str> {
    escaped(s, is_hazard, |c| format!("\\u{{{:x}}}", u32::from(c)))
}

/// One line (a field, a table's cell): newlines and tabs escaped too, so
/// that a value cannot start a line of its own.
pub fn line(s: &str) -> Cow<'_, str> {
    escaped(
        s,
        |c| is_hazard(c) || c == '\n' || c == '\t',
        |c| match c {
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            c => format!("\\u{{{:x}}}", u32::from(c)),
        },
    )
}

/// JSON text as serde_json writes it (which escapes C0 controls already)
/// with the other hazards escaped as JSON escapes (`\u009b`): still valid
/// JSON, the same values. They can only be inside strings.
pub fn json(s: &str) -> Cow<'_, str> {
    escaped(s, is_hazard, |c| format!("\\u{:04x}", u32::from(c)))
}

fn escaped(
    s: &str,
    hazard: impl Fn(char) -> bool,
    escape: impl Fn(char) -> String,
) -> Cow<'_, str> {
    if !s.chars().any(&hazard) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match hazard(c) {
            true => out.push_str(&escape(c)),
            false => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_overrides_show_as_escapes() {
        let red = "\u{1b}[31mred\u{1b}[0m\u{7}";
        assert_eq!(text(red), "\\u{1b}[31mred\\u{1b}[0m\\u{7}");
        assert_eq!(text("a\rb\u{9b}c\u{7f}"), "a\\u{d}b\\u{9b}c\\u{7f}");
        assert_eq!(text("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(text("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        // A terminal title (OSC) and a hyperlink are inert too.
        let osc = "\u{1b}]0;pwned\u{7}\u{1b}]8;;http://x\u{1b}\\link";
        assert!(!text(osc).contains('\u{1b}'));
    }

    #[test]
    fn ordinary_text_is_left_as_it_is() {
        let ok = "Ana Díaz — 1 Main St\n\tFloor 3 ✔ «masked» 日本";
        assert!(matches!(text(ok), Cow::Borrowed(_)));
        assert_eq!(text(ok), ok);
        assert_eq!(line("a\nb\tc"), "a\\nb\\tc");
    }

    #[test]
    fn json_stays_json_with_the_same_value() {
        let value = serde_json::json!({"why": "\u{1b}[2J\u{9b}31m\u{202e}x"});
        let shown = json(&serde_json::to_string(&value).unwrap()).into_owned();
        assert!(!shown.chars().any(is_hazard), "{shown}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
            value
        );
    }
}
