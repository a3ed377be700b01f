//! One setting's description (a row of the settings table, `SETTINGS`) and the
//! parsing it drives: the variable's name, bounds and default come from the
//! row, so a reader writes only what it does with the value.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

use super::ConfigError;

/// The environment as a setting reads it: the process's, or a map in tests.
pub trait Lookup: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Lookup for F {}

/// A `LIFELINE_*` environment variable: what it holds, what unset means and
/// which programs read it.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    pub unset: Unset,
    pub shape: Shape,
    /// The binaries that read it: template `Binary` names, or `lifeline`
    /// (the CLI), `lifeline-local` (the runner), `lifeline-bench`.
    pub read_by: &'static [&'static str],
    /// One line for the configuration table.
    pub about: &'static str,
}

/// What an unset variable means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// This value, as the environment would hold it (`""`: empty).
    Default(&'static str),
    /// Nothing is used (the note says what follows), or the default depends
    /// on the reader (the note names each).
    Note(&'static str),
    /// Must be set on AWS (the template sets it where a deployed function
    /// reads it); the note says what stands in locally or when it applies.
    Required(&'static str),
}

/// What a value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A whole number of `unit`, from `min` to `max`.
    WholeNumber {
        min: i64,
        max: i64,
        unit: &'static str,
    },
    /// Anything else, in words (checked by the reader's own parser).
    Described(&'static str),
}

impl Setting {
    /// The variable's value as set, untrimmed.
    pub fn raw(&self, get: &impl Lookup) -> Option<String> {
        get(self.name)
    }

    /// The value trimmed; an empty one counts as unset.
    pub fn value(&self, get: &impl Lookup) -> Option<String> {
        get(self.name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The value as set, or the row's default when unset (`""` without one).
    pub fn raw_or_default(&self, get: &impl Lookup) -> String {
        get(self.name).unwrap_or_else(|| self.default_text().to_string())
    }

    /// The row's default (`""` when it has none).
    pub const fn default_text(&self) -> &'static str {
        match self.unset {
            Unset::Default(v) => v,
            Unset::Note(_) | Unset::Required(_) => "",
        }
    }

    pub fn invalid(&self, detail: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            name: self.name,
            detail: detail.into(),
        }
    }

    pub fn missing(&self) -> ConfigError {
        ConfigError::Missing(self.name)
    }

    /// The whole number set, within the row's range; its default when unset.
    /// An empty or unparsable value is refused.
    pub fn whole_number<T>(&self, get: &impl Lookup) -> Result<T, ConfigError>
    where
        T: TryFrom<i64> + FromStr + PartialOrd + Display,
    {
        let (range, unit) = self.range::<T>()?;
        let Some(s) = get(self.name) else {
            return self.default_number();
        };
        s.trim()
            .parse::<T>()
            .ok()
            .filter(|v| range.contains(v))
            .ok_or_else(|| {
                self.invalid(format!(
                    "must be a whole number of {unit} between {} and {}",
                    range.start(),
                    range.end()
                ))
            })
    }

    /// Like [`Setting::whole_number`], but an empty value takes the default,
    /// and the errors keep the lease settings' older wording (which says
    /// "minutes" whatever the unit).
    pub fn whole_number_or_default(&self, get: &impl Lookup) -> Result<i64, ConfigError> {
        let (range, _) = self.range::<i64>()?;
        let v = match get(self.name) {
            Some(s) if !s.trim().is_empty() => s
                .trim()
                .parse::<i64>()
                .map_err(|_| self.invalid(format!("`{s}` is not a whole number of minutes")))?,
            _ => self.default_number()?,
        };
        if !range.contains(&v) {
            return Err(self.invalid(format!(
                "must be between {} and {}",
                range.start(),
                range.end()
            )));
        }
        Ok(v)
    }

    /// The row's range and unit, as `T`.
    pub fn range<T: TryFrom<i64>>(&self) -> Result<(RangeInclusive<T>, &'static str), ConfigError> {
        let Shape::WholeNumber { min, max, unit } = self.shape else {
            return Err(self.invalid("the settings table gives it no range"));
        };
        match (T::try_from(min), T::try_from(max)) {
            (Ok(min), Ok(max)) => Ok((min..=max, unit)),
            _ => Err(self.invalid("its range does not fit the reader's type")),
        }
    }

    /// The row's default as a whole number (the table's tests hold every
    /// whole-number row to one within its range).
    pub fn default_number<T: TryFrom<i64>>(&self) -> Result<T, ConfigError> {
        self.default_text()
            .parse::<i64>()
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| self.invalid("the settings table gives it no whole-number default"))
    }

    /// Read by a deployed function (not only by the CLI, runner or bench).
    pub fn is_read_by(&self, binary: &str) -> bool {
        self.read_by.contains(&binary)
    }
}
