//! Parsing request bodies at the edge. JSON that does not parse is a `400`; anything else
//! wrong is one `422` listing every field at fault, in the contract's words: each missing
//! required field, unknown field, field given twice, value of the wrong type, and value its
//! field's own rule refuses ([`FieldRule`]). Rules relating fields to each other, or needing
//! the clock or the store, are the handler's: [`parse_json_fields`] hands it the body with
//! the refusals so far, so its own are listed with them once the body has its shape.

use lambda_http::{Body, Request};
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Visitor};
use serde_json::error::Category;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

use super::problem::{ApiError, FieldError};

/// Most field errors one answer lists: a body of a thousand unknown fields hears of the first.
const MAX_ERRORS: usize = 50;

/// How deep the body's schema is followed (schemas may refer to themselves).
const MAX_SCHEMA_DEPTH: usize = 32;

/// Parses a JSON object into `T` (which should `deny_unknown_fields`), or answers the `400`
/// or the `422` that lists everything wrong with it.
pub fn parse_json_body<T: DeserializeOwned + utoipa::ToSchema>(
    request: &Request,
) -> Result<T, ApiError> {
    match parse_json_fields(request)? {
        (body, refused) if refused.is_empty() => Ok(body),
        (_, refused) => Err(ApiError::Validation(refused)),
    }
}

/// Like [`parse_json_body`], for a handler whose own rules relate fields: a body of the right
/// shape comes back even when field rules refused some of its fields, with those refusals
/// (the refused fields hold defaults then, and the handler must answer `422` with them and
/// its own). A body of the wrong shape (missing, unknown or mistyped fields) is a `422` at
/// once: relations between fields that are not all there are not worth checking.
pub fn parse_json_fields<T: DeserializeOwned + utoipa::ToSchema>(
    request: &Request,
) -> Result<(T, Vec<FieldError>), ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.is_empty() {
        return Err(ApiError::MalformedRequest(
            "The request needs a JSON body.".into(),
        ));
    }
    // Well-formedness first, so broken JSON is always a 400 whatever its shape.
    let body: Value = serde_json::from_slice(bytes).map_err(|error| malformed(&error))?;
    if !body.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    // From the text rather than the tree: only the text shows a field given twice.
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let first = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(parsed) => return Ok((parsed, Vec::new())),
        Err(error) => error,
    };
    // The body is well-formed JSON, so whatever the parser says now is about its shape (some
    // of it, like an enum given a number, it calls a syntax error).
    let first_at = steps(first.path());
    let first = first.into_inner();
    let duplicate = quoted(&first.to_string(), "duplicate field `").map(|name| {
        FieldError::new(
            field_name(&child(&first_at, name)),
            "appears more than once",
        )
    });
    let mut found = Findings::<T>::of(&body);
    match (found.parsed, duplicate) {
        // Only refusals: the body has its shape. A value of the wrong type that was taken out
        // (an optional field, so the rest still parsed) means it has not.
        (Some(parsed), None) if found.misshapen.is_empty() && !found.refused.is_empty() => {
            Ok((parsed, in_declared_order::<T>(found.refused)))
        }
        (_, duplicate) => {
            let mut errors: Vec<FieldError> = duplicate.into_iter().collect();
            errors.append(&mut found.refused);
            errors.append(&mut found.misshapen);
            errors.extend(missing_fields::<T>(&body));
            if errors.is_empty() {
                // The tree and the text disagree about the body: say what the text said.
                let message = match first.classify() {
                    Category::Data => in_contract_words(&without_position(&first)),
                    _ => format!("must be {}", expected_in_words("")),
                };
                errors.push(FieldError::new(field_name(&first_at), message));
            }
            Err(ApiError::Validation(in_declared_order::<T>(errors)))
        }
    }
}

