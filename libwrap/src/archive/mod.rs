//! Archives: reading every flavour ([`read`]: GNU/SysV, `/SYM64/`, BSD, thin), writing GNU
//! ar's layout ([`write`]), editing as GNU ar does ([`edit`]), and the symbol index ([`index`]).

pub mod edit;
pub mod index;
pub mod read;
pub mod write;

pub use read::{Archive, Format, HEADER_SIZE, IndexEntry, MAGIC, Member, MemberData, THIN_MAGIC, is_archive, read};
