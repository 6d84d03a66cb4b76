//! RFC 4475 / RFC 5118 conformance (being written).
fn main() {}