/// A rule one field of a request body must pass, applied while the body is parsed, so a field
/// it refuses is listed with every other mistake of the body. Use it through
/// `#[serde(deserialize_with = "shared::http::checked::<Rule, _>")]` (and [`checked_option`],
/// [`checked_nullable`]).
pub trait FieldRule {
    /// What the client sends (a string, usually).
    type Input: DeserializeOwned;
    /// What the field holds once it passed (the text normalised, say); its default stands in
    /// for a refused value while the rest of the body is checked.
    type Value: Default;
    /// The value of `input`, or what the client is told about it.
    fn check(input: Self::Input) -> Result<Self::Value, String>;

    /// What the client is told when the value sent is not even an `Input` (a rule knows its
    /// field's range better than the parser, which only knows the type's); `None` leaves it
    /// to the parser's words. It is a wrong type, not a refusal: the body lacks its shape.
    fn mistyped() -> Option<String> {
        None
    }
}

/// A field holding one of an enum's values, checked as a rule: a value outside the enum is a
/// refusal like any rule's, so the body keeps its shape and the handler's own rules still run
/// (`T`'s default stands in for it). A value that is not a string is a wrong type still.
pub struct OneOf<T>(std::marker::PhantomData<T>);

impl<T: DeserializeOwned + Default> FieldRule for OneOf<T> {
    type Input = String;
    type Value = T;

    fn check(name: String) -> Result<T, String> {
        let name = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&name);
        T::deserialize(name).map_err(|error| in_contract_words(&error.to_string()))
    }
}

/// [`FieldRule`]s for text fields, one per rule function (`fn(&str) -> Result<_, _>` whose
/// value and message both turn into `String`): `text_rules! { Email = email; }`.
macro_rules! text_rules {
    ($($(#[$doc:meta])* $rule:ident = $check:path;)*) => {$(
        $(#[$doc])*
        pub struct $rule;

        impl $crate::http::FieldRule for $rule {
            type Input = String;
            type Value = String;

            fn check(text: String) -> Result<String, String> {
                $check(&text).map(Into::into).map_err(Into::into)
            }
        }
    )*};
}
pub(crate) use text_rules;

/// A required field checked by `R`.
pub fn checked<'de, R: FieldRule, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<R::Value, D::Error> {
    ruled::<R, D::Error>(Value::deserialize(deserializer)?)
}

/// An optional field (`#[serde(default, deserialize_with = ...)]`) checked by `R` when given;
/// `null` is the same as absent.
pub fn checked_option<'de, R: FieldRule, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<R::Value>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None => Ok(None),
        Some(sent) if refusals::already_listed(&sent) => Ok(None),
        Some(sent) => ruled::<R, D::Error>(sent).map(Some),
    }
}

/// Like [`nullable`], for a PATCH field checked by `R` when it is neither absent nor `null`.
pub fn checked_nullable<'de, R: FieldRule, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<R::Value>>, D::Error> {
    checked_option::<R, D>(deserializer).map(Some)
}

/// `sent` as `R` makes it. A refusal is marked as one (not a parser's word on the shape), and
/// once listed, the field's default stands in for it.
fn ruled<R: FieldRule, E: serde::de::Error>(sent: Value) -> Result<R::Value, E> {
    if refusals::already_listed(&sent) {
        return Ok(R::Value::default());
    }
    let input = R::Input::deserialize(&sent).map_err(|error| match R::mistyped() {
        Some(words) => E::custom(format!("{WORDED}{words}")),
        None => E::custom(error),
    })?;
    R::check(input).map_err(|message| E::custom(format!("{REFUSAL}{message}")))
}

/// Starts the message of a field rule's refusal; no message of a parser starts so.
const REFUSAL: char = '\u{1f}';

/// Starts the message of a wrong type a field rule put in its own words ([`FieldRule::mistyped`]).
const WORDED: char = '\u{1e}';

/// The words of a field rule's refusal, if `message` is one.
fn refusal(message: &str) -> Option<&str> {
    message.strip_prefix(REFUSAL)
}

/// While [`Findings::of`] reparses a body, the values whose refusal it already listed are
/// replaced by a mark only it knows (a fresh one each time, so no client can send it), which
/// the field rules take as "use your default", so the rest of the body gets its turn.
mod refusals {
    use std::cell::RefCell;

