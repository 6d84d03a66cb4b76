//! (being written)
pub struct CSeq;
