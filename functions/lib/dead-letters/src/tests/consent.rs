//! `--all` is confirmed first: asked on a terminal, `--yes` elsewhere.

use super::fake::*;
use super::samples::*;
use crate::*;

#[test]
fn only_all_needs_consent_and_without_a_terminal_only_yes_gives_it() {
    assert_eq!(consent(false, false, false), Consent::Given, "named ids");
    assert_eq!(consent(true, true, false), Consent::Given, "--yes");
    assert_eq!(consent(true, true, true), Consent::Given);
    assert_eq!(consent(true, false, true), Consent::Ask);
    assert_eq!(consent(true, false, false), Consent::Missing);
}

#[test]
fn only_y_or_yes_is_a_yes() {
    for yes in ["y", "Y\n", " yes ", "YES\r\n"] {
        assert!(is_yes(yes), "{yes:?}");
    }
    for no in ["", "\n", "n", "no", "yy", "sure", "y es"] {
        assert!(!is_yes(no), "{no:?}");
    }
}

#[tokio::test]
async fn the_question_says_how_many_and_where_each_goes() {
    let letters = letters_of(&every_shape()).await;
    let chosen = select(&letters, &[], true).unwrap();
    let q = prompt(&stage(), &chosen);
    assert_eq!(
        q,
        "replay 6 dead letter(s) of stage prod with your credentials (2 invoke \
         lifeline-prod-callback-lease, 1 invoke lifeline-prod-notifier, 2 invoke \
         lifeline-prod-stream-events, 1 send back to lifeline-prod-call-outbox)? [y/N] "
    );
}