    use serde_json::Value;

    thread_local! {
        static MARK: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// A fresh mark, honoured until the returned guard is dropped.
    pub(super) fn marking() -> (Value, Marking) {
        let mark = format!("refused {}", uuid::Uuid::new_v4());
        MARK.with(|current| *current.borrow_mut() = Some(mark.clone()));
        (Value::String(mark), Marking)
    }

    pub(super) fn already_listed(sent: &Value) -> bool {
        MARK.with(|current| {
            current
                .borrow()
                .as_deref()
                .is_some_and(|mark| sent.as_str() == Some(mark))
        })
    }

    pub(super) struct Marking;

    impl Drop for Marking {
        fn drop(&mut self) {
            MARK.with(|current| *current.borrow_mut() = None);
        }
    }
}

/// For `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` field of
/// a PATCH body: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    <Option<T> as Deserialize>::deserialize(deserializer).map(Some)
}

/// One step into a body: a field of an object, or an element of an array.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Field(String),
    Element(usize),
}

/// Where a field is, as the contract names it: `settings.increments[0].from`; `body` for
/// the body itself.
fn field_name(at: &[Step]) -> String {
    let mut name = String::new();
    for step in at {
        match step {
            Step::Field(field) if name.is_empty() => name.push_str(field),
            Step::Field(field) => {
                name.push('.');
                name.push_str(field);
            }
            Step::Element(index) => name.push_str(&format!("[{index}]")),
        }
    }
    if name.is_empty() {
        "body".to_string()
    } else {
        name
    }
}

fn child(at: &[Step], field: &str) -> Vec<Step> {
    let mut path = at.to_vec();
    path.push(Step::Field(field.to_string()));
    path
}

