//! Logs to stderr at the level `RUST_LOG` or `GRAPHAI_LOG_LEVEL` asks for:
//! one call at the top of `main`, as every example makes.
//!
//! ```no_run
//! #[tokio::main]
//! async fn main() {
//!     graphai::logging::init();
//!     // .. build and run graphs; GRAPHAI_LOG_LEVEL=debug shows every node attempt.
//! }
//! ```
//!
//! `GRAPHAI_LOG_LEVEL` is Python GraphAI's variable and, as there, sets how
//! much GraphAI itself says: `debug`, `info`, `warning` (or `warn`), `error`
//! or `critical` (the same as `error`), in any case; `trace` and `off` work
//! too. Everything else logs warnings and errors. `RUST_LOG`, when set, wins
//! and is read as [`EnvFilter`] directives (`info,graphai=debug`,
//! `graphai::llm=info`, ..). With neither set, only warnings and errors are
//! logged, so a program's own output stays its own.
//!
//! The spans and events GraphAI emits, and their fields, are listed in
//! [`tracing_fields`](crate::tracing_fields).

use std::io::IsTerminal;

use tracing_subscriber::fmt::format::FmtSpan;

pub use tracing_subscriber::EnvFilter;

/// The name of GraphAI's variable.
pub const GRAPHAI_LOG_LEVEL: &str = "GRAPHAI_LOG_LEVEL";

/// What is logged when neither variable is set: warnings and errors.
pub const DEFAULT_DIRECTIVES: &str = "warn";

/// A variable that does not say what to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoggingError {
    /// `GRAPHAI_LOG_LEVEL` holds something that is not a level.
    #[error(
        "GRAPHAI_LOG_LEVEL={value:?} is not a level: use debug, info, warning, error or critical \
         (or set RUST_LOG to filter by target)"
    )]
    UnknownLevel {
        /// The variable's value.
        value: String,
    },
    /// `RUST_LOG` holds something `EnvFilter` cannot read.
    #[error(
        "RUST_LOG={value:?} is not a filter ({reason}): write directives like `info,graphai=debug`"
    )]
    InvalidRustLog {
        /// The variable's value.
        value: String,
        /// What the parser said.
        reason: String,
    },
}

/// The filter directives for these values of `GRAPHAI_LOG_LEVEL` and
/// `RUST_LOG` (`None` or blank: not set).
///
/// ```
/// use graphai::logging::directives;
///
/// assert_eq!(directives(Some("DEBUG"), None)?, "warn,graphai=debug");
/// assert_eq!(directives(Some("warning"), Some("info,my_app=trace"))?, "info,my_app=trace");
/// assert_eq!(directives(None, None)?, "warn");
/// # Ok::<(), graphai::logging::LoggingError>(())
/// ```
///
/// # Errors
/// [`LoggingError::UnknownLevel`] when `RUST_LOG` is not set and
/// `GRAPHAI_LOG_LEVEL` is not a level. `RUST_LOG` is returned as it is;
/// [`filter`] checks that it parses.
pub fn directives(
    graphai_log_level: Option<&str>,
    rust_log: Option<&str>,
) -> Result<String, LoggingError> {
    if let Some(rust_log) = set(rust_log) {
        return Ok(rust_log.to_owned());
    }
    let Some(value) = set(graphai_log_level) else {
        return Ok(DEFAULT_DIRECTIVES.to_owned());
    };
    let level = match value.to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warning" | "warn" => "warn",
        "error" | "critical" => "error",
        "off" => "off",
        _ => {
            return Err(LoggingError::UnknownLevel {
                value: value.to_owned(),
            });
        }
    };
    Ok(format!("{DEFAULT_DIRECTIVES},graphai={level}"))
}

