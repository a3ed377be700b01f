//! The geodetic chunk (RFC 5491 §5.2): a point, or a circle around it.

use super::xml::Writer;
use crate::location::Location;

/// WGS 84, latitude then longitude (RFC 5491 §5).
const WGS84_2D: &str = "urn:ogc:def:crs:EPSG::4326";
const METRE: &str = "urn:ogc:def:uom:EPSG::9001";

/// RFC 5491 §5.2: a point when there is no known uncertainty, a circle
/// around it when there is.
pub(super) enum Shape {
    Point { lat: f64, lon: f64 },
    Circle { lat: f64, lon: f64, radius_m: f64 },
}

impl Shape {
    pub(super) fn write(&self, x: &mut Writer) {
        match *self {
            Shape::Point { lat, lon } => {
                x.open("gml:Point", &[("srsName", WGS84_2D)]);
                x.leaf("gml:pos", &[], &position(lat, lon));
                x.close("gml:Point");
            }
            Shape::Circle { lat, lon, radius_m } => {
                x.open("gs:Circle", &[("srsName", WGS84_2D)]);
                x.leaf("gml:pos", &[], &position(lat, lon));
                x.leaf("gs:radius", &[("uom", METRE)], &number(radius_m));
                x.close("gs:Circle");
            }
        }
    }
}

pub(super) fn shape(location: &Location) -> Option<Shape> {
    let (lat, lon) = location
        .coordinates()
        .filter(|(lat, lon)| lat.is_finite() && lon.is_finite())?;
    // A zero radius is no uncertainty: a point.
    Some(
        match location.radius_m.filter(|r| r.is_finite() && *r > 0.0) {
            Some(radius_m) => Shape::Circle { lat, lon, radius_m },
            None => Shape::Point { lat, lon },
        },
    )
}

pub(super) fn position(lat: f64, lon: f64) -> String {
    format!("{} {}", number(lat), number(lon))
}

/// Rust's `Display` for floats never uses an exponent, and gives the
/// shortest digits that read back the same; `-0` is written `0`.
pub(super) fn number(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        x.to_string()
    }
}
