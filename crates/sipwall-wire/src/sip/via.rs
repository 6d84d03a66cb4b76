//! (being written)
pub struct Via;
