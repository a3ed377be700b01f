//! Route selection for an emergency call (docs/contract.md, "Route selection").

use serde::{Deserialize, Serialize};
use std::str::FromStr;

use super::types::Invalid;

/// The kind of the agent's source number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    CallingPlan,
    DirectRouting,
}

impl NumberType {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::CallingPlan => "calling_plan",
            NumberType::DirectRouting => "direct_routing",
        }
    }
}

impl FromStr for NumberType {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "calling_plan" => Ok(NumberType::CallingPlan),
            "direct_routing" => Ok(NumberType::DirectRouting),
            _ => Err(Invalid(format!(
                "`{s}` is not a number type: use calling_plan or direct_routing"
            ))),
        }
    }
}

/// What the voice-platform tenant has set up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSettings {
    /// A direct-routing voice route exists for emergency numbers.
    pub direct_routing_emergency_rule: bool,
    /// At least one calling-plan number exists in the tenant.
    pub has_calling_plan_numbers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    DirectOffer,
    DirectRouting,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::DirectOffer => "direct_offer",
            Route::DirectRouting => "direct_routing",
        }
    }
}

impl FromStr for Route {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "direct_offer" => Ok(Route::DirectOffer),
            "direct_routing" => Ok(Route::DirectRouting),
            _ => Err(Invalid(format!("`{s}` is not a route"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDecision {
    pub route: Route,
    pub reason: &'static str,
    /// The carrier must be set up for emergency calls (readiness warning).
    pub carrier_must_be_configured: bool,
}

pub fn select_route(number_type: NumberType, tenant: TenantSettings) -> RouteDecision {
    match number_type {
        NumberType::CallingPlan => RouteDecision {
            route: Route::DirectOffer,
            reason: "calling-plan number",
            carrier_must_be_configured: false,
        },
        NumberType::DirectRouting if tenant.direct_routing_emergency_rule => RouteDecision {
            route: Route::DirectRouting,
            reason: "direct-routing number with an emergency direct-routing rule",
            carrier_must_be_configured: false,
        },
        NumberType::DirectRouting if tenant.has_calling_plan_numbers => RouteDecision {
            route: Route::DirectOffer,
            reason: "direct-routing number without an emergency rule; the tenant has calling-plan numbers",
            carrier_must_be_configured: false,
        },
        NumberType::DirectRouting => RouteDecision {
            route: Route::DirectRouting,
            reason: "direct-routing number without an emergency rule or calling-plan numbers",
            carrier_must_be_configured: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_branch() {
        let t = |rule, plan| TenantSettings {
            direct_routing_emergency_rule: rule,
            has_calling_plan_numbers: plan,
        };
        for rule in [false, true] {
            for plan in [false, true] {
                let d = select_route(NumberType::CallingPlan, t(rule, plan));
                assert_eq!(d.route, Route::DirectOffer);
                assert!(!d.carrier_must_be_configured);
            }
        }
        assert_eq!(
            select_route(NumberType::DirectRouting, t(true, false)).route,
            Route::DirectRouting
        );
        assert_eq!(
            select_route(NumberType::DirectRouting, t(true, true)).route,
            Route::DirectRouting
        );
        assert_eq!(
            select_route(NumberType::DirectRouting, t(false, true)).route,
            Route::DirectOffer
        );
        let d = select_route(NumberType::DirectRouting, t(false, false));
        assert_eq!(d.route, Route::DirectRouting);
        assert!(d.carrier_must_be_configured);
    }

    #[test]
    fn parse() {
        assert_eq!(
            "calling_plan".parse::<NumberType>(),
            Ok(NumberType::CallingPlan)
        );
        assert!("teams".parse::<NumberType>().is_err());
    }
}
