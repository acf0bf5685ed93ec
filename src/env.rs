//! Reading environment variables without stopping at the first bad one: each area of
//! the service reads its own variables through an [`Env`], which stands in the default
//! for a bad value and collects a [`Problem`] naming the variable, so that
//! [`crate::config::Config::from_env`] reports every problem at once.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One bad variable. The message says what is expected, never what the value was, so a
/// misplaced secret cannot leak through an error.
#[derive(Debug)]
pub struct Problem {
    /// The variable's name.
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.variable, self.message)
    }
}

/// Variables from any source (the process environment, a test's map), and the problems
/// found in them so far.
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<Problem>,
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl<'a> Env<'a> {
    /// Reads variables through `lookup`.
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            problems: Vec::new(),
        }
    }

    /// Every problem found, in reading order.
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// The variable's value; unset and empty are the same, as in most shells' eyes.
    pub fn text(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    /// Notes that `variable` is bad, saying what is expected of it.
    pub fn problem(&mut self, variable: &'static str, message: impl Into<String>) {
        self.problems.push(Problem {
            variable,
            message: message.into(),
        });
    }

    /// The value parsed as `T`, or `default`'s parse when unset or bad.
    pub fn parsed<T>(&mut self, name: &'static str, default: &str) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let parse = |value: &str| value.trim().parse::<T>();
        if let Some(value) = self.text(name) {
            match parse(&value) {
                Ok(parsed) => return parsed,
                Err(error) => self.problem(name, format!("is invalid: {error}")),
            }
        }
        match parse(default) {
            Ok(parsed) => parsed,
            Err(error) => unreachable!("the default of {name} must parse: {error}"),
        }
    }

    /// A whole number of at least 1.
    pub fn count(&mut self, name: &'static str, default: usize) -> usize {
        let Some(value) = self.text(name) else {
            return default;
        };
        match value.trim().parse::<usize>() {
            Ok(count) if count >= 1 => count,
            _ => {
                self.problem(name, "must be a whole number of at least 1");
                default
            }
        }
    }

    /// A whole number of milliseconds, at least 1, as the OpenTelemetry variables give
    /// durations.
    pub fn millis(&mut self, name: &'static str, default: Duration) -> Duration {
        let default = usize::try_from(default.as_millis()).unwrap_or(usize::MAX);
        Duration::from_millis(self.count(name, default) as u64)
    }

    /// A positive humantime duration such as `25s` or `500ms`.
    pub fn duration(&mut self, name: &'static str, default: Duration) -> Duration {
        match self.duration_or_zero(name, default) {
            Duration::ZERO => {
                self.problem(name, "must be longer than zero");
                default
            }
            duration => duration,
        }
    }

    /// A humantime duration, zero allowed.
    pub fn duration_or_zero(&mut self, name: &'static str, default: Duration) -> Duration {
        let Some(value) = self.text(name) else {
            return default;
        };
        humantime::parse_duration(value.trim()).unwrap_or_else(|_| {
            self.problem(name, "must be a duration such as `500ms`, `25s` or `5m`");
            default
        })
    }

    /// `true` or `false` (`1` or `0`), false when unset.
    pub fn flag(&mut self, name: &'static str) -> bool {
        match self.text(name).as_deref().map(str::trim) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => {
                self.problem(name, "must be `true` or `false`");
                false
            }
        }
    }
}
