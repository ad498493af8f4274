//! Condition and update expressions with their placeholders, built by domain code.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::collection::Collection;
use super::error::StoreError;
use super::record::Item;
use super::transaction::{NonEmpty, sdk_build};

/// A condition expression (`#status = :open AND #endsAt > :now`) with its placeholders.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Condition {
    pub(crate) expression: String,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: HashMap<String, AttributeValue>,
    /// Placeholders bound twice to different things: the request is refused rather than
    /// silently testing one of them.
    clashes: Vec<String>,
}

fn bind<V: PartialEq>(
    map: &mut HashMap<String, V>,
    clashes: &mut Vec<String>,
    placeholder: String,
    value: V,
) {
    if map.get(&placeholder).is_some_and(|bound| *bound != value) {
        clashes.push(placeholder.clone());
    }
    map.insert(placeholder, value);
}

impl Condition {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            expression: expression.into(),
            ..Self::default()
        }
    }

    /// Binds `#placeholder` to an attribute name.
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        bind(
            &mut self.names,
            &mut self.clashes,
            placeholder.into(),
            attribute.into(),
        );
        self
    }

    /// Binds `:placeholder` to a value.
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        bind(
            &mut self.values,
            &mut self.clashes,
            placeholder.into(),
            value,
        );
        self
    }

    /// The record does not exist yet.
    pub fn not_exists(collection: Collection) -> Self {
        Self::new("attribute_not_exists(#key)").name("#key", collection.key_attribute())
    }

    /// The record exists.
    pub fn exists(collection: Collection) -> Self {
        Self::new("attribute_exists(#key)").name("#key", collection.key_attribute())
    }

    /// The record's version attribute equals `expected`.
    pub fn version_is(attribute: &str, expected: u64) -> Self {
        Self::new("#version = :expectedVersion")
            .name("#version", attribute)
            .value(":expectedVersion", AttributeValue::N(expected.to_string()))
    }

    /// Both conditions.
    pub fn and(mut self, other: Condition) -> Self {
        self.expression = format!("({}) AND ({})", self.expression, other.expression);
        self.absorb_placeholders(other);
        self
    }

    /// Either condition.
    pub fn or(mut self, other: Condition) -> Self {
        self.expression = format!("({}) OR ({})", self.expression, other.expression);
        self.absorb_placeholders(other);
        self
    }

    /// Takes over `other`'s placeholders (and clashes), leaving its expression behind.
    pub(crate) fn absorb_placeholders(&mut self, other: Condition) {
        self.clashes.extend(other.clashes);
        for (placeholder, name) in other.names {
            bind(&mut self.names, &mut self.clashes, placeholder, name);
        }
        for (placeholder, value) in other.values {
            bind(&mut self.values, &mut self.clashes, placeholder, value);
        }
    }

    /// This condition, or an error naming the placeholders bound to two different things.
    pub(crate) fn checked(self) -> Result<Self, StoreError> {
        if self.clashes.is_empty() {
            Ok(self)
        } else {
            Err(StoreError::PlaceholderClash(self.clashes.join(", ")))
        }
    }
}

/// Sets a condition on any request builder that has DynamoDB's condition setters (they share
/// no trait), asking for the current item back when the condition fails. Used inside
/// functions returning `Result<_, StoreError>`.
macro_rules! with_condition {
    ($builder:expr, $condition:expr) => {
        match $condition {
            Some(condition) => {
                let condition = condition.checked()?;
                $builder
                    .condition_expression(condition.expression)
                    .set_expression_attribute_names(condition.names.into_non_empty())
                    .set_expression_attribute_values(condition.values.into_non_empty())
                    .return_values_on_condition_check_failure(
                        aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
                    )
            }
            None => $builder,
        }
    };
}
pub(crate) use with_condition;

/// An update expression (`SET #price = :price ADD #bidCount :one`), optionally conditional.
/// It applies only to an existing record unless it is an [`Update::upsert`]: DynamoDB would
/// otherwise create a partial record from a mistyped key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    action: Condition,
    condition: Option<Condition>,
    upsert: bool,
}

