//! Lambda's concurrency, as the runner models it for the HTTP functions: one
//! request per execution environment, as many environments as the function's
//! reservation (else the account's unreserved pool), and no queue — a
//! synchronous request beyond the ceiling is throttled at once, as Lambda's
//! `TooManyRequestsException` (429). The defaults are the template's, so a
//! burst through the runner is throttled where a default deployment would be.

use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The ceilings: the template's reservations and the account's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ceilings {
    /// `CallPathReservedConcurrency`: dial-intake (and the platform adapters,
    /// each its own reservation).
    pub dial: usize,
    /// `CallbackReservedConcurrency`: callback-router.
    pub callback: usize,
    /// The account's concurrency quota; what the reservations leave of it is
    /// shared by every other function.
    pub account: usize,
}

impl Default for Ceilings {
    fn default() -> Self {
        Ceilings {
            dial: 500,
            callback: 100,
            account: 1000,
        }
    }
}

impl Ceilings {
    /// `dial=500,callback=100,account=1000` (any subset, in any order).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut c = Ceilings::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected name=number"))?;
            let n: usize = value
                .parse()
                .map_err(|_| format!("`{part}`: not a number"))?;
            match key {
                "dial" => c.dial = n,
                "callback" => c.callback = n,
                "account" => c.account = n,
                other => return Err(format!("`{other}`: use dial, callback or account")),
            }
        }
        Ok(c)
    }
}

/// Which of the ceilings a reservation is.
type Reserves = fn(Ceilings) -> usize;

/// The functions with a reservation of their own, and which.
const RESERVED: [(&str, Reserves); 4] = [
    ("dial-intake", |c| c.dial),
    ("connect-adapter", |c| c.dial),
    ("twilio-adapter", |c| c.dial),
    ("callback-router", |c| c.callback),
];

/// The environments each function may run at once.
pub struct Concurrency {
    reserved: BTreeMap<&'static str, Arc<Semaphore>>,
    unreserved: Arc<Semaphore>,
    ceilings: Ceilings,
}

impl Concurrency {
    pub fn new(ceilings: Ceilings) -> Self {
        // As the default deployment: dial-intake and callback-router reserve.
        let held = ceilings.dial + ceilings.callback;
        Concurrency {
            reserved: RESERVED
                .iter()
                .map(|(name, n)| (*name, Arc::new(Semaphore::new(n(ceilings)))))
                .collect(),
            unreserved: Arc::new(Semaphore::new(ceilings.account.saturating_sub(held))),
            ceilings,
        }
    }

    pub fn ceilings(&self) -> Ceilings {
        self.ceilings
    }

    /// An environment for one request of `function`, or `None`: throttled.
    pub fn admit(&self, function: &str) -> Option<OwnedSemaphorePermit> {
        let pool = self.reserved.get(function).unwrap_or(&self.unreserved);
        pool.clone().try_acquire_owned().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_the_ceiling_a_request_is_throttled_until_one_ends() {
        let c = Concurrency::new(Ceilings {
            dial: 2,
            callback: 1,
            account: 5,
        });
        let a = c.admit("dial-intake").expect("first");
        let _b = c.admit("dial-intake").expect("second");
        assert!(c.admit("dial-intake").is_none(), "no queue: throttled");
        // Reservations are per function: the callback path is untouched.
        let _cb = c.admit("callback-router").expect("its own reservation");
        assert!(c.admit("callback-router").is_none());
        drop(a);
        assert!(c.admit("dial-intake").is_some(), "an environment came free");
        // The rest share what the reservations leave of the account: 2.
        let _p = c.admit("presence-api").expect("unreserved");
        let _e = c.admit("call-events").expect("unreserved");
        assert!(c.admit("presence-api").is_none());
    }

    #[test]
    fn ceilings_parse_with_the_template_defaults_for_what_is_not_given() {
        assert_eq!(Ceilings::parse("").unwrap(), Ceilings::default());
        assert_eq!(
            Ceilings::parse("dial=50, account=200").unwrap(),
            Ceilings {
                dial: 50,
                callback: 100,
                account: 200
            }
        );
        assert!(Ceilings::parse("dial=x").is_err());
        assert!(Ceilings::parse("other=1").is_err());
    }
}
