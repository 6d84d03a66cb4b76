//! (being written)
pub struct NameAddr;
pub enum Contact {}
