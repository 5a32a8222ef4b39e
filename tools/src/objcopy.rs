//! objcopy
pub fn main() -> i32 { 1 }
