//! Store failures, typed so callers can tell a lost race from throttling from a bug.

use std::fmt;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use super::collection::Collection;
use super::record::{Item, Record, from_item};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write's condition did not hold: the state moved (or the record already exists).
    #[error(transparent)]
    ConditionFailed(ConditionFailed),
    /// Another transaction touched the same records at the same moment; retrying can help.
    #[error("a concurrent transaction touched the same records")]
    TransactionConflict,
    /// DynamoDB asked us to slow down; retrying later can help.
    #[error("DynamoDB throttled the request")]
    Throttled(#[source] BoxError),
    /// A pagination cursor that this store did not issue for this query.
    #[error("the pagination cursor is not valid for this query")]
    InvalidCursor,
    /// DynamoDB could not be reached in time (network, timeout); retrying later can help.
    #[error("DynamoDB could not be reached")]
    Unreachable(#[source] BoxError),
    /// A placeholder bound twice to different names or values: a bug in the caller.
    #[error("expression placeholders bound twice: {0}")]
    PlaceholderClash(String),
    /// A query on an index of another collection than the records asked for: a bug.
    #[error("index {index} does not belong to {collection}")]
    WrongIndex {
        index: &'static str,
        collection: &'static str,
    },
    /// More writes than one transaction may hold: a bug in the caller.
    #[error("a transaction of {0} writes exceeds DynamoDB's limit")]
    TooManyWrites(usize),
    /// A record that does not match its type.
    #[error("a record could not be encoded or decoded")]
    Codec(#[from] serde_dynamo::Error),
    /// Anything else the SDK reported (network, validation, missing table, ...).
    #[error("DynamoDB call {operation} failed")]
    Sdk {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
}

/// A failed condition, with the record as it is now (when DynamoDB returned it).
#[derive(Clone, PartialEq)]
pub struct ConditionFailed {
    /// The collection whose condition failed.
    pub collection: Collection,
    /// Which write of a transaction failed (0 for a single write).
    pub operation: usize,
    /// The current item, `None` when the record does not exist.
    pub current: Option<Item>,
}

impl ConditionFailed {
    /// The current record, decoded as `R`.
    pub fn current<R: Record>(&self) -> Result<Option<R>, StoreError> {
        self.current.clone().map(from_item).transpose()
    }
}

// Items may hold private values (a leader's maximum): never print their contents.
impl fmt::Debug for ConditionFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionFailed")
            .field("collection", &self.collection)
            .field("operation", &self.operation)
            .field("current", &self.current.as_ref().map(|_| "<item>"))
            .finish()
    }
}

impl fmt::Display for ConditionFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "condition failed on {} (write {})",
            self.collection.name(),
            self.operation
        )
    }
}

impl std::error::Error for ConditionFailed {}

const THROTTLING_CODES: [&str; 4] = [
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "LimitExceededException",
];

/// Classifies an SDK error that is not a condition failure.
pub(crate) fn classify<E, R>(operation: &'static str, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    if matches!(
        error,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
    ) {
        return StoreError::Unreachable(Box::new(error));
    }
    let code = error.as_service_error().and_then(|e| e.code());
    match code {
        Some(code) if THROTTLING_CODES.contains(&code) => StoreError::Throttled(Box::new(error)),
        Some("TransactionConflictException" | "TransactionInProgressException") => {
            StoreError::TransactionConflict
        }
        _ => StoreError::Sdk {
            operation,
            source: Box::new(error),
        },
    }
}
