//! Photos of items and auctions: uploaded straight to S3 through a presigned form
//! ([`upload`]), checked and scaled by the image function ([`variants`]), served from the CDN.

pub mod upload;
pub mod variants;
