//! No template turns escaping off or works without bound; an ordinary one
//! still renders, escaped.

use std::time::{Duration, Instant};

use super::super::{
    render, sample_data, validate, NotificationData, NotificationTemplate, TemplateError,
    TemplateErrorKind,
};

/// The built-in template with its HTML part replaced.
fn with_html(html: &str) -> NotificationTemplate {
    NotificationTemplate {
        html: html.into(),
        version: 1,
        ..NotificationTemplate::builtin()
    }
}

/// Sample data whose location is a desktop's attempt at markup.
fn hostile() -> NotificationData {
    NotificationData {
        location_lines: vec!["<script>alert(1)</script>".into(), "1 Main St".into()],
        ..sample_data(false, true)
    }
}

const LOCATION_LOOP: &str = "{% for line in location_lines %}{{ line }}<br>{% endfor %}";

#[test]
fn safe_on_the_location_is_refused_naming_the_construct() {
    let html = format!(
        "<p>{{{{ agent_name }}}}</p>\n{}",
        LOCATION_LOOP.replace("{{ line }}", "{{ line|safe }}")
    );
    let e = validate(&with_html(&html)).unwrap_err();
    assert_eq!(e.kind, TemplateErrorKind::Forbidden, "{e}");
    assert_eq!((e.part, e.line), ("html", Some(2)));
    assert!(e.detail.contains("`|safe`"), "{e}");
    // Refused at render too (a template stored before this check): the
    // notifier then falls back to the built-in one.
    let e = render(&with_html(&html), &hostile()).unwrap_err();
    assert_eq!(e.kind, TemplateErrorKind::Forbidden);
    // However it is spelled.
    for spelled in [
        "{{ line | safe }}",
        "{{ line|e|safe }}",
        "{{ line |\n  safe }}",
        "{% filter safe %}{{ line }}{% endfilter %}",
        "{% set x %}{{ line }}{% endset %}{{ x|safe }}",
        "{% if false %}{{ line|safe }}{% endif %}",
    ] {
        let html = LOCATION_LOOP.replace("{{ line }}", spelled);
        let e = validate(&with_html(&html)).unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::Forbidden, "{spelled}: {e}");
    }
}

#[test]
fn safe_reached_by_name_fails_the_render() {
    let html = "{{ location_lines|map('safe')|join('<br>') }}";
    let e = validate(&with_html(html)).unwrap_err();
    assert!(e.detail.contains("`safe` filter is not allowed"), "{e}");
    assert!(render(&with_html(html), &hostile()).is_err());
}

#[test]
fn a_mention_of_safe_in_text_a_string_or_a_comment_is_no_construct() {
    let html = "<p>Stay safe |safe</p>{# |safe #}{{ 'x|safe' }}{% raw %}{{ a|safe }}{% endraw %}";
    validate(&with_html(html)).unwrap();
}

#[test]
fn autoescape_blocks_that_turn_escaping_off_are_refused() {
    for block in [
        "{% autoescape false %}",
        "{%- autoescape false -%}",
        "{% autoescape 'none' %}",
        "{% autoescape 'json' %}",
        "{% autoescape test %}",
    ] {
        let html = format!("{block}{LOCATION_LOOP}{{% endautoescape %}}");
        let e = validate(&with_html(&html)).unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::Forbidden, "{block}: {e}");
        assert!(e.detail.contains("`{% autoescape %}`"), "{e}");
    }
    // Escaping kept on is no harm.
    for block in ["{% autoescape true %}", "{% autoescape 'html' %}"] {
        let html = format!("{block}{LOCATION_LOOP}{{% endautoescape %}}");
        let email = render(&with_html(&html), &hostile()).unwrap();
        assert!(email.html.contains("&lt;script&gt;"), "{}", email.html);
    }
}

/// Why `check` refuses `html`, asserting that it does so within 2 s.
fn refused_quickly(
    check: impl Fn(&NotificationTemplate) -> Result<(), TemplateError>,
    html: &str,
) -> TemplateError {
    let started = Instant::now();
    let e = check(&with_html(html)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{html}: {:?}",
        started.elapsed()
    );
    e
}

/// The notifier's path: a stored template rendered as it is (it may
/// predate the checks of `validate`).
fn rendered(t: &NotificationTemplate) -> Result<(), TemplateError> {
    render(t, &hostile()).map(|_| ())
}

/// Asserts that `check` refuses `html` within 2 s as too costly.
fn too_costly(check: impl Fn(&NotificationTemplate) -> Result<(), TemplateError>, html: &str) {
    let e = refused_quickly(check, html);
    assert_eq!(e.kind, TemplateErrorKind::TooCostly, "{html}: {e}");
    assert!(e.detail.contains("out of fuel"), "{e}");
}

#[test]
fn a_loop_without_bound_is_refused_quickly() {
    // `range` is no variable of the e-mail: refused before anything runs.
    let huge = "{% for i in range(100000000) %}x{% endfor %}";
    let e = refused_quickly(validate, huge);
    assert_eq!(e.kind, TemplateErrorKind::Invalid, "{e}");
    assert!(e.detail.contains("unknown variable range"), "{e}");
    // Rendered all the same, it fails at once (range's own limit)…
    assert!(refused_quickly(rendered, huge).detail.contains("range"));
    // …and within that limit, the fuel ends it.
    too_costly(
        rendered,
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    );
    // A recursion that branches passes the variable check: the fuel ends it.
    let recursion = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}";
    too_costly(validate, recursion);
    too_costly(rendered, recursion);
}

#[test]
fn a_value_that_grows_without_bound_is_refused_quickly() {
    too_costly(validate, "{{ agent_name * 100000000 }}");
    too_costly(
        validate,
        "{{ agent_name|replace('a', agent_name * 9)|replace('a', agent_name * 9)|replace('a', agent_name * 9)|replace('a', agent_name * 9)|replace('a', agent_name * 9)|replace('a', agent_name * 9) }}",
    );
    too_costly(
        rendered,
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    );
}

#[test]
fn an_ordinary_template_renders_with_the_location_escaped() {
    let t = with_html(&format!("<p>{{{{ agent_name }}}}</p>{LOCATION_LOOP}"));
    validate(&t).unwrap();
    let email = render(&t, &hostile()).unwrap();
    assert!(
        email
            .html
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;<br>1 Main St<br>"),
        "{}",
        email.html
    );
    assert!(!email.html.contains("<script>"), "{}", email.html);
    // The built-in one, with the longest location a desktop may send, is
    // well within a render's work.
    let long = NotificationData {
        location_lines: vec!["x".repeat(200); 12],
        ..hostile()
    };
    render(&NotificationTemplate::builtin(), &long).unwrap();
}