/// A parser's path as steps; it ends where the parser can say no more (an enum's variant).
fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    path.iter()
        .map_while(|segment| match segment {
            Segment::Map { key } => Some(Step::Field(key.clone())),
            Segment::Seq { index } => Some(Step::Element(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// What reparsing a body finds wrong with its values.
struct Findings<T> {
    /// Values their field rule refused.
    refused: Vec<FieldError>,
    /// Everything else: unknown fields, mistyped or invalid values, missing fields.
    misshapen: Vec<FieldError>,
    /// The body, when its shape is right (refused values hold their defaults).
    parsed: Option<T>,
}

impl<T: DeserializeOwned> Findings<T> {
    /// Every error the values of `body` have, found by parsing it again and again: each time
    /// the field at fault is listed and set aside (a refused value marked, anything else taken
    /// out), so the next parse goes further. An object with a required field missing has
    /// nothing more to tell once its present fields parsed, so it is taken out whole and its
    /// parent goes on; its other missing fields come from the schema.
    fn of(body: &Value) -> Self {
        let mut body = body.clone();
        let (mark, _marking) = refusals::marking();
        let mut found = Self {
            refused: Vec::new(),
            misshapen: Vec::new(),
            parsed: None,
        };
        // Fields taken out after their error was listed: that they are missing now is no news.
        let mut taken_out: Vec<Vec<Step>> = Vec::new();
        while found.refused.len() + found.misshapen.len() < MAX_ERRORS {
            let error = match serde_path_to_error::deserialize::<_, T>(&body) {
                Ok(parsed) => {
                    found.parsed = Some(parsed);
                    break;
                }
                Err(error) => error,
            };
            let at = steps(error.path());
            let message = without_position(&error.into_inner());
            if let Some(words) = refusal(&message) {
                let field = field_name(&at);
                if found.refused.iter().any(|seen| seen.field == field) {
                    // The mark did not take: nothing more to learn.
                    break;
                }
                found.refused.push(FieldError::new(field, words));
                if !put(&mut body, &at, mark.clone()) {
                    break;
                }
                continue;
            }
            let out = if let Some(name) = quoted(&message, "unknown field `") {
                // The parser's path may already end at the unknown field.
                let field = match at.last() {
                    Some(Step::Field(last)) if last == name => at,
                    _ => child(&at, name),
                };
                found.misshapen.push(FieldError::new(
                    field_name(&field),
                    "is not a field of this request (or is read-only)",
                ));
                field
            } else if let Some(name) = quoted(&message, "missing field `") {
                let field = child(&at, name);
                if !taken_out.contains(&field) {
                    found
                        .misshapen
                        .push(FieldError::new(field_name(&field), "is required"));
                }
                at
            } else {
                found.misshapen.push(FieldError::new(
                    field_name(&at),
                    in_contract_words(&message),
                ));
                at
            };
            if !take_out(&mut body, &out) {
                // The body itself, or a place it does not have: nothing more to learn.
                break;
            }
            taken_out.push(out);
        }
        found
    }
}

/// The value at `at` in `body`, if `body` has such a place.
fn place_mut<'a>(body: &'a mut Value, at: &[Step]) -> Option<&'a mut Value> {
    at.iter().try_fold(body, |holder, step| match step {
        Step::Field(name) => holder.get_mut(name.as_str()),
        Step::Element(index) => holder.get_mut(*index),
    })
}

/// Sets the value at `at` in `body`; `false` when `body` has no such place.
fn put(body: &mut Value, at: &[Step], value: Value) -> bool {
    match place_mut(body, at) {
        Some(slot) => {
            *slot = value;
            true
        }
        None => false,
    }
}

/// Removes the field at `at` from `body`; within an array, the whole array (taking out one
/// element would renumber the ones after it). `false` when there is nothing to remove.
fn take_out(body: &mut Value, at: &[Step]) -> bool {
    let mut at = at;
    while let Some((Step::Element(_), parent)) = at.split_last() {
        at = parent;
    }
    let Some((Step::Field(field), parent)) = at.split_last() else {
        return false;
    };
    place_mut(body, parent)
        .and_then(Value::as_object_mut)
        .and_then(|object| object.remove(field))
        .is_some()
}

/// The required fields `body` lacks, at every depth, as `T`'s schema (the one the OpenAPI
/// document publishes) states them.
fn missing_fields<T: utoipa::ToSchema>(body: &Value) -> Vec<FieldError> {
    let mut named = Vec::new();
    T::schemas(&mut named);
    let components: Map<String, Value> = named
        .into_iter()
        .filter_map(|(name, schema)| Some((name, serde_json::to_value(schema).ok()?)))
        .collect();
    let mut missing = Vec::new();
    if let Ok(schema) = serde_json::to_value(T::schema()) {
        let mut at = Vec::new();
        required_in(&schema, body, &mut at, &components, &mut missing, 0);
    }
    missing
}

fn required_in(
    schema: &Value,
    value: &Value,
    at: &mut Vec<Step>,
    components: &Map<String, Value>,
    missing: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let follow = |schema: &Value, at: &mut Vec<Step>, missing: &mut Vec<FieldError>| {
        required_in(schema, value, at, components, missing, depth + 1);
    };
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
    {
        if let Some(named) = components.get(name) {
            follow(named, at, missing);
        }
        return;
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        follow(part, at, missing);
    }
    // An optional value (`null` or a schema): the schema's rules hold when it is given. Other
    // unions are not followed: which alternative a value meant is the parser's to say.
    for union in ["oneOf", "anyOf"] {
        let alternatives: Vec<&Value> = schema[union]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|alternative| alternative["type"] != "null")
            .collect();
        if let [only] = alternatives[..] {
            follow(only, at, missing);
        }
    }
    match value {
        Value::Object(fields) => {
            let required = schema["required"].as_array().into_iter().flatten();
            for name in required.filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    missing.push(FieldError::new(field_name(&child(at, name)), "is required"));
                }
            }
            for (name, field) in fields {
                if let Some(property) = schema["properties"].get(name) {
                    at.push(Step::Field(name.clone()));
                    required_in(property, field, at, components, missing, depth + 1);
                    at.pop();
                }
            }
        }
        Value::Array(elements) => {
            if let Some(items) = schema.get("items") {
                for (index, element) in elements.iter().enumerate() {
                    at.push(Step::Element(index));
                    required_in(items, element, at, components, missing, depth + 1);
                    at.pop();
                }
            }
        }
        _ => {}
    }
}

