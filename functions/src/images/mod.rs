//! Photos of items and auctions: uploaded straight to S3, checked and scaled by the image
//! function, served from the CDN. [`variants`] turns an upload's bytes into what is served.

pub mod variants;
