//! (being written)
pub struct Limits;
pub struct Message;
pub enum StartLine {}
