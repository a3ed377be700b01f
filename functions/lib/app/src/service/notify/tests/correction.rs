//! The correction e-mail: after an e-mail that named the leased number, the
//! record is made to name the own number the PSAP saw.

use super::*;
use crate::service::notify::Corrected;
use lifeline_domain::types::E164;

const OWN: &str = "+14255550100";

impl Rig {
    async fn correct(&self) -> Result<Corrected, RetryLater> {
        self.service
            .on_caller_id_corrected(&"c-1".parse().unwrap(), &"a-42".parse().unwrap())
            .await
    }

    /// The platform presented the own number: the record says so now.
    fn presented_own(&self) {
        let own: E164 = OWN.parse().unwrap();
        self.store.with_state(|s| {
            let c = s.calls.get_mut(&"c-1".parse().unwrap()).unwrap();
            *c = lifeline_domain::presented::presented_as(c, &own);
        });
    }
}

#[tokio::test]
async fn an_email_that_named_the_leased_number_is_corrected_once() {
    let r = rig("");
    r.notify().await.unwrap();
    r.presented_own();
    assert_eq!(r.correct().await.unwrap(), Corrected::Sent(1));
    let messages = r.outbox.messages();
    assert_eq!(messages.len(), 2);
    let (to, correction) = &messages[1];
    assert_eq!(to, "sup@example.com");
    assert!(
        correction.subject.contains("CORRECTION"),
        "{}",
        correction.subject
    );
    assert!(
        correction.text.contains(&format!("shown {OWN}")),
        "{}",
        correction.text
    );
    assert!(
        correction.text.contains("not +14255550199"),
        "{}",
        correction.text
    );
    // Redelivered: nothing more.
    assert_eq!(r.correct().await.unwrap(), Corrected::AlreadyDone);
    assert_eq!(r.outbox.messages().len(), 2);
}

#[tokio::test]
async fn an_email_not_sent_yet_is_waited_for_then_needs_no_correction() {
    let r = rig("");
    r.presented_own();
    // The first e-mail may be on its way with the old number: wait for it.
    assert!(r.correct().await.is_err());
    // It read the corrected record, so it names the own number already.
    r.notify().await.unwrap();
    assert!(r.outbox.messages()[0].1.text.contains(OWN));
    assert_eq!(r.correct().await.unwrap(), Corrected::Nothing);
    assert_eq!(r.outbox.messages().len(), 1);
}

#[tokio::test]
async fn a_correction_that_fails_is_retried_whole() {
    let r = rig("");
    r.notify().await.unwrap();
    r.presented_own();
    r.outbox.fail_next(1);
    assert!(r.correct().await.is_err());
    assert_eq!(r.correct().await.unwrap(), Corrected::Sent(1));
    assert_eq!(r.outbox.messages().len(), 2);
}