/// `errors` without repeats (the first word on a field stands), the body's own first, then in
/// the order `T` declares its fields, so an answer does not depend on how the client ordered
/// the body.
fn in_declared_order<T: DeserializeOwned>(errors: Vec<FieldError>) -> Vec<FieldError> {
    let declared = declared_fields::<T>();
    let rank = |error: &FieldError| {
        if error.field == "body" {
            return 0;
        }
        let top = error.field.split(['.', '[']).next().unwrap_or(&error.field);
        declared
            .iter()
            .position(|field| *field == top)
            .map_or(usize::MAX, |position| position + 1)
    };
    let mut unique: Vec<FieldError> = Vec::with_capacity(errors.len());
    for error in errors {
        if !unique.iter().any(|seen| seen.field == error.field) {
            unique.push(error);
        }
    }
    unique.sort_by_key(rank);
    unique.truncate(MAX_ERRORS);
    unique
}

/// The fields a struct `T` declares, in order, as serde names them (none for other types).
fn declared_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // Serde hands a struct's field names to the deserializer; that is all this one wants.
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("only a struct has field names"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("field names taken"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The name in a parser's message such as ``missing field `email` ``.
fn quoted<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message
        .strip_prefix(prefix)
        .and_then(|rest| rest.split('`').next())
}

/// A parser's message about a value, as the contract puts it: what the field must be (never
/// the value sent, which may be a secret). Messages of the project's own types and rules
/// ("must not be negative") are already in its words.
fn in_contract_words(message: &str) -> String {
    if let Some(words) = refusal(message).or_else(|| message.strip_prefix(WORDED)) {
        return words.to_string();
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        // serde says "expected `a`", "expected `a` or `b`" or "expected one of `a`, `b`, `c`".
        let expected = rest
            .split_once("expected ")
            .map(|(_, expected)| expected.trim_start_matches("one of "))
            .unwrap_or_default()
            .replace(" or ", ", ");
        let allowed: Vec<&str> = expected
            .split(", ")
            .map(|name| name.trim_matches('`'))
            .filter(|name| !name.is_empty())
            .collect();
        return format!("must be one of: {}", allowed.join(", "));
    }
    let parsers = ["invalid type: ", "invalid value: ", "invalid length "];
    if parsers.iter().any(|prefix| message.starts_with(prefix)) {
        let expected = message
            .rsplit_once(", expected ")
            .map_or("", |(_, expected)| expected);
        return format!("must be {}", expected_in_words(expected));
    }
    message.to_string()
}

/// What a parser expected, in words.
fn expected_in_words(expected: &str) -> String {
    match expected {
        "a string" | "string" | "a borrowed string" | "string or map" => "a string".into(),
        "a boolean" => "true or false".into(),
        // The type's range is seldom the field's: a field with a range has a rule saying it.
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "a whole number".into()
        }
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a character" | "a char" => "a single character".into(),
        "unit" => "null".into(),
        other if other == "a map" || other.starts_with("struct ") || other.starts_with("map") => {
            "an object".into()
        }
        other if other.starts_with("a ") || other.starts_with("an ") => other.into(),
        _ => "a value of the documented type".into(),
    }
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::MalformedRequest(format!("The body is not valid JSON: {error}."))
}

