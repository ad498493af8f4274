//! The rules of account fields, applied at the edge. Each parser returns the normalised
//! value or the message a client sees for that field; each has a [`FieldRule`] too, which
//! applies it while a request body is parsed.

use std::str::FromStr;

use super::Secret;
use crate::http::{FieldRule, text_rules};

/// Longest accepted password: Argon2 would take anything, but a megabyte "password" is abuse.
const MAX_PASSWORD: usize = 128;
const MIN_PASSWORD: usize = 8;

/// A normalised email: trimmed and lower-cased, so one address has one spelling.
pub fn email(text: &str) -> Result<String, &'static str> {
    let email = text.trim().to_lowercase();
    let (local, domain) = email.split_once('@').ok_or("must be an email address")?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if plausible {
        Ok(email)
    } else {
        Err("must be an email address")
    }
}

/// The username rule, as clients are told it.
pub const USERNAME_RULE: &str =
    "must be 3 to 30 characters: lower-case letters, digits, '-' or '_', starting with a letter";

/// A username, compared case-insensitively (stored lower-case).
pub fn username(text: &str) -> Result<String, &'static str> {
    let name = text.trim().to_lowercase();
    let valid = (3..=30).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid { Ok(name) } else { Err(USERNAME_RULE) }
}

/// A new password: at least 8 characters (counted as characters, not bytes), at most 128.
pub fn new_password(text: &str) -> Result<&str, &'static str> {
    match text.chars().count() {
        n if n < MIN_PASSWORD => Err("must be at least 8 characters"),
        n if n > MAX_PASSWORD => Err("must be at most 128 characters"),
        _ => Ok(text),
    }
}

/// A login as typed (an email or a username), normalised as the account stores it.
pub fn login(text: &str) -> Result<String, &'static str> {
    email(text)
        .or_else(|_| username(text))
        .map_err(|_| "must be the account's email address or username")
}

/// A password given to prove who one is: never empty, and never longer than any password
/// an account can have (hashing a megabyte would be work for nothing).
pub fn given_password(text: &str) -> Result<&str, &'static str> {
    match text.chars().count() {
        0 => Err("is required"),
        n if n > MAX_PASSWORD => Err("is longer than any password can be"),
        _ => Ok(text),
    }
}

/// A name shown to others: trimmed, 1 to 80 characters, no control characters.
pub fn display_name(text: &str) -> Result<String, &'static str> {
    let name = text.trim();
    let valid = (1..=80).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    if valid {
        Ok(name.to_string())
    } else {
        Err("must be 1 to 80 characters")
    }
}

/// An IANA time zone name (`Europe/Paris`).
pub fn time_zone(text: &str) -> Result<String, &'static str> {
    chrono_tz::Tz::from_str(text)
        .map(|zone| zone.name().to_string())
        .map_err(|_| "must be an IANA time zone such as \"Europe/Paris\"")
}

/// A picture URL: https only, at most 2048 characters.
pub fn picture(text: &str) -> Result<String, &'static str> {
    let url = text.trim();
    let host = url
        .strip_prefix("https://")
        .and_then(|rest| rest.split('/').next());
    let valid = url.len() <= 2048
        && host.is_some_and(|h| h.contains('.') && !h.contains(char::is_whitespace))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(url.to_string())
    } else {
        Err("must be an https:// URL")
    }
}

/// A phone number: digits with an optional leading '+', spaces, dashes or parentheses.
pub fn phone(text: &str) -> Result<String, &'static str> {
    let phone = text.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let valid = (6..=15).contains(&digits)
        && phone
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (c == '+' && i == 0));
    if valid {
        Ok(phone.to_string())
    } else {
        Err("must be a phone number such as \"+1 555 0100\"")
    }
}

/// A part of a person's name (given, family, nick): trimmed, 1 to 80 characters, no control
/// characters.
pub fn name_part(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if (1..=80).contains(&text.chars().count()) && !text.chars().any(char::is_control) {
        Ok(text.to_string())
    } else {
        Err("must be 1 to 80 characters")
    }
}

text_rules! {
    /// [`email`] as a field rule.
    Email = email;
    /// [`username`] as a field rule.
    Username = username;
    /// [`login`] as a field rule.
    Login = login;
    /// [`display_name`] as a field rule.
    DisplayName = display_name;
    /// [`name_part`] as a field rule.
    NamePart = name_part;
    /// [`time_zone`] as a field rule.
    TimeZone = time_zone;
    /// [`picture`] as a field rule.
    Picture = picture;
    /// [`phone`] as a field rule.
    Phone = phone;
}

/// [`new_password`] as a field rule.
pub struct NewPassword;

impl FieldRule for NewPassword {
    type Input = Secret;
    type Value = Secret;

    fn check(password: Secret) -> Result<Secret, String> {
        new_password(password.expose()).map_err(str::to_string)?;
        Ok(password)
    }
}

/// [`given_password`] as a field rule.
pub struct GivenPassword;

impl FieldRule for GivenPassword {
    type Input = Secret;
    type Value = Secret;

    fn check(password: Secret) -> Result<Secret, String> {
        given_password(password.expose()).map_err(str::to_string)?;
        Ok(password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_case_folded() {
        assert_eq!(
            email("  Cinos@Example.COM "),
            Ok("cinos@example.com".into())
        );
        for bad in [
            "",
            "cinos",
            "@example.com",
            "a@b",
            "a@.com",
            "a b@c.com",
            "a@b.com.",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_follow_the_stated_rule() {
        assert_eq!(username("Genesis-Admin"), Ok("genesis-admin".into()));
        assert_eq!(username("auction_user"), Ok("auction_user".into()));
        for bad in ["ab", "9lives", "has space", "émile", &"a".repeat(31)] {
            assert_eq!(username(bad), Err(USERNAME_RULE), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(new_password("1234567").is_err());
        assert!(new_password("12345678").is_ok());
        assert!(new_password("ééééééé").is_err());
        assert!(new_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn profile_fields() {
        assert_eq!(time_zone("America/New_York"), Ok("America/New_York".into()));
        assert!(time_zone("Mars/Olympus").is_err());
        assert!(picture("https://images.example.com/a.jpg").is_ok());
        for bad in [
            "http://images.example.com/a.jpg",
            "javascript:alert(1)",
            "https://",
        ] {
            assert!(picture(bad).is_err(), "{bad}");
        }
        assert!(phone("+1 (555) 010-0100").is_ok());
        assert!(phone("call me").is_err());
        assert!(display_name("  ").is_err());
    }
}
