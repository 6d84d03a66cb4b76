//! (being written)
pub struct Param;
pub struct Params;
