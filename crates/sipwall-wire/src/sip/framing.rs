//! (being written)
pub enum Framing {}
pub enum Transport {}
pub fn frame() {}
