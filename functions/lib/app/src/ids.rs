//! Where new ids and random picks come from: a port, so that the domain
//! stays deterministic and a test can fix them.

use lifeline_domain::types::LeaseId;
use rand::Rng;

pub trait Ids: Send + Sync {
    /// A new lease id, unique across containers.
    fn lease_id(&self) -> LeaseId;
    /// A uniformly random number below `bound` (0 when `bound` is 0).
    fn below(&self, bound: usize) -> usize;
}

/// Version-4 UUIDs and the thread's random generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl Ids for RandomIds {
    fn lease_id(&self) -> LeaseId {
        LeaseId::from_bits(uuid::Uuid::new_v4().as_u128())
    }

    fn below(&self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        rand::rng().random_range(0..bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_ids_are_uuids_and_differ() {
        let (a, b) = (RandomIds.lease_id(), RandomIds.lease_id());
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(a.as_str()).is_ok(), "{a}");
        assert!(a.as_str().parse::<LeaseId>().is_ok());
        assert_eq!(RandomIds.below(0), 0);
        assert!((0..100).all(|_| RandomIds.below(3) < 3));
    }
}