/// An update's parts, ready for a request.
struct UpdateParts {
    expression: String,
    condition: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Update {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            action: Condition::new(expression),
            condition: None,
            upsert: false,
        }
    }

    /// Sets each named attribute to its value, removes the listed ones, and adds 1 to
    /// `version`: the shape of every partial edit (PATCH).
    pub fn fields(set: Vec<(&str, AttributeValue)>, remove: &[&str]) -> Self {
        let mut expression = String::new();
        if !set.is_empty() {
            let assignments: Vec<String> =
                set.iter().map(|(f, _)| format!("#{f} = :{f}")).collect();
            expression.push_str(&format!("SET {} ", assignments.join(", ")));
        }
        if !remove.is_empty() {
            let fields: Vec<String> = remove.iter().map(|f| format!("#{f}")).collect();
            expression.push_str(&format!("REMOVE {} ", fields.join(", ")));
        }
        expression.push_str("ADD #version :one");
        let mut update = Self::new(expression)
            .name("#version", "version")
            .value(":one", n(1));
        for (field, value) in set {
            update = update
                .name(&format!("#{field}"), field)
                .value(&format!(":{field}"), value);
        }
        for field in remove {
            update = update.name(&format!("#{field}"), field);
        }
        update
    }

    /// Binds `#placeholder` to an attribute name.
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.action = self.action.name(placeholder, attribute);
        self
    }

    /// Binds `:placeholder` to a value.
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.action = self.action.value(placeholder, value);
        self
    }

    /// Applies only if `condition` holds.
    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Creates the record when it does not exist (counters).
    pub fn upsert(mut self) -> Self {
        self.upsert = true;
        self
    }

    fn into_parts(self, collection: Collection) -> Result<UpdateParts, StoreError> {
        let exists = (!self.upsert).then(|| {
            Condition::new("attribute_exists(#existingKey)")
                .name("#existingKey", collection.key_attribute())
        });
        let condition = match (exists, self.condition) {
            (Some(exists), Some(condition)) => Some(exists.and(condition)),
            (exists, condition) => exists.or(condition),
        };
        let mut placeholders = self.action;
        let expression = std::mem::take(&mut placeholders.expression);
        let condition = condition.map(|c| {
            let expression = c.expression.clone();
            placeholders.absorb_placeholders(c);
            expression
        });
        let placeholders = placeholders.checked()?;
        Ok(UpdateParts {
            expression,
            condition: condition.unwrap_or_default(),
            names: placeholders.names,
            values: placeholders.values,
        })
    }

    pub(crate) fn into_transact(
        self,
        collection: Collection,
        table: String,
        key: Item,
    ) -> Result<aws_sdk_dynamodb::types::Update, StoreError> {
        let builder = aws_sdk_dynamodb::types::Update::builder()
            .table_name(table)
            .set_key(Some(key));
        with_update!(builder, self.into_parts(collection)?)
            .build()
            .map_err(sdk_build)
    }

    pub(crate) fn into_request(
        self,
        collection: Collection,
        request: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> Result<
        aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
        StoreError,
    > {
        Ok(with_update!(request, self.into_parts(collection)?))
    }
}

/// Sets an update's expressions on either request builder (single or transactional).
macro_rules! with_update {
    ($builder:expr, $parts:expr) => {{
        let parts: UpdateParts = $parts;
        let has_condition = !parts.condition.is_empty();
        $builder
            .update_expression(parts.expression)
            .set_condition_expression(has_condition.then_some(parts.condition))
            .set_expression_attribute_names(parts.names.into_non_empty())
            .set_expression_attribute_values(parts.values.into_non_empty())
            .set_return_values_on_condition_check_failure(
                has_condition.then_some(ReturnValuesOnConditionCheckFailure::AllOld),
            )
    }};
}
use with_update;

/// A string value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number value.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebinding_a_placeholder_to_another_value_is_refused() {
        let condition = Condition::new("#status = :status")
            .name("#status", "status")
            .value(":status", s("open"))
            .and(Condition::new("#other = :status").value(":status", s("ready")));
        assert!(matches!(
            condition.checked(),
            Err(StoreError::PlaceholderClash(clash)) if clash == ":status"
        ));
    }

    #[test]
    fn binding_the_same_value_twice_is_fine() {
        let condition = Condition::new("#s = :v")
            .name("#s", "status")
            .and(Condition::new("#s <> :w").name("#s", "status"));
        assert!(condition.checked().is_ok());
    }

    #[test]
    fn an_update_clashing_with_its_condition_is_refused() {
        let update = Update::new("SET #status = :status")
            .name("#status", "status")
            .value(":status", s("ready"))
            .when(Condition::new("#status = :status").value(":status", s("setup")));
        assert!(update.into_parts(Collection::Auctions).is_err());
    }

    #[test]
    fn updates_require_an_existing_record_unless_upserts() -> Result<(), StoreError> {
        let plain = Update::new("ADD #n :one").into_parts(Collection::Auctions)?;
        assert_eq!(plain.condition, "attribute_exists(#existingKey)");
        let upsert = Update::new("ADD #n :one")
            .upsert()
            .into_parts(Collection::Auctions)?;
        assert_eq!(upsert.condition, "");
        Ok(())
    }
}
