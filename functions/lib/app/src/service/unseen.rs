//! A lease whose number no PSAP saw: the platform presented another caller
//! ID on the call (`/calls/presented`), or the lease's write committed after
//! the dial had answered with the agent's own number (the outbox). The
//! change that frees the lease of the call, shared by both.

use chrono::{DateTime, Utc};

use crate::ports::LeaseWrite;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::lease::{Lease, LeasePolicy};

/// The write that frees `held` (the agent's lease pointer) of `call`, when
/// it is the lease `call` is recorded on and it carries the call.
pub fn unseen_lease_write(
    policy: &LeasePolicy,
    held: Option<&Lease>,
    call: &EmergencyCall,
    now: DateTime<Utc>,
) -> Option<LeaseWrite> {
    let held = held.filter(|l| call.lease_id.as_ref() == Some(&l.lease_id))?;
    policy
        .on_unseen(held, &call.call_id, call.dialed_at, now)
        .map(|(next, available_at)| LeaseWrite::Update {
            lease: next,
            available_at,
            expected_version: held.version,
        })
}
