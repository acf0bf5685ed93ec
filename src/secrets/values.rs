//! What the secret holds, read from its JSON.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// What the secret holds.
#[derive(Clone, Default)]
pub struct SecretContents {
    /// `admin_token`: opens `/admin/faults`, in place of `APP_ADMIN_TOKEN`.
    pub admin_token: Option<SecretString>,
    /// Database credentials, which override those parts of `DATABASE_URL`.
    pub database: Option<DbCredentials>,
}

/// Database credentials in the shape RDS writes them.
#[derive(Clone)]
pub struct DbCredentials {
    /// `username`.
    pub username: String,
    /// `password`.
    pub password: SecretString,
    /// `host`, when the secret has it.
    pub host: Option<String>,
    /// `port`, when the secret has it.
    pub port: Option<u16>,
    /// `dbname`, when the secret has it.
    pub dbname: Option<String>,
}

impl PartialEq for DbCredentials {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username
            && self.password.expose_secret() == other.password.expose_secret()
            && self.host == other.host
            && self.port == other.port
            && self.dbname == other.dbname
    }
}

impl fmt::Debug for SecretContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretContents")
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("database", &self.database)
            .finish()
    }
}

impl fmt::Debug for DbCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbCredentials")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .finish()
    }
}

impl SecretContents {
    /// Reads the secret's JSON. Unknown keys are ignored; a key of the wrong type is an
    /// error that names it.
    pub fn parse(text: &str) -> Result<Self, String> {
        // The parse error would quote the text around the fault: say only where.
        let value: Value = serde_json::from_str(text).map_err(|error| {
            format!(
                "is not valid JSON (line {}, column {})",
                error.line(),
                error.column()
            )
        })?;
        let Value::Object(object) = value else {
            return Err("is not a JSON object".to_owned());
        };
        let text = |key: &str| match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(format!(
                "has `{key}` of the wrong type: a string is expected"
            )),
        };
        let port = match object.get("port") {
            None | Some(Value::Null) => None,
            Some(Value::Number(number)) => Some(
                number
                    .as_u64()
                    .and_then(|port| u16::try_from(port).ok())
                    .filter(|port| *port != 0)
                    .ok_or("has `port` out of range: 1 to 65535 is expected")?,
            ),
            Some(_) => return Err("has `port` of the wrong type: a number is expected".into()),
        };
        let database = match (text("username")?, text("password")?) {
            (Some(username), Some(password)) => Some(DbCredentials {
                username,
                password: password.into(),
                host: text("host")?,
                port,
                dbname: text("dbname")?,
            }),
            (None, None) => None,
            (Some(_), None) => return Err("has `username` but no `password`".to_owned()),
            (None, Some(_)) => return Err("has `password` but no `username`".to_owned()),
        };
        let admin_token = match text("admin_token")? {
            Some(token) if token.trim().is_empty() => {
                return Err("has an empty `admin_token`: leave the key out instead".to_owned());
            }
            token => token.map(SecretString::from),
        };
        Ok(Self {
            admin_token,
            database,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rds_shape_is_read_and_unknown_keys_ignored() {
        let values = SecretContents::parse(
            r#"{"username":"app","password":"pw-4711","host":"db.example","port":5432,
               "dbname":"hello","engine":"postgres","admin_token":"tok-0815"}"#,
        )
        .expect("valid");
        let database = values.database.expect("credentials");
        assert_eq!(database.username, "app");
        assert_eq!(database.password.expose_secret(), "pw-4711");
        assert_eq!(database.host.as_deref(), Some("db.example"));
        assert_eq!(database.port, Some(5432));
        assert_eq!(database.dbname.as_deref(), Some("hello"));
        assert_eq!(
            values.admin_token.as_ref().map(ExposeSecret::expose_secret),
            Some("tok-0815")
        );

        let managed = SecretContents::parse(r#"{"username":"postgres","password":"x"}"#)
            .expect("the shape of an RDS-managed master password");
        assert!(managed.database.is_some_and(|db| db.host.is_none()));
        assert!(
            SecretContents::parse("{}")
                .expect("empty")
                .database
                .is_none()
        );
    }

    #[test]
    fn wrong_types_name_the_key_and_never_the_value() {
        for (text, key) in [
            (r#"{"username":"app","password":4711}"#, "`password`"),
            (
                r#"{"username":"app","password":"pw","port":"5432"}"#,
                "`port`",
            ),
            (
                r#"{"username":"app","password":"pw","port":70000}"#,
                "`port`",
            ),
            (r#"{"admin_token":["secret-value"]}"#, "`admin_token`"),
            (r#"{"username":"app"}"#, "`password`"),
        ] {
            let problem = SecretContents::parse(text).expect_err(text);
            assert!(problem.contains(key), "{problem} names {key}");
            assert!(!problem.contains("4711") && !problem.contains("secret-value"));
        }
        let problem = SecretContents::parse(r#"{"admin_token":" "}"#).expect_err("empty");
        assert!(problem.contains("`admin_token`"), "{problem}");
        let problem = SecretContents::parse(r#"["pw-4711"]"#).expect_err("not an object");
        assert_eq!(problem, "is not a JSON object");
        let problem = SecretContents::parse("pw-4711 plain text").expect_err("not JSON");
        assert!(problem.starts_with("is not valid JSON") && !problem.contains("4711"));
    }

    #[test]
    fn debug_hides_the_values() {
        let values = SecretContents::parse(
            r#"{"username":"app","password":"pw-4711","admin_token":"tok-0815"}"#,
        )
        .expect("valid");
        let shown = format!("{values:?}");
        assert!(
            !shown.contains("pw-4711") && !shown.contains("tok-0815"),
            "{shown}"
        );
    }
}