/// `value` trimmed, unless it is missing or blank.
fn set(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The filter for these values of `GRAPHAI_LOG_LEVEL` and `RUST_LOG`, as
/// [`directives`] maps them.
///
/// # Errors
/// As [`directives`], and [`LoggingError::InvalidRustLog`] when `RUST_LOG`
/// does not parse.
pub fn filter(
    graphai_log_level: Option<&str>,
    rust_log: Option<&str>,
) -> Result<EnvFilter, LoggingError> {
    let directives = directives(graphai_log_level, rust_log)?;
    EnvFilter::try_new(&directives).map_err(|error| LoggingError::InvalidRustLog {
        value: directives,
        reason: error.to_string(),
    })
}

/// The filter the process's `GRAPHAI_LOG_LEVEL` and `RUST_LOG` ask for.
///
/// # Errors
/// As [`filter`].
pub fn env_filter() -> Result<EnvFilter, LoggingError> {
    let var = |name: &str| std::env::var(name).ok();
    filter(
        var(GRAPHAI_LOG_LEVEL).as_deref(),
        var("RUST_LOG").as_deref(),
    )
}

/// Installs a global subscriber that logs to stderr through [`env_filter`]:
/// each event, and each span as it closes (with its fields, such as a node
/// attempt's `outcome`, and its time).
///
/// A variable that does not parse is reported as the first warning, and
/// [`DEFAULT_DIRECTIVES`] apply instead. Does nothing if the program already
/// installed a global subscriber.
pub fn init() {
    let (filter, problem) = console_filter();
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .is_ok();
    if installed {
        report(problem);
    }
}

/// [`env_filter`], or the default and what was wrong.
pub(crate) fn console_filter() -> (EnvFilter, Option<LoggingError>) {
    match env_filter() {
        Ok(filter) => (filter, None),
        Err(problem) => (EnvFilter::new(DEFAULT_DIRECTIVES), Some(problem)),
    }
}

/// Says, once a subscriber is installed, that a variable was not used.
pub(crate) fn report(problem: Option<LoggingError>) {
    if let Some(problem) = problem {
        tracing::warn!("{problem}; logging warnings and errors only");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphai_log_level_sets_graphai_s_level_as_python_graphai_names_them() {
        for (value, level) in [
            ("DEBUG", "debug"),
            ("debug", "debug"),
            ("INFO", "info"),
            ("WARNING", "warn"),
            ("warn", "warn"),
            ("ERROR", "error"),
            ("CRITICAL", "error"),
            ("Trace", "trace"),
            ("off", "off"),
            ("  info\n", "info"),
        ] {
            assert_eq!(
                directives(Some(value), None).as_deref(),
                Ok(format!("warn,graphai={level}").as_str()),
                "GRAPHAI_LOG_LEVEL={value:?}"
            );
        }
    }

    #[test]
    fn rust_log_wins_when_set_and_neither_means_warnings() {
        assert_eq!(
            directives(Some("debug"), Some("info,graphai::llm=trace")).as_deref(),
            Ok("info,graphai::llm=trace")
        );
        assert_eq!(
            directives(Some("nonsense"), Some("error")).as_deref(),
            Ok("error"),
            "an unused GRAPHAI_LOG_LEVEL is not checked"
        );
        assert_eq!(directives(None, None).as_deref(), Ok("warn"));
        assert_eq!(directives(Some(""), Some("  ")).as_deref(), Ok("warn"));
        assert_eq!(
            directives(Some("info"), Some("")).as_deref(),
            Ok("warn,graphai=info")
        );
    }

    #[test]
    fn a_value_that_says_nothing_is_an_error_naming_the_variable() {
        let err = directives(Some("verbose"), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "GRAPHAI_LOG_LEVEL=\"verbose\" is not a level: use debug, info, warning, error or \
             critical (or set RUST_LOG to filter by target)"
        );
        let err = filter(None, Some("graphai=loud")).unwrap_err();
        let LoggingError::InvalidRustLog { value, reason } = &err else {
            panic!("expected InvalidRustLog, got {err:?}");
        };
        assert_eq!(value, "graphai=loud");
        assert!(!reason.is_empty());
        assert!(
            err.to_string()
                .starts_with("RUST_LOG=\"graphai=loud\" is not a filter ("),
            "{err}"
        );
    }

    #[test]
    fn the_filter_enables_what_the_directives_say() {
        use tracing::level_filters::LevelFilter;
        let filter = filter(Some("debug"), None).expect("parses");
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::DEBUG));
        let filter = super::filter(Some("error"), None).expect("parses");
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::WARN));
    }
}
