//! What the tools show of an input: nm's view of its symbols ([`nm`]) and of its bitcode
//! modules' summaries ([`summary`]).

pub mod nm;
pub mod summary;
