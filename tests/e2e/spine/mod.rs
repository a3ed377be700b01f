//! The spine, end to end on DynamoDB Local through the local runner's HTTP routes.

mod cost;
mod faults;
mod input;
mod pool;
mod scenario;

use std::collections::BTreeMap;

pub(super) fn ops(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}
