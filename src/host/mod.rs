//! Facts about one host: who it is (os-release) and what is installed (rpmdb, dpkg), from a root
//! directory, a tar archive of one, or an inventory file (`source`).

pub mod dpkg;
pub mod os;
pub mod rootfs;
pub mod rpmdb;
pub mod source;
