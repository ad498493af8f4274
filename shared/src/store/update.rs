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
        self.names.insert(placeholder.into(), attribute.into());
        self
    }

    /// Binds `:placeholder` to a value.
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
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

    /// Both conditions (their placeholders must not clash).
    pub fn and(mut self, other: Condition) -> Self {
        self.expression = format!("({}) AND ({})", self.expression, other.expression);
        self.names.extend(other.names);
        self.values.extend(other.values);
        self
    }
}

/// Sets a condition on any request builder that has DynamoDB's condition setters (they share
/// no trait), asking for the current item back when the condition fails.
macro_rules! with_condition {
    ($builder:expr, $condition:expr) => {
        match $condition {
            Some(condition) => $builder
                .condition_expression(condition.expression)
                .set_expression_attribute_names(condition.names.into_non_empty())
                .set_expression_attribute_values(condition.values.into_non_empty())
                .return_values_on_condition_check_failure(
                    aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
                ),
            None => $builder,
        }
    };
}
pub(crate) use with_condition;

/// An update expression (`SET #price = :price ADD #bidCount :one`), optionally conditional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    action: Condition,
    condition: Option<Condition>,
}

impl Update {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            action: Condition::new(expression),
            condition: None,
        }
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

    /// Applies only if `condition` holds (its placeholders must not clash with the update's).
    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// The update expression, the condition expression, and every placeholder of both.
    fn into_parts(self) -> (String, Option<String>, Condition) {
        let mut placeholders = self.action;
        let expression = std::mem::take(&mut placeholders.expression);
        let condition = self.condition.map(|c| {
            placeholders.names.extend(c.names);
            placeholders.values.extend(c.values);
            c.expression
        });
        (expression, condition, placeholders)
    }

    pub(crate) fn into_transact(
        self,
        table: String,
        key: Item,
    ) -> Result<aws_sdk_dynamodb::types::Update, StoreError> {
        let (expression, condition, placeholders) = self.into_parts();
        let has_condition = condition.is_some();
        aws_sdk_dynamodb::types::Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(placeholders.names.into_non_empty())
            .set_expression_attribute_values(placeholders.values.into_non_empty())
            .set_return_values_on_condition_check_failure(
                has_condition.then_some(ReturnValuesOnConditionCheckFailure::AllOld),
            )
            .build()
            .map_err(sdk_build)
    }

    pub(crate) fn into_request(
        self,
        request: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let (expression, condition, placeholders) = self.into_parts();
        let has_condition = condition.is_some();
        request
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(placeholders.names.into_non_empty())
            .set_expression_attribute_values(placeholders.values.into_non_empty())
            .set_return_values_on_condition_check_failure(
                has_condition.then_some(ReturnValuesOnConditionCheckFailure::AllOld),
            )
    }
}

/// A string value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number value.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
