//! What a preview says, and the window it takes.

use super::*;
use crate::cmd::{Cli, Command};
use clap::Parser;

#[test]
fn a_preview_says_each_recipient_gets_a_message_of_its_own() {
    assert_eq!(
        preview_to(&Recipients::default()),
        "(no recipients: nothing would be sent)"
    );
    assert_eq!(
        preview_to(&Recipients::parse("a@example.com").unwrap()),
        "a@example.com"
    );
    assert_eq!(
        preview_to(&Recipients::parse("a@example.com; b@example.com").unwrap()),
        "a@example.com, b@example.com (one message to each; nobody sees the others)"
    );
}

#[test]
fn a_preview_takes_the_configured_window() {
    let window = |args: &[&str]| match Cli::try_parse_from(
        ["lifeline", "template", "preview", "--agent", "a-42"]
            .iter()
            .chain(args),
    )
    .map(|c| c.command)
    {
        Ok(Command::Template(TemplateCmd::Preview { window_minutes, .. })) => Ok(window_minutes),
        Ok(_) => unreachable!("a preview"),
        Err(e) => Err(e.kind()),
    };
    assert_eq!(window(&["--window-minutes", "90"]), Ok(90));
    assert!(window(&["--window-minutes", "30"]).is_err(), "at least 60");
    if std::env::var_os("LIFELINE_CALLBACK_WINDOW_MINUTES").is_none() {
        assert_eq!(window(&[]), Ok(60));
    }
}

/// The preview's default and bounds are the functions' own (the settings table).
#[test]
fn the_preview_window_is_bounded_as_the_functions_bound_it() {
    let setting = lifeline_app::settings::table::LIFELINE_CALLBACK_WINDOW_MINUTES;
    let (range, _) = setting.range::<i64>().expect("a whole-number setting");
    assert_eq!(range, 60..=1440, "the preview's value_parser range");
    assert_eq!(
        setting.default_number::<i64>().ok(),
        Some(60),
        "its default"
    );
}
