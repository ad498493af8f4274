//! Accounts, logins and sessions (`/auth/*`, `/me`), and their administration (`/users`,
//! `/roles`, `/groups`, `/permissions`).

pub(crate) mod accounts;
pub mod export;
pub mod groups;
pub mod login;
pub mod logout;
pub mod me;
pub mod my_sessions;
pub mod password;
pub mod purge;
pub mod refresh;
pub mod register;
pub mod roles;
mod session;
pub mod users;
mod view;

pub use session::AuthTokens;
pub use view::UserView;

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    /// `T` parsed from `body` and printed with `Debug`, as a log line of it would show it.
    fn logged<T: DeserializeOwned + std::fmt::Debug>(body: serde_json::Value) -> String {
        format!("{:?}", serde_json::from_value::<T>(body).unwrap())
    }

    #[test]
    fn requests_holding_passwords_or_tokens_never_show_them_in_debug() {
        let secret = "s3cret-never-logged";
        let printed = [
            logged::<super::login::Credentials>(
                serde_json::json!({"login": "ada", "password": secret}),
            ),
            logged::<super::register::Registration>(serde_json::json!({
                "email": "a@example.com", "username": "ada", "password": secret, "displayName": "Ada"
            })),
            logged::<super::users::NewUser>(serde_json::json!({
                "email": "a@example.com", "username": "ada", "password": secret, "displayName": "Ada"
            })),
            logged::<super::refresh::RefreshRequest>(serde_json::json!({"refreshToken": secret})),
            logged::<super::password::PasswordChange>(
                serde_json::json!({"currentPassword": secret, "newPassword": secret}),
            ),
            logged::<super::purge::PurgeConfirmation>(serde_json::json!({"password": secret})),
        ];
        for line in printed {
            assert!(!line.contains(secret), "{line}");
            assert!(line.contains("<redacted>"), "{line}");
        }
    }
}
