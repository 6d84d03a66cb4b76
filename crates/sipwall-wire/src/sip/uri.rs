//! (being written)
pub enum Host {}
pub enum Scheme {}
pub struct Uri;