/// serde_json's message without its " at line 1 column 20" suffix.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Register {
        email: String,
        display_name: String,
        age: Option<u32>,
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Bid {
        #[schema(value_type = String)]
        amount: Money,
        settings: Option<Settings>,
        #[serde(default)]
        rungs: Vec<Rung>,
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Kind {
        Silent,
        Live,
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Lot {
        kind: Kind,
        name: String,
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Settings {
        stagger_sec: u32,
        label: String,
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Rung {
        #[schema(value_type = String)]
        from: Money,
        #[schema(value_type = String)]
        increment: Money,
    }

    /// Names of at least 3 characters, upper-cased.
    struct Shout;

    impl FieldRule for Shout {
        type Input = String;
        type Value = String;
        fn check(text: String) -> Result<String, String> {
            if text.chars().count() >= 3 {
                Ok(text.to_uppercase())
            } else {
                Err("must be at least 3 characters".into())
            }
        }
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Named {
        #[serde(deserialize_with = "checked::<Shout, _>")]
        name: String,
        #[serde(default, deserialize_with = "checked_option::<Shout, _>")]
        nick: Option<String>,
        #[serde(default, deserialize_with = "checked_nullable::<Shout, _>")]
        #[schema(value_type = Option<String>)]
        motto: Option<Option<String>>,
        count: u32,
    }

    fn request(body: &str) -> Request {
        Request::new(Body::Text(body.into()))
    }

    fn errors_of<T: DeserializeOwned + utoipa::ToSchema + std::fmt::Debug>(
        body: &str,
    ) -> Vec<(String, String)> {
        match parse_json_body::<T>(&request(body)).unwrap_err() {
            ApiError::Validation(errors) => errors
                .into_iter()
                .map(|error| (error.field, error.message))
                .collect(),
            other => panic!("expected a 422 for {body}, got {other:?}"),
        }
    }

    fn fields_of<T: DeserializeOwned + utoipa::ToSchema + std::fmt::Debug>(
        body: &str,
    ) -> Vec<String> {
        errors_of::<T>(body)
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_string(), message.to_string())
    }

    #[test]
    fn unparsable_json_is_malformed() {
        for body in ["{not json", "{\"email\": \"a\"", "{} trailing"] {
            let error = parse_json_body::<Register>(&request(body)).unwrap_err();
            assert!(
                matches!(error, ApiError::MalformedRequest(_)),
                "{body}: {error:?}"
            );
        }
        let error = parse_json_body::<Register>(&Request::new(Body::Empty)).unwrap_err();
        assert!(matches!(error, ApiError::MalformedRequest(_)));
    }

    #[test]
    fn anything_but_an_object_is_refused_as_a_whole() {
        for body in ["[]", "[1, 2]", "\"text\"", "12", "null", "true"] {
            assert_eq!(
                errors_of::<Bid>(body),
                [pair("body", "must be a JSON object")],
                "{body}"
            );
        }
    }

    #[test]
    fn a_valid_body_parses() {
        let named: Named =
            parse_json_body(&request(r#"{"name":"ada","motto":null,"count":2}"#)).unwrap();
        assert_eq!(
            (named.name.as_str(), named.nick, named.motto, named.count),
            ("ADA", None, Some(None), 2)
        );
    }

    #[test]
    fn every_missing_field_is_named_in_declared_order() {
        assert_eq!(
            errors_of::<Register>("{}"),
            [
                pair("email", "is required"),
                pair("displayName", "is required")
            ]
        );
        assert_eq!(
            fields_of::<Bid>(r#"{"settings":{}, "rungs":[{"from":"1"}, {}]}"#),
            [
                "amount",
                "settings.staggerSec",
                "settings.label",
                "rungs[0].increment",
                "rungs[1].from",
                "rungs[1].increment"
            ]
        );
    }

    #[test]
    fn unknown_and_duplicate_fields_are_named() {
        let body = r#"{"email":"a@b.c","displayName":"A","userRole":"admin","status":1}"#;
        assert_eq!(
            errors_of::<Register>(body),
            [
                pair("status", "is not a field of this request (or is read-only)"),
                pair(
                    "userRole",
                    "is not a field of this request (or is read-only)"
                ),
            ]
        );
        let body = r#"{"amount":"1","settings":{"staggerSec":1,"label":"x","extra":true}}"#;
        assert_eq!(fields_of::<Bid>(body), ["settings.extra"]);
        let body = r#"{"email":"a","email":"b","displayName":"A"}"#;
        assert_eq!(
            errors_of::<Register>(body),
            [pair("email", "appears more than once")]
        );
    }

    #[test]
    fn wrong_types_are_named_with_what_the_field_must_be() {
        assert_eq!(
            errors_of::<Register>(r#"{"email":5,"age":"old"}"#),
            [
                pair("email", "must be a string"),
                pair("displayName", "is required"),
                pair("age", "must be a whole number"),
            ]
        );
        assert_eq!(
            errors_of::<Register>(r#"{"email":"a","displayName":[],"age":-1}"#),
            [
                pair("displayName", "must be a string"),
                pair("age", "must be a whole number"),
            ]
        );
        assert_eq!(
            errors_of::<Bid>(r#"{"amount":12,"settings":[],"rungs":{}}"#),
            [
                pair("amount", "must be a decimal string such as \"12.50\""),
                pair("settings", "must be an object"),
                pair("rungs", "must be an array"),
            ]
        );
    }

    #[test]
    fn enums_say_what_they_may_be() {
        assert_eq!(
            errors_of::<Lot>(r#"{"kind":"auction","name":"x"}"#),
            [pair("kind", "must be one of: silent, live")]
        );
        // A number where a variant belongs is, to the parser of the text, a syntax error.
        assert_eq!(
            errors_of::<Lot>(r#"{"kind":1}"#),
            [
                pair("kind", "must be a string"),
                pair("name", "is required")
            ]
        );
    }

    #[test]
    fn invalid_values_are_named_with_the_reason() {
        assert_eq!(
            errors_of::<Bid>(r#"{"amount":"-1","settings":{"staggerSec":-5,"label":"x"}}"#),
            [
                pair("amount", "must not be negative"),
                pair("settings.staggerSec", "must be a whole number"),
            ]
        );
        assert_eq!(
            errors_of::<Bid>(r#"{"amount":"1","rungs":[{"from":"1","increment":"x"}]}"#),
            [pair(
                "rungs[0].increment",
                "must be a decimal string such as \"12.50\""
            )]
        );
    }

    #[test]
    fn field_rules_are_listed_with_the_shape_errors() {
        assert_eq!(
            errors_of::<Named>(r#"{"name":"al","nick":"b","motto":"c","extra":1}"#),
            [
                pair("name", "must be at least 3 characters"),
                pair("nick", "must be at least 3 characters"),
                pair("motto", "must be at least 3 characters"),
                pair("count", "is required"),
                pair("extra", "is not a field of this request (or is read-only)"),
            ]
        );
    }

    #[test]
    fn a_body_of_the_right_shape_comes_back_with_its_refusals() {
        let (named, refused) =
            parse_json_fields::<Named>(&request(r#"{"name":"al","nick":"bo","count":2}"#)).unwrap();
        assert_eq!(
            refused,
            [
                FieldError::new("name", "must be at least 3 characters"),
                FieldError::new("nick", "must be at least 3 characters"),
            ]
        );
        assert_eq!(
            (named.name.as_str(), named.nick, named.count),
            ("", None, 2),
            "refused values hold defaults"
        );
        assert!(
            parse_json_body::<Named>(&request(r#"{"name":"al","count":2}"#)).is_err(),
            "parse_json_body answers the refusals"
        );
        assert!(
            matches!(
                parse_json_fields::<Named>(&request(r#"{"name":"al"}"#)),
                Err(ApiError::Validation(errors)) if errors.len() == 2
            ),
            "a body missing a field is refused at once, its refusals listed too"
        );
    }

    #[test]
    fn no_message_is_a_parsers_or_echoes_a_value() {
        let bodies = [
            r#"{"email":"hunter2secret","displayName":{"a":1},"age":1.5}"#,
            r#"{"email":true,"displayName":null,"age":"hunter2secret"}"#,
        ];
        for body in bodies {
            for (field, message) in errors_of::<Register>(body) {
                for parser_words in ["invalid", "expected", "`", "hunter2", "line", "struct"] {
                    assert!(
                        !message.contains(parser_words),
                        "{body}: {field}: {message}"
                    );
                }
            }
        }
    }
}
