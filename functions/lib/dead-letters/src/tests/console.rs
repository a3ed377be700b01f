//! The console's calls do what `lifeline dlq show` and `lifeline dlq replay
//! <id>` do: the same masked text, the same replay of one letter (owner
//! check, invoke, delete once it went through) and the same account of it.

use serde_json::json;

use super::fake::*;
use super::samples::*;
use crate::*;

#[tokio::test]
async fn the_masked_text_is_what_show_prints_without_raw() {
    let fake = every_shape();
    let letters = list_letters(&fake, &places(Some("lifeline-prod-stream-failures")))
        .await
        .unwrap();
    assert_eq!(letters, letters_of(&fake).await, "what `list` gathers");
    for l in &letters {
        let text = masked_text(l);
        assert_eq!(text, show_text(l, false));
        assert_no_full_number(&text);
        assert!(!text.chars().any(crate::printable::is_hazard), "{text}");
    }
    let outbox = masked_text(by_kind(&letters, Kind::CallOutbox));
    assert!(outbox.starts_with("id:        33333333-aaaa-4bbb-8ccc-000000000001\n"));
    assert!(
        !outbox.contains("1 Main St") && !outbox.contains("47.61"),
        "{outbox}"
    );
    assert!(outbox.contains("«masked»"), "{outbox}");
    let batch = masked_text(by_kind(&letters, Kind::StreamBatch));
    assert!(!batch.contains("kim@example.com"), "{batch}");
    assert!(batch.contains("***@example.com"), "{batch}");
}

#[tokio::test]
async fn a_replay_of_one_that_goes_through_invokes_its_owner_then_deletes_it() {
    let fake = every_shape();
    let said = replay_one(&fake, &places(None), "a3f1d2c4").await.unwrap();
    assert_eq!(
        said,
        "replayed a3f1d2c4 (schedule lease l-1)\nreplayed 1, failed again 0"
    );
    assert_eq!(
        fake.invoked(),
        vec![(
            LEASE_NAME.to_string(),
            json!({"leaseId": "l-1", "number": "+14255550199", "version": 3})
        )]
    );
    assert!(fake.ids_in("lifeline-prod-lease-expiry-dlq").is_empty());

    // The outbox's goes back to the outbox.
    let said = replay_one(&fake, &places(None), "33333333").await.unwrap();
    assert!(said.ends_with("\nreplayed 1, failed again 0"), "{said}");
    assert_eq!(fake.sent.lock().unwrap().len(), 1);
    assert!(fake.ids_in("lifeline-prod-call-outbox-dlq").is_empty());
}

#[tokio::test]
async fn a_replay_of_one_that_fails_again_keeps_it_and_says_why() {
    let fake = every_shape().answering(
        NOTIFIER_NAME,
        Some("Unhandled"),
        json!({"errorType": "SesUnavailable", "errorMessage": "still down +14255550199"}),
    );
    let id = "11111111-aaaa-4bbb-8ccc-000000000001";
    let e = replay_one(&fake, &places(None), id).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "failed again 11111111: function error (Unhandled): SesUnavailable: still down \
         +*******0199\nreplayed 0, failed again 1"
    );
    assert!(matches!(e, ReplayOneError::NotDone(_)));
    assert_eq!(fake.ids_in("lifeline-prod-notifier-failures").len(), 2);
}

#[tokio::test]
async fn a_letter_naming_a_foreign_function_is_refused_never_invoked_and_kept() {
    let mut planted = async_failure();
    planted["requestContext"]["functionArn"] =
        json!("arn:aws:lambda:us-east-1:123456789012:function:exfiltrate");
    let fake = every_shape();
    fake.queues
        .lock()
        .unwrap()
        .get_mut("lifeline-prod-notifier-failures")
        .unwrap()
        .push(message(
            "99999999-aaaa-4bbb-8ccc-000000000001",
            &planted,
            &[],
        ));
    let e = replay_one(&fake, &places(None), "99999999")
        .await
        .unwrap_err();
    let said = e.to_string();
    assert!(
        said.starts_with("refused 99999999 (not invoked, kept): names function exfiltrate"),
        "{said}"
    );
    assert!(
        said.ends_with("\nreplayed 0, failed again 0, refused 1"),
        "{said}"
    );
    assert!(fake.invoked().is_empty());
    assert_eq!(fake.ids_in("lifeline-prod-notifier-failures").len(), 3);

    // An unknown shape is not replayed either.
    let e = replay_one(&fake, &places(None), "11111111-aaaa-4bbb-8ccc-000000000002")
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "not replayed 11111111: unknown shape\nreplayed 0, failed again 0, not replayable 1"
    );
}

#[tokio::test]
async fn nothing_is_replayed_unless_the_id_names_one_letter_of_the_places() {
    let fake = every_shape();
    let e = replay_one(&fake, &places(None), "nope").await.unwrap_err();
    assert!(matches!(e, ReplayOneError::Find(FindError::NotFound(_))));
    assert_eq!(
        e.to_string(),
        "no dead letter `nope` (`lifeline dlq list` shows them)"
    );
    let e = replay_one(&fake, &places(None), "11111111")
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        ReplayOneError::Find(FindError::Ambiguous(_, 2))
    ));
    let mut elsewhere = places(None);
    elsewhere.only = Some("lifeline-prod-call-outbox".into());
    let e = replay_one(&fake, &elsewhere, "33333333").await.unwrap_err();
    assert!(matches!(
        e,
        ReplayOneError::Gather(GatherError::NoSuchPlace(..))
    ));
    assert!(fake.invoked().is_empty() && fake.sent.lock().unwrap().is_empty());
}

#[test]
fn the_places_are_built_as_the_cli_builds_them() {
    let p = Places::new(" prod ", Some(" lifeline-prod-stream-failures "), None).unwrap();
    assert_eq!(p, places(Some("lifeline-prod-stream-failures")));
    assert_eq!(
        Places::new(DEFAULT_STAGE, Some("  "), None).unwrap(),
        places(None)
    );
    let e = Places::new("Prod", None, None).unwrap_err();
    assert!(e.contains("1 to 20 lowercase letters"), "{e}");
}

/// The console calls them from an `async_trait` port, whose futures are `Send`.
#[test]
fn the_calls_can_be_awaited_from_a_send_future() {
    fn send<T: Send>(_: T) {}
    let (fake, p) = (every_shape(), places(None));
    send(list_letters(&fake, &p));
    send(replay_one(&fake, &p, "a3f1d2c4"));
}
