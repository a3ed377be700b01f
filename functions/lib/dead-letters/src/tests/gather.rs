//! Which dead letters are read, and how an id finds one.

use super::fake::*;
use crate::*;

#[tokio::test]
async fn only_the_stages_failure_queues_and_its_bucket_are_read() {
    let letters = letters_of(&every_shape()).await;
    let sources: Vec<String> = letters.iter().map(|l| l.source.name()).collect();
    assert_eq!(
        sources,
        [
            "lifeline-prod-bus-delivery-failures",
            "lifeline-prod-call-outbox-dlq",
            "lifeline-prod-lease-expiry-dlq",
            "lifeline-prod-notifier-failures",
            "lifeline-prod-notifier-failures",
            "lifeline-prod-stream-events-failures",
            "s3://lifeline-prod-stream-failures",
        ]
    );
    // Without a bucket, the bucket is skipped.
    let fake = every_shape();
    let without = gather(&fake, &places(None)).await.unwrap();
    assert_eq!(without.letters.len(), 6);
    assert!(without.notes.is_empty());
    // A bucket that does not exist is skipped, and said.
    let missing = gather(&fake, &places(Some("elsewhere"))).await.unwrap();
    assert_eq!(missing.letters.len(), 6);
    assert_eq!(
        missing.notes,
        ["failure bucket elsewhere not found: skipped"]
    );
}

#[tokio::test]
async fn one_queue_can_be_chosen_and_an_unknown_one_is_refused() {
    let fake = every_shape();
    let mut p = places(Some("lifeline-prod-stream-failures"));
    p.only = Some("lifeline-prod-lease-expiry-dlq".into());
    let letters = gather(&fake, &p).await.unwrap().letters;
    assert_eq!(letters.len(), 1);
    p.only = Some("s3://lifeline-prod-stream-failures".into());
    assert_eq!(gather(&fake, &p).await.unwrap().letters.len(), 1);
    p.only = Some("lifeline-prod-call-outbox".into());
    assert!(matches!(
        gather(&fake, &p).await,
        Err(GatherError::NoSuchPlace(..))
    ));
}

#[tokio::test]
async fn ids_resolve_by_whole_short_or_unique_beginning() {
    let letters = letters_of(&every_shape()).await;
    assert_eq!(find(&letters, "33333333").unwrap().kind, Kind::CallOutbox);
    assert_eq!(
        find(&letters, "5b7a0c").unwrap().kind,
        Kind::EventBridgeRule
    );
    assert_eq!(
        find(&letters, "11111111"),
        Err(FindError::Ambiguous("11111111".into(), 2))
    );
    assert_eq!(
        find(&letters, "nope"),
        Err(FindError::NotFound("nope".into()))
    );
    assert!(select(&letters, &["nope".into()], false).is_err());
}
