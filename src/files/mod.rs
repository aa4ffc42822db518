//! Reading files safely: a root confined to itself (a directory or a tar archive of one, every
//! link resolved inside it), only regular files, each read within a stated limit, and
//! compressed files decompressed by content. The readers of hosts ([`crate::host`]) and of
//! repositories ([`crate::repo`]) both read through this layer; it knows nothing of either.

pub mod compress;
pub(crate) mod digest;
pub mod rootfs;
