//! The one error type of every checkpoint store.

/// A boxed error from a database driver, kept as the source of [`StoreError::Backend`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a checkpoint store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A conditional write found another head than it expected: another run continued
    /// the thread first. Nothing was stored.
    #[error(
        "thread `{thread}` moved on: this write expected {}, but {}; another run continued \
         the thread, so resume it again to continue from where that run left it",
        expected_text(.expected),
        found_text(.found)
    )]
    Conflict {
        /// The thread.
        thread: String,
        /// The head the write expected (`None`: that the thread did not exist).
        expected: Option<String>,
        /// The head the store holds (`None`: the thread does not exist).
        found: Option<String>,
    },

    /// An id (or a task's writes) already stored with other content: two different writes
    /// claim the same step.
    #[error(
        "{} of thread `{thread}` {} already stored with different content; a retried \
         write must carry the same content, and a new step needs a new id",
        mismatch_subject(.checkpoint, .task),
        if .task.is_some() { "were" } else { "is" }
    )]
    Mismatch {
        /// The thread.
        thread: String,
        /// The checkpoint.
        checkpoint: String,
        /// The task, when pending writes clashed.
        task: Option<String>,
    },

    /// A write referred to a checkpoint that is not in the thread (a parent, or the
    /// checkpoint that pending writes belong to).
    #[error(
        "thread `{thread}` has no checkpoint `{checkpoint}`; write it first, or check the \
         id (`store.history(\"{thread}\")` lists the thread's checkpoints)"
    )]
    NotFound {
        /// The thread.
        thread: String,
        /// The missing checkpoint.
        checkpoint: String,
    },

    /// A stored checkpoint cannot be read back.
    #[error(
        "checkpoint `{checkpoint}` of thread `{thread}` is corrupt: its {field} cannot be \
         read ({message}); fork from an earlier checkpoint with `resume_from`, or delete the \
         thread"
    )]
    Corrupt {
        /// The thread.
        thread: String,
        /// The checkpoint.
        checkpoint: String,
        /// Which part of the stored row is unreadable (`delta`, `position`, `parent`, ..).
        field: &'static str,
        /// What is wrong with it (the JSON parser's message, say).
        message: String,
    },

    /// A checkpoint or pending write that no store can keep.
    #[error("cannot store checkpoint `{checkpoint}` of thread `{thread}`: {reason}")]
    Invalid {
        /// The thread.
        thread: String,
        /// The checkpoint.
        checkpoint: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// The database failed (I/O, a lost connection, a lock held too long, ..).
    #[error("the {store} checkpoint store failed to {operation}")]
    Backend {
        /// `SQLite`, `PostgreSQL`, ...
        store: &'static str,
        /// What the store was doing, naming the thread and checkpoint.
        operation: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },

    /// The store cannot be opened or connected to.
    #[error("cannot open the {store} checkpoint store at {target}: {reason}; {hint}")]
    Open {
        /// `SQLite`, `PostgreSQL`, ...
        store: &'static str,
        /// The file or URL (passwords replaced by `***`).
        target: String,
        /// What went wrong.
        reason: String,
        /// What to do about it.
        hint: String,
    },

    /// The database was written by a newer graphai, with a schema this one does not know.
    #[error(
        "the {store} checkpoint store at {target} has schema version {found}, newer than the \
         {supported} this graphai knows; upgrade graphai, or point it at another database"
    )]
    SchemaTooNew {
        /// `SQLite`, `PostgreSQL`, ...
        store: &'static str,
        /// The file or URL (passwords replaced by `***`).
        target: String,
        /// The database's schema version.
        found: i64,
        /// The newest version this code knows.
        supported: i64,
    },
}

fn expected_text(expected: &Option<String>) -> String {
    match expected {
        Some(head) => format!("its head to be `{head}`"),
        None => "a new thread".to_string(),
    }
}

fn found_text(found: &Option<String>) -> String {
    match found {
        Some(head) => format!("its head is `{head}`"),
        None => "the thread does not exist (was it deleted?)".to_string(),
    }
}

fn mismatch_subject(checkpoint: &str, task: &Option<String>) -> String {
    match task {
        Some(task) => format!("the writes of task `{task}` for checkpoint `{checkpoint}`"),
        None => format!("checkpoint `{checkpoint}`"),
    }
}

/// `url` with any password replaced by `***`: both URL form
/// (`postgres://user:secret@host/db`, `?password=secret`) and key-value form
/// (`host=h password=secret`).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn redact_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = out[authority_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| authority_start + i);
        if let Some(at) = out[authority_start..authority_end].rfind('@') {
            let userinfo = &out[authority_start..authority_start + at];
            if let Some(colon) = userinfo.find(':') {
                let start = authority_start + colon + 1;
                out.replace_range(start..authority_start + at, "***");
            }
        }
    }
    redact_key_values(&out)
}

/// Replaces the value of every `password=` (a query parameter or a key-value pair).
fn redact_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = find_password_key(rest) {
        let value_start = found + "password=".len();
        out.push_str(&rest[..value_start]);
        out.push_str("***");
        let value = &rest[value_start..];
        let value_len = if let Some(quoted) = value.strip_prefix('\'') {
            // A quoted key-value: up to the closing quote not escaped by a backslash.
            let mut escaped = false;
            let mut end = quoted.len();
            for (i, c) in quoted.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        end = i + 1;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            1 + end
        } else {
            value
                .find(|c: char| c.is_whitespace() || c == '&')
                .unwrap_or(value.len())
        };
        rest = &value[value_len..];
    }
    out.push_str(rest);
    out
}

/// Where `password=` starts as a whole key (not `xpassword=`), case-insensitively.
fn find_password_key(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("password=") {
        let at = from + i;
        let before = lower[..at].chars().next_back();
        if before.is_none_or(|c| c.is_whitespace() || c == '?' || c == '&') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_in_every_url_form() {
        let cases = [
            (
                "postgres://app:s3cr%40t@db.example:5432/prod",
                "postgres://app:***@db.example:5432/prod",
            ),
            ("postgresql://app@db/prod", "postgresql://app@db/prod"),
            (
                "postgres://db/prod?user=app&password=hunter2&sslmode=require",
                "postgres://db/prod?user=app&password=***&sslmode=require",
            ),
            (
                "host=db user=app password=hunter2 dbname=prod",
                "host=db user=app password=*** dbname=prod",
            ),
            (
                "host=db password='it\\'s a secret' dbname=prod",
                "host=db password=*** dbname=prod",
            ),
            ("host=db PASSWORD=x", "host=db PASSWORD=***"),
            ("host=db mypassword=x", "host=db mypassword=x"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_password(url), want, "redacting {url}");
        }
    }

    #[test]
    fn conflict_messages_name_thread_and_heads() {
        let e = StoreError::Conflict {
            thread: "t-1".into(),
            expected: Some("c3".into()),
            found: Some("c4".into()),
        };
        assert_eq!(
            e.to_string(),
            "thread `t-1` moved on: this write expected its head to be `c3`, but its head is \
             `c4`; another run continued the thread, so resume it again to continue from \
             where that run left it"
        );
        let e = StoreError::Conflict {
            thread: "t-1".into(),
            expected: None,
            found: Some("c0".into()),
        };
        assert!(
            e.to_string()
                .contains("expected a new thread, but its head is `c0`")
        );
        let e = StoreError::Mismatch {
            thread: "t".into(),
            checkpoint: "c".into(),
            task: Some("b".into()),
        };
        assert!(
            e.to_string()
                .starts_with("the writes of task `b` for checkpoint `c` of thread `t` were")
        );
    }
}
