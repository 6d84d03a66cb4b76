//! (being written)
pub struct Header;
pub enum HeaderName {}
