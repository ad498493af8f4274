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

/// An update expression (`SET #price = :price ADD #bidCount :one`), optionally conditional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    condition: Option<Condition>,
}

impl Update {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            expression: expression.into(),
            ..Self::default()
        }
    }

    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.into(), attribute.into());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    /// Applies only if `condition` holds.
    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    fn parts(
        self,
    ) -> (
        String,
        Option<String>,
        HashMap<String, String>,
        HashMap<String, AttributeValue>,
    ) {
        let (mut names, mut values) = (self.names, self.values);
        let condition = self.condition.map(|c| {
            names.extend(c.names);
            values.extend(c.values);
            c.expression
        });
        (self.expression, condition, names, values)
    }

    pub(crate) fn into_transact(
        self,
        table: String,
        key: Item,
    ) -> Result<aws_sdk_dynamodb::types::Update, StoreError> {
        let (expression, condition, names, values) = self.parts();
        let has_condition = condition.is_some();
        aws_sdk_dynamodb::types::Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(names.into_non_empty())
            .set_expression_attribute_values(values.into_non_empty())
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
        let (expression, condition, names, values) = self.parts();
        let has_condition = condition.is_some();
        request
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(names.into_non_empty())
            .set_expression_attribute_values(values.into_non_empty())
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
