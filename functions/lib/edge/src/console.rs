//! The console's sign-in, at the edge: who a request's bearer token says
//! its holder is. A token is an Amazon Cognito user pool's (on AWS the HTTP
//! API's JWT authorizer checks it first; the function checks it again, and
//! locally it is the only check): RS256, signed by a key of the pool's JWKS,
//! issued by the pool, for the console's app client, not expired by the
//! clock the caller passes. The holder's groups decide what they may do.

pub mod auth;
/// Test tokens (the `fakes` feature: handler tests only).
#[cfg(any(test, feature = "fakes"))]
pub mod testing;

pub use auth::{AuthError, ConsoleUser, Group, Jwks, TokenRules};
