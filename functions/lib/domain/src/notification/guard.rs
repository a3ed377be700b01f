//! What an edited template may not do: turn HTML escaping off, so that text
//! from a desktop (a location, an agent's name) would reach the e-mail as
//! markup; or work without bound. The constructs are found in minijinja's own
//! tokens, so a string or a comment that merely mentions them is no match
//! and no spacing hides them. The work is bounded by fuel, which minijinja
//! charges per instruction and per byte a template produces: a loop, a
//! recursion or a value that grows too much fails the render, in bounded
//! time and memory.

use minijinja::machinery::{tokenize, Span, Token};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, Error, ErrorKind, Value};

/// The most work one render of one part may do, in minijinja's fuel (one per
/// instruction, one per 64 bytes produced or processed). The built-in
/// template's HTML part needs about 260 with twelve 200-character location
/// lines; this leaves an edited one a hundred times that, and bounds a
/// render to milliseconds and about 2 MB of data.
pub(super) const RENDER_FUEL: u64 = 30_000;

/// A construct an edited template may not use, where it is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Forbidden {
    pub line: usize,
    pub detail: String,
}

/// Sets what keeps every render escaped and bounded: the fuel, and a `safe`
/// filter that refuses (it can still be reached by name, as `map("safe")`).
pub(super) fn harden(env: &mut Environment<'_>) {
    env.set_fuel(Some(RENDER_FUEL));
    env.add_filter("safe", refuse_safe);
}

fn refuse_safe(_value: Value) -> Result<Value, Error> {
    Err(Error::new(
        ErrorKind::InvalidOperation,
        "the `safe` filter is not allowed: every value is HTML-escaped",
    ))
}

/// The first construct of `source` that would turn escaping off: `|safe`,
/// `{% filter safe %}`, or an `{% autoescape %}` block other than
/// `{% autoescape true %}`. `None` when there is none (or when the source
/// does not even tokenize: compiling it says why).
pub(super) fn forbidden_construct(source: &str) -> Option<Forbidden> {
    let tokens: Vec<(Token<'_>, Span)> = tokenize(source, false, SyntaxConfig::default())
        .map_while(Result::ok)
        .collect();
    tokens.iter().enumerate().find_map(|(i, (token, span))| {
        let next = |n: usize| tokens.get(i + n).map(|(t, _)| t);
        let found = |what: &str| {
            Some(Forbidden {
                line: usize::from(span.start_line),
                detail: format!(
                    "{what} is not allowed: it would put text from the call (a location, \
                     an agent's name) into the e-mail unescaped"
                ),
            })
        };
        match (token, next(1), next(2)) {
            (Token::Pipe, Some(Token::Ident("safe")), _) => found("`|safe`"),
            (Token::BlockStart, Some(Token::Ident("filter")), Some(Token::Ident("safe"))) => {
                found("`{% filter safe %}`")
            }
            (Token::BlockStart, Some(Token::Ident("autoescape")), _)
                if !keeps_escaping(&tokens[i + 2..]) =>
            {
                found("an `{% autoescape %}` block other than `{% autoescape true %}`")
            }
            _ => None,
        }
    })
}

/// Whether an `{% autoescape … %}` tag's argument (`rest`: the tokens after
/// the tag's name) is exactly `true` or `"html"`: escaping stays on.
fn keeps_escaping(rest: &[(Token<'_>, Span)]) -> bool {
    let argument: Vec<&Token<'_>> = rest
        .iter()
        .map(|(t, _)| t)
        .take_while(|t| !matches!(t, Token::BlockEnd))
        .collect();
    match argument.as_slice() {
        [Token::Ident("true")] | [Token::Str("html")] => true,
        [Token::String(s)] => &**s == "html",
        _ => false,
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
